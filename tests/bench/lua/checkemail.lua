-- POST /checkemail for an address nobody registered ($BENCH_CHECK_EMAIL).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s"}', os.getenv("BENCH_CHECK_EMAIL") or "nobody@example.com")
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../../support/wrk_report.lua")
