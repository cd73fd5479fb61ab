#!/usr/bin/env bash
# Runs the browser tests (tests/browser/docs.test.mjs: Swagger UI and ReDoc;
# tests/browser/reset.test.mjs: the password reset from Swagger UI through the
# mailed link to the reset page, and the mailed verification link on the verify page) against the
# `api` binary given (default target/debug/api). Installs what it needs when
# missing: Debian's chromium (as root, through apt-get) and playwright-core
# from npm (pinned by tests/browser/package-lock.json). No browser download.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
api="$(realpath -m "${1:-$root/target/debug/api}")"
if [ ! -x "$api" ]; then
  echo "browser-test: $api is not an executable; build it first (cargo build -p http-actix --bin api)" >&2
  exit 2
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "browser-test: installing Debian's chromium"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
cd "$root/tests/browser"
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
export CHROMIUM_PATH="$(command -v chromium)"
node docs.test.mjs "$api"
node reset.test.mjs "$api"
