-- POST /v1/auth/login with a random seeded user's right password (JSON body).
-- Every success opens a session row; failures would count towards the
-- throttle, which bench.py raises out of the way.
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
local headers = { ["Content-Type"] = "application/json" }
function request()
  local body = string.format('{"username":"%s","password":"%s"}', b.user().name, b.password)
  return wrk.format("POST", "/v1/auth/login", headers, body)
end
