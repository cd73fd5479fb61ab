#!/usr/bin/env bash
# A/B of the pruning indexes (migration 000005): one `api prune` pass over 1M
# sessions (30k ended) with 1M refresh tokens and 200k login events, then a
# second pass with nothing to delete; with the indexes, and with them dropped.
set -euo pipefail
API=${API:-${CARGO_TARGET_DIR:-target}/release/api}
DB=prune_ab_$$
URL=postgres://postgres@127.0.0.1:5432/$DB
API=$(realpath "$API")
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $DB" postgres
D=$(mktemp -d)
trap 'psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE $DB WITH (FORCE)" postgres; rm -rf "$D"' EXIT
(cd $D && DATABASE_URL=$URL LOG_LEVEL=warn $API migrate up >/dev/null)
seed() {
psql -q -h 127.0.0.1 -U postgres $DB <<SQL
TRUNCATE sessions, refresh_tokens, login_attempts;
INSERT INTO users (email, username, full_name, hashed_password, created_at, updated_at, email_key, username_key)
  SELECT 'ab@example.com','ab','ab','x',now(),now(),'ab@example.com','ab' WHERE NOT EXISTS (SELECT 1 FROM users);
INSERT INTO sessions (user_id, created_at, last_used_at, expires_at, revoked_at)
  SELECT (SELECT min(id) FROM users), now() - interval '40 days', now(),
         CASE WHEN g % 50 = 0 THEN now() - interval '2 days' ELSE now() + interval '20 days' END,
         CASE WHEN g % 100 = 1 THEN now() - interval '1 day' END
  FROM generate_series(1, 1000000) g;
INSERT INTO refresh_tokens (token_hash, session_id, created_at)
  SELECT md5(id::text) || md5((id + 1)::text), id, now() FROM sessions;
INSERT INTO login_attempts ("key", occurred_at)
  SELECT 'login-ip:10.0.' || (g % 250) || '.' || (g % 200),
         CASE WHEN g % 4 = 0 THEN now() - interval '3 days' ELSE now() END
  FROM generate_series(1, 200000) g;
VACUUM ANALYZE;
SQL
}
pass() {
  local t0 t1
  t0=$(date +%s.%N)
  out=$(cd $D && DATABASE_URL=$URL LOG_LEVEL=warn $API prune)
  t1=$(date +%s.%N)
  printf '%-10s %-12s %8.2f s  %s\n' "$1" "$2" "$(echo "$t1 - $t0" | bc)" "$out"
}
for variant in indexes no-indexes indexes-again; do
  if [ "$variant" = no-indexes ]; then
    psql -q -h 127.0.0.1 -U postgres $DB -c "DROP INDEX sessions_expires_idx; DROP INDEX sessions_revoked_idx; DROP INDEX login_attempts_occurred_idx;"
  fi
  if [ "$variant" = indexes-again ]; then
    psql -q -h 127.0.0.1 -U postgres $DB -c "CREATE INDEX sessions_expires_idx ON sessions (expires_at); CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL; CREATE INDEX login_attempts_occurred_idx ON login_attempts (occurred_at);"
  fi
  seed
  pass "$variant" backlog
  pass "$variant" steady
done
