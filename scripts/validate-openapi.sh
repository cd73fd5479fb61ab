#!/usr/bin/env bash
# Validates an OpenAPI document (JSON or YAML) against the OpenAPI
# specification with openapi-spec-validator (pinned below), installed into a
# virtualenv under target/ on first use. Starts nothing: produce the file
# first, e.g. `cargo run -q -- openapi > target/openapi.json`.
#
# Usage: scripts/validate-openapi.sh [SPEC]   (default: target/openapi.json)
# OPENAPI_VERSION (default 3.1) is the specification version the document
# must follow. Exit status: 0 when valid; non-zero, with the validator's
# report, otherwise.
set -euo pipefail

VALIDATOR_VERSION="0.9.0"

root="$(cd "$(dirname "$0")/.." && pwd)"
spec="${1:-$root/target/openapi.json}"
venv="$root/target/venv"

if [ ! -s "$spec" ]; then
  echo "validate-openapi: $spec is missing or empty" >&2
  exit 2
fi

installed="$("$venv/bin/python" -m pip show openapi-spec-validator 2>/dev/null \
  | sed -n 's/^Version: //p' || true)"
if [ "$installed" != "$VALIDATOR_VERSION" ]; then
  echo "validate-openapi: installing openapi-spec-validator $VALIDATOR_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "openapi-spec-validator==$VALIDATOR_VERSION"
fi

"$venv/bin/openapi-spec-validator" --schema "${OPENAPI_VERSION:-3.1}" \
  --validation-errors all "$spec"
