-- POST /v1/todos for a random user.
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
local n = 0
function request()
  n = n + 1
  local body = string.format('{"title":"bench todo %d","description":"made by wrk","priority":"high"}', n)
  return wrk.format("POST", "/v1/todos", b.user().json_auth, body)
end
