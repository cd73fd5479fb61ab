#!/usr/bin/env bash
# `cargo deny check licenses bans sources` with the repository's deny.toml: every crate's licence
# is on the allow-list, no wildcard version requirement (duplicate versions are only warned
# about), every crate comes from crates.io or a path. No advisory database is read (that is
# scripts/audit.sh); the network is needed only for crates cargo has not fetched yet (crates.io).
#
# cargo-deny $CARGO_DENY_VERSION is installed with `cargo install --locked` when missing (once per
# machine: ~/.cargo/bin keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2

installed=$(cargo deny --version 2>/dev/null | awk '{print $NF}' || true)
if [ "$installed" != "$CARGO_DENY_VERSION" ]; then
  echo "installing cargo-deny $CARGO_DENY_VERSION (found: ${installed:-none}); once per machine, several minutes"
  start=$SECONDS
  nice -n 10 cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked --quiet
  echo "installed cargo-deny $CARGO_DENY_VERSION in $((SECONDS - start)) s"
fi

# --locked: never rewrite Cargo.lock. The duplicate warnings are listed without their inclusion
# graphs (thousands of lines); the errors, if any, are shown again with theirs.
if cargo deny --locked check --hide-inclusion-graph licenses bans sources; then
  exit 0
fi
echo "== the errors again, with how each crate is reached"
cargo deny --locked --log-level error check licenses bans sources || true
echo "deny: cargo deny check licenses bans sources failed (above); the policy is deny.toml" >&2
exit 1
