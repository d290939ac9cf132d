-- POST /login with the seeded user's right password ($BENCH_LOGIN_EMAIL,
-- $BENCH_LOGIN_PASSWORD: letters, digits, '-', '@' and '.', so no JSON escaping).
-- Logins past the hashing queue are expected to get 503, so the status codes
-- are counted here (few requests per second; the extra Lua call costs little).
COUNT_STATUS_CODES = true
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}',
  os.getenv("BENCH_LOGIN_EMAIL") or "", os.getenv("BENCH_LOGIN_PASSWORD") or "")
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")
