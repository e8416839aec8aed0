#!/usr/bin/env bash
# The served OpenAPI document (equal to crates/http/openapi.json: a unit test keeps them the
# same) must pass openapi-spec-validator with no error.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(scripts/python-tools.sh)
"$bin/openapi-spec-validator" --validation-errors all crates/http/openapi.json
