-- POST /login with the seeded user's right password ($BENCH_LOGIN_EMAIL,
-- $BENCH_LOGIN_PASSWORD: letters, digits, '-', '@' and '.', so no JSON escaping).
-- Logins past the hashing queue are expected to get 503, so the status codes
-- are counted here (few requests per second; the extra Lua call costs little).
--
-- With BENCH_LOGIN_HONOUR_RETRY_AFTER=1 a connection that got 503 waits its
-- Retry-After before the next login, as the contract asks of clients (and the
-- SPA does); otherwise it retries at once, a flood.
COUNT_STATUS_CODES = true
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}',
  os.getenv("BENCH_LOGIN_EMAIL") or "", os.getenv("BENCH_LOGIN_PASSWORD") or "")

if os.getenv("BENCH_LOGIN_HONOUR_RETRY_AFTER") == "1" then
  -- wrk asks delay() for each connection's next request in the order their
  -- responses arrived, so the waits queue up in that order.
  local waits = {}
  function on_response(status, headers, body)
    local wait_ms = 0
    if status == 503 then
      local seconds = tonumber(headers["retry-after"] or headers["Retry-After"] or "1") or 1
      wait_ms = seconds * 1000
    end
    table.insert(waits, wait_ms)
  end
  function delay()
    return table.remove(waits, 1) or 0
  end
end

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../../support/wrk_report.lua")
