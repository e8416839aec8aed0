#!/usr/bin/env bash
# Architecture invariant: domain crates depend on no web framework, ORM or database driver;
# the HTTP adapter depends on no ORM or driver; the store depends on no web framework; the
# file store (an HTTP client of S3) on no ORM or driver.
# Checked on normal (non-dev) dependencies, transitively.
set -euo pipefail
cd "$(dirname "$0")/.."

fail=0
check() {
  local crate=$1 forbidden=$2
  local found
  found=$(cargo tree -p "$crate" -e normal --prefix none --offline 2>/dev/null \
    | sed 's/ v[0-9].*//' | sort -u | grep -E "^(${forbidden})$" || true)
  if [ -n "$found" ]; then
    echo "FAIL: $crate depends on: $(echo "$found" | tr '\n' ' ')"
    fail=1
  else
    echo "ok:   $crate depends on none of ${forbidden//|/, }"
  fi
}

web='actix-web|actix-http|actix-server|hyper|axum|utoipa|utoipa-swagger-ui|reqwest'
db='diesel|diesel-async|diesel_migrations|libsqlite3-sys|tokio-postgres|postgres|sqlx|deadpool'
for domain in tidings-kernel tidings-users tidings-roster tidings-groups tidings-messaging tidings-files tidings-push tidings-gateway; do
  check "$domain" "$web|$db|serde"
done
check tidings-http "$db"
check tidings-store "$web"
check tidings-objects "$db"
check tidings-vendors "$db"
exit $fail
