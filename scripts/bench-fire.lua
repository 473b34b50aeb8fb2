-- wrk script for scripts/bench-fire.sh: POST /api/fire, one mission per request.
-- Arguments (after --): <missions file> <offset> <count>. The file has "<dev token> <mission_id>"
-- lines; this run uses lines [offset, offset+count), split between wrk's threads. When a thread has
-- used all of its lines it starts again from its first: those fires are duplicates (200). The
-- answers are counted by status and printed at the end (fresh = 202, duplicate = 200).
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
