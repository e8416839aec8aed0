#!/usr/bin/env bash
# The served OpenAPI documents (equal to crates/http/openapi.json and
# crates/http/openapi-jmessage.json: unit tests keep them the same) must pass
# openapi-spec-validator with no error.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(scripts/python-tools.sh)
for doc in crates/http/openapi.json crates/http/openapi-jmessage.json; do
  "$bin/openapi-spec-validator" --validation-errors all "$doc"
done
