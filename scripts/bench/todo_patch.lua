-- PATCH /v1/todos/{id}: one of the token user's own todos, a title and a flag.
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
local n = 0
function request()
  n = n + 1
  local u = b.user()
  local body = string.format('{"title":"patched %d","is_completed":%s}', n, (n % 2 == 0) and "true" or "false")
  return wrk.format("PATCH", "/v1/todos/" .. b.todo_of(u), u.json_auth, body)
end
