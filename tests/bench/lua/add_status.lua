-- POST /addStatus with a fixed text; the session cookie comes with -H.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"text":"Benchmark status: the quick brown fox jumps over the lazy dog. 🦊"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../../support/wrk_report.lua")
