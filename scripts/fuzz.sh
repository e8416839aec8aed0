#!/usr/bin/env bash
# API fuzzing: schemathesis against the real server (a debug build on a fresh SQLite
# database), with an app, users and a group seeded, for a bounded time.
#   scripts/fuzz.sh [SECONDS]        (default 150; `just fuzz` passes its argument)
# Fails on any HTTP 5xx, any answer with code 20000, any answer off its documented schema,
# and any ERROR line in the server's log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-150}
bin=$(scripts/python-tools.sh)
cargo build --locked -q -p tidings-app
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# The fuzzer is one client on one address, and fast: lift the limits that would refuse it.
TIDINGS_DATA_DIR="$work" TIDINGS_LISTEN="127.0.0.1:$port" TIDINGS_BCRYPT_COST=4 \
  TIDINGS_LOGINS_PER_IP=1000000 TIDINGS_REGISTRATIONS_PER_IP=1000000 \
  TIDINGS_SENDS_PER_USER=1000000 TIDINGS_LOGIN_FREE_FAILURES=1000000000 RUST_LOG=info \
  target/debug/tidings serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
app_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["app_id"])' "$work/default-app.json")
admin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin_token"])' "$work/default-app.json")
call() { curl -fs -H "app_id: $app_id" -H "content-type: application/json" "$@"; }
# Seed: two users who are friends, a group of both, a message between them.
ann=$(call -d '{"username":"ann","password":"secret-pw"}' "$base/user/register/v2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["user_id"])')
bob=$(call -d '{"username":"bob","password":"secret-pw"}' "$base/user/register/v2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["user_id"])')
call -H "access-token: $admin" -H "user_id: $ann" -d "{\"user_id\":$bob}" "$base/roster/apply" >/dev/null
call -H "access-token: $admin" -H "user_id: $ann" -d "{\"name\":\"g\",\"user_list\":[$bob]}" "$base/group/create" >/dev/null
call -H "access-token: $admin" -d "{\"targets\":[$bob],\"type\":1,\"content\":\"hi\",\"from_user_id\":$ann}" "$base/message/send" >/dev/null
user=$(call -d '{"name":"ann","password":"secret-pw"}' "$base/token/user" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')
status=0
# Half the time with the admin token (every operation, as any user via user_id), half
# with ann's user token (what a client app can do).
# CPython 3.11.7 (this machine's) sometimes raises "AST constructor recursion depth
# mismatch" (CPython gh-106905, fixed in 3.11.8) while hypothesis describes a strategy: an
# error of the tool, not a finding. A half that failed with only that error is run again
# once; a real failure (a FAILURES section) never is.
for token in "$admin" "$user"; do
  for attempt in 1 2; do
    echo "fuzzing $base for $((seconds / 2)) s (app $app_id, users $ann and $bob)"
    log="$work/schemathesis-$attempt.log"
    set +e
    SCHEMATHESIS_HOOKS=scripts.fuzz_hooks PYTHONPATH=. "$bin/schemathesis" run "$base/openapi.json" \
      --header "app_id: $app_id" --header "access-token: $token" \
      --checks not_a_server_error,response_schema_conformance,no_internal_error \
      --max-time $((seconds / 2)) --workers 2 --seed 1 \
      --phases examples,coverage,fuzzing \
      --request-timeout 10 --no-color 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" -ne 0 ] && [ "$attempt" -eq 1 ] && ! grep -q "= FAILURES =" "$log" \
      && grep -q "AST constructor recursion depth mismatch" "$log"; then
      echo "schemathesis hit CPython gh-106905 inside hypothesis (not a finding): again"
      continue
    fi
    [ "$rc" -eq 0 ] || status=$rc
    break
  done
done
# actix logs a request its HTTP parser refused (answered 400) as an ERROR of its own: that
# is the client's error, not the server's.
if grep -a "ERROR" "$work/server.log" | grep -v "request parse error" | head -20 | grep .; then
  echo "FAIL: the server logged errors (above)"
  status=1
fi
exit $status
