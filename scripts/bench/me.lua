-- GET /v1/auth/me for a random user.
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
function request()
  return wrk.format("GET", "/v1/auth/me", b.user().auth)
end
