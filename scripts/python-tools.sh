#!/usr/bin/env bash
# A Python virtual environment with the API test tools (openapi-spec-validator,
# schemathesis) and the official JMessage client, made once under target/ and reused
# (several callers at once wait for the one that makes it); prints its bin folder.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/python-tools
requirements=scripts/python-tools.txt
stamp="$venv/.installed-$(sha256sum "$requirements" | cut -c1-16)"
mkdir -p target
exec 9>target/python-tools.lock
flock 9
if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  touch "$stamp"
fi
echo "$PWD/$venv/bin"
