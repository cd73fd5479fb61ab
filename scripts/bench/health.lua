-- GET /v1/health (no token; the handler probes the database).
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
function request()
  return wrk.format("GET", "/v1/health")
end
