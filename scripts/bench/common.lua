-- Shared by every wrk scenario script: loads the seeded data, seeds the
-- random generator per thread, counts responses per status, and prints one
-- machine-readable line (BENCH_RESULT {...}) that scripts/bench.py parses.
--
-- Environment: BENCH_DATA is the file bench.py writes, one line per user:
--   <user_id> <username> <access_token> <todo_id>,<todo_id>,...
-- BENCH_PASSWORD is the password of every seeded user (login scenario only).

local M = {}

M.users = {}
local path = os.getenv("BENCH_DATA")
if path then
  for line in io.lines(path) do
    local id, name, token, ids = line:match("^(%d+) (%S+) (%S+) (%S+)$")
    if id then
      local todos = {}
      for t in ids:gmatch("%d+") do todos[#todos + 1] = t end
      M.users[#M.users + 1] = {
        id = id, name = name, todos = todos,
        auth = { ["Authorization"] = "Bearer " .. token },
        json_auth = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
      }
    end
  end
end
M.password = os.getenv("BENCH_PASSWORD") or ""

function M.user()
  return M.users[math.random(#M.users)]
end

function M.todo_of(u)
  return u.todos[math.random(#u.todos)]
end

-- Hooks wired into wrk's globals by M.install().
local threads = {}
local counter = 0

function M.install()
  function setup(thread)
    counter = counter + 1
    thread:set("thread_id", counter)
    threads[#threads + 1] = thread
  end

  function init(args)
    math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
    statuses = {}
  end

  function response(status, headers, body)
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end

  function done(summary, latency, requests)
    local merged = {}
    for _, t in ipairs(threads) do
      local s = t:get("statuses")
      if s then
        for k, v in pairs(s) do merged[k] = (merged[k] or 0) + v end
      end
    end
    local parts = {}
    for k, v in pairs(merged) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
    local e = summary.errors
    io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"http_errors":%d,' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"statuses":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      table.concat(parts, ",")))
  end
end

return M
