#!/usr/bin/env bash
# Fuzzes the running API with schemathesis (PyPI, pinned, in a virtualenv
# under target/) against its own /openapi.json, authenticated as an admin,
# with schemathesis's default checks. Starts the `api` binary given (default
# target/debug/api) on a throw-away SQLite database and stops it afterwards.
#
# Usage: scripts/schemathesis.sh [path/to/api]
# ST_MAX_EXAMPLES (default 50) bounds the examples per operation.
set -euo pipefail
SCHEMATHESIS_VERSION="4.32.5"

root="$(cd "$(dirname "$0")/.." && pwd)"
api="$(realpath -m "${1:-$root/target/debug/api}")"
[ -x "$api" ] || { echo "schemathesis: build $api first" >&2; exit 2; }
venv="$root/target/venv-schemathesis"
if [ "$("$venv/bin/python" -m pip show schemathesis 2>/dev/null | sed -n 's/^Version: //p')" != "$SCHEMATHESIS_VERSION" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export HOST=127.0.0.1 PORT="$port" BCRYPT_COST=4 LOG_LEVEL=error ENVIRONMENT=development
export DATABASE_URL="sqlite://$work/app.db?mode=rwc"
export JWT_PRIVATE_KEY_PATH="$work/keys/private_key.pem" JWT_PUBLIC_KEY_PATH="$work/keys/public_key.pem"
# The fuzzer logs in and registers far more often than a person would.
export LOGIN_MAX_FAILURES_PER_ACCOUNT=0 LOGIN_MAX_FAILURES_PER_IP=0 REGISTER_MAX_PER_IP=0
"$api" keygen --dir "$work/keys" >/dev/null
"$api" migrate up >/dev/null
(cd "$work" && exec "$api" serve) &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT

export ST_BASE_URL="http://127.0.0.1:$port" ST_API_BIN="$api"
export ST_USERNAME=fuzz_admin ST_EMAIL=fuzz_admin@example.com ST_PASSWORD=fuzz-admin-password
for _ in $(seq 1 100); do curl -fsS "$ST_BASE_URL/v1/health/live" >/dev/null 2>&1 && break; sleep 0.1; done
(cd "$work" && "$venv/bin/python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import schemathesis_hooks as h; h.ensure_admin()' "$root/scripts")

SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH="$root/scripts" \
  "$venv/bin/schemathesis" --config-file "$root/scripts/schemathesis.toml" run "$ST_BASE_URL/openapi.json" \
    --max-examples "${ST_MAX_EXAMPLES:-50}" \
    --seed 20261124 \
    --no-color
