-- 80 % reads, 20 % writes over 100 users' tokens:
-- 40 % GET /v1/todos/{id}, 20 % GET /v1/todos?page=1&page_size=20,
-- 20 % GET /v1/auth/me, 10 % POST /v1/todos, 10 % PATCH /v1/todos/{id}.
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
local n = 0
function request()
  n = n + 1
  local u = b.user()
  local r = math.random(100)
  if r <= 40 then
    return wrk.format("GET", "/v1/todos/" .. b.todo_of(u), u.auth)
  elseif r <= 60 then
    return wrk.format("GET", "/v1/todos?page=1&page_size=20", u.auth)
  elseif r <= 80 then
    return wrk.format("GET", "/v1/auth/me", u.auth)
  elseif r <= 90 then
    local body = string.format('{"title":"mixed %d","priority":"low"}', n)
    return wrk.format("POST", "/v1/todos", u.json_auth, body)
  else
    local body = string.format('{"is_completed":%s}', (n % 2 == 0) and "true" or "false")
    return wrk.format("PATCH", "/v1/todos/" .. b.todo_of(u), u.json_auth, body)
  end
end
