-- Shared by the soak scripts (each does `dofile` on this file): counts every
-- status code, and when wrk ends writes one JSON object to $SOAK_WRK_OUT
-- (stdout if unset): requests, duration, socket errors, status codes and the
-- latency distribution in microseconds.

local threads = {}

-- Each thread gets its number as the global `thread_id`.
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

codes = {}

-- A script that needs the response too defines on_response(status, headers, body).
function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if on_response then on_response(status, headers, body) end
end

local function int(x)
  if x == nil or x ~= x or x == math.huge or x == -math.huge then return 0 end
  return math.floor(x)
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("codes")
    if c then
      for status, n in pairs(c) do counts[status] = (counts[status] or 0) + n end
    end
  end
  local list = {}
  for status, n in pairs(counts) do
    table.insert(list, string.format('"%d":%d', status, n))
  end
  local ok = summary.requests > 0
  local function pct(p) if ok then return int(latency:percentile(p)) end return 0 end
  local e = summary.errors
  local json = string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"status_codes":{%s}}\n',
    int(summary.duration), int(summary.requests), int(summary.bytes),
    int(e.connect), int(e.read), int(e.write), int(e.status), int(e.timeout),
    ok and int(latency.min) or 0, ok and latency.mean or 0, ok and int(latency.max) or 0,
    pct(50), pct(90), pct(99), pct(99.9), table.concat(list, ","))
  local path = os.getenv("SOAK_WRK_OUT")
  if path and path ~= "" then
    local f = assert(io.open(path, "w"))
    f:write(json)
    f:close()
  else
    io.write(json)
  end
end
