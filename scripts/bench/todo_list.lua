-- GET /v1/todos?page=1&page_size=20 for a random user (each owns 100 todos).
local b = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
b.install()
function request()
  return wrk.format("GET", "/v1/todos?page=1&page_size=20", b.user().auth)
end
