-- GET /v1/todos/{id}: a random user's token and one of that user's todos.
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
function request()
  local u = b.user()
  return wrk.format("GET", "/v1/todos/" .. b.todo_of(u), u.auth)
end
