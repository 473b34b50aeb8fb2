-- wrk script for scripts/bench-fire.sh: POST /api/fire, one mission per request.
-- Arguments (after --): <missions file> <offset> <count>. The file has "<dev token> <mission_id>"
-- lines; this run uses lines [offset, offset+count), split between wrk's threads. When a thread has
-- used all of its lines it starts again from its first: those fires are duplicates (200). The
-- answers are counted by status and printed at the end (fresh = 202, duplicate = 200).
--
-- Paced (open-loop) mode: with BENCH_FIRE_RATE=<requests per second> in the environment, each wrk
-- thread sends its share of that rate on a fixed schedule (one request every threads/rate seconds,
-- whichever connection is free), instead of one request as soon as the previous answer arrived. The
-- latency wrk reports is then the server's answer time at that offered rate, not the queueing of a
-- closed loop. If every connection is busy the schedule is late and catches up (wrk still measures
-- from the send), so use enough connections for rate x latency.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
  thread:set("nthreads", 0)
end

local requests = {}
local next_index = 0
counts = {}

function init(args)
  local file, offset, count = args[1], tonumber(args[2]), tonumber(args[3])
  local n = tonumber(args[4])
  nthreads = n
  local i = 0
  for line in io.lines(file) do
    if i >= offset and i < offset + count and (i - offset) % n == (tid - 1) then
      local token, mission = line:match("(%S+) (%S+)")
      requests[#requests + 1] = wrk.format("POST", "/api/fire",
        { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
        '{"mission_id":"' .. mission .. '"}')
    end
    i = i + 1
    if i >= offset + count then break end
  end
end

local pace_rate = tonumber(os.getenv("BENCH_FIRE_RATE") or "")
if pace_rate and pace_rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_fire_timespec;
    int clock_gettime(int clock_id, bench_fire_timespec* ts);
  ]]
  local ts = ffi.new("bench_fire_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local next_ms = nil
  -- wrk asks before every request on a connection: milliseconds to wait before sending it.
  function delay()
    local now = now_ms()
    local interval = 1000 * nthreads / pace_rate
    if next_ms == nil then next_ms = now end
    next_ms = next_ms + interval
    local d = next_ms - now
    if d < 0 then return 0 end
    return d
  end
end

function request()
  next_index = next_index + 1
  if next_index > #requests then next_index = 1 end
  return requests[next_index]
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d: %d\n", status, n)) end
end
