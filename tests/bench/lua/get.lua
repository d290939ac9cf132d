-- GET the URL given to wrk (GET /me, /fetchStatus, /healthz); the session
-- cookie, when needed, comes with wrk's -H "Cookie: sid=...".
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../../support/wrk_report.lua")
