-- Shared by the bench and soak wrk scripts (each does `dofile` on this file, after
-- defining its own request logic). When wrk ends, writes its results as one JSON
-- object to $WRK_REPORT_OUT (stdout if unset): requests, duration, socket errors,
-- wrk's status-error count (>= 400), the latency distribution in microseconds and
-- the status codes (null when not counted).
--
-- Counting every status code needs a Lua call per response, which costs wrk
-- throughput, so it is on only where a script sets COUNT_STATUS_CODES = true or
-- defines on_response(status, headers, body), or with WRK_COUNT_STATUS_CODES=1.
-- Each thread gets its number as the global `thread_id`.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

codes = {}
if COUNT_STATUS_CODES or on_response or os.getenv("WRK_COUNT_STATUS_CODES") == "1" then
  function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
    if on_response then on_response(status, headers, body) end
  end
end

local function int(x)
  if x == nil or x ~= x or x == math.huge or x == -math.huge then return 0 end
  return math.floor(x)
end

function done(summary, latency, requests)
  local status_codes = "null"
  if response then
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
    status_codes = "{" .. table.concat(list, ",") .. "}"
  end

  local ok = summary.requests > 0
  local function pct(p) if ok then return int(latency:percentile(p)) end return 0 end
  local e = summary.errors
  local json = string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
    '"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d},"status_codes":%s}\n',
    int(summary.duration), int(summary.requests), int(summary.bytes),
    int(e.connect), int(e.read), int(e.write), int(e.status), int(e.timeout),
    ok and int(latency.min) or 0, ok and latency.mean or 0, ok and latency.stdev or 0,
    ok and int(latency.max) or 0,
    pct(50), pct(75), pct(90), pct(99), pct(99.9), status_codes)
  local path = os.getenv("WRK_REPORT_OUT")
  if path and path ~= "" then
    local f = assert(io.open(path, "w"))
    f:write(json)
    f:close()
  else
    io.write(json)
  end
end
