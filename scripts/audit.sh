#!/usr/bin/env bash
# Dependency audit: `cargo audit` of Cargo.lock against the RustSec advisory database.
# Fails on any vulnerability, and prints the dependency path of each; warnings (unmaintained,
# unsound, yanked) are printed and do not fail. Path crates (vendor/) are not in its scope:
# scripts/check-vendor.py covers them.
#
# The database: $ADVISORY_DB if set, else the snapshot ../shared/advisory-db beside the
# repository (these machines cannot reach the database's home; see its SNAPSHOT.md), else
# cargo audit fetches its own into ~/.cargo/advisory-db. A folder that is not a git repository
# (the snapshot is not) is copied into a temporary one first: cargo audit reads it through git.
#
# cargo-audit $CARGO_AUDIT_VERSION is installed with `cargo install --locked` when missing (once
# per machine: ~/.cargo/bin keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_AUDIT_VERSION=0.22.2

installed=$(cargo audit --version 2>/dev/null | awk '{print $NF}' || true)
if [ "$installed" != "$CARGO_AUDIT_VERSION" ]; then
  echo "installing cargo-audit $CARGO_AUDIT_VERSION (found: ${installed:-none}); once per machine, several minutes"
  start=$SECONDS
  nice -n 10 cargo install cargo-audit --version "$CARGO_AUDIT_VERSION" --locked --quiet
  echo "installed cargo-audit $CARGO_AUDIT_VERSION in $((SECONDS - start)) s"
fi

src=""
if [ -n "${ADVISORY_DB:-}" ]; then
  src=$ADVISORY_DB
  if [ ! -d "$src/crates" ]; then
    echo "audit: ADVISORY_DB=$src has no crates/ folder: not a RustSec advisory database" >&2
    exit 2
  fi
elif [ -d ../shared/advisory-db/crates ]; then
  src=../shared/advisory-db
fi

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

audit=(cargo audit)
if [ -n "$src" ]; then
  src=$(cd "$src" && pwd)
  if [ -e "$src/.git" ]; then
    db=$src
  else
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/advisory-db.XXXXXX")
    db=$tmp/db
    cp -R "$src" "$db"
    chmod -R u+w "$db"
    # No user or system git configuration: no hooks, signing or templates of this machine.
    GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$db" init -q
    GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$db" add -A
    GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$db" \
      -c user.name=audit -c user.email=audit@localhost commit -q -m "snapshot of $src"
  fi
  desc=$(tr -s ' \n' '  ' <"$src/SNAPSHOT.md" 2>/dev/null | grep -m1 -oE 'commit [0-9a-f]{40} of [0-9-]+' || true)
  echo "advisory database: $src${desc:+ ($desc)}, not fetched"
  # --stale: a snapshot is old by design; advisories published after it are not in it.
  audit+=(--db "$db" --no-fetch --stale)
else
  echo "advisory database: no snapshot at ../shared/advisory-db and ADVISORY_DB unset; cargo audit fetches its own"
fi

if "${audit[@]}"; then
  echo "cargo audit: no vulnerability in Cargo.lock (warnings, if any, are above)"
  exit 0
fi

if [ -z "$src" ] && [ ! -d "${CARGO_HOME:-$HOME/.cargo}/advisory-db" ]; then
  echo "audit: cargo audit could not fetch the advisory database; set ADVISORY_DB to a copy of it" >&2
  exit 2
fi
# cargo audit does not say how each vulnerable crate is reached: cargo tree does (--locked: it
# never rewrites Cargo.lock).
json=$("${audit[@]}" --quiet --json 2>/dev/null || true)
specs=$(python3 -c '
import json, sys
for v in json.load(sys.stdin)["vulnerabilities"]["list"]:
    print(v["package"]["name"] + "@" + v["package"]["version"])' <<<"$json" 2>/dev/null | sort -u || true)
for spec in $specs; do
  echo "== how $spec is reached (cargo tree --invert, all targets)"
  cargo tree --quiet --locked --workspace --target all --invert "$spec" || true
done
echo "audit: cargo audit found vulnerabilities in Cargo.lock (above)" >&2
exit 1
