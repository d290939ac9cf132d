-- The seeded user's day, over and over: of every 20 requests, 8 GET /me,
-- 6 GET /fetchStatus (first pages and older pages), 4 POST /checkemail (a new
-- address each time) and 2 POST /addStatus. The session cookie is $SOAK_COOKIE
-- (the value of `sid`).
COUNT_STATUS_CODES = true
local cookie = "sid=" .. (os.getenv("SOAK_COOKIE") or "")
local n = 0
local get = { Cookie = cookie }
local post = { Cookie = cookie, ["Content-Type"] = "application/json" }
local me, first_page, add_status

function init(args)
  math.randomseed(os.time() * 100 + (thread_id or 0))
  me = wrk.format("GET", "/me", get)
  first_page = wrk.format("GET", "/fetchStatus?limit=20", get)
  add_status = wrk.format("POST", "/addStatus", post,
    '{"text":"Soak status: the quick brown fox jumps over the lazy dog. 🦊"}')
end

local pattern = { "me", "fetch", "me", "check", "me", "fetch", "add", "me", "check", "fetch",
                  "me", "fetch", "me", "check", "me", "fetch", "add", "me", "check", "older" }

function request()
  n = n + 1
  local kind = pattern[(n - 1) % #pattern + 1]
  if kind == "me" then return me end
  if kind == "fetch" then return first_page end
  if kind == "add" then return add_status end
  if kind == "older" then
    return wrk.format("GET", string.format("/fetchStatus?limit=%d&before=%d",
      math.random(1, 100), math.random(1, 200000)), get)
  end
  return wrk.format("POST", "/checkemail", post,
    string.format('{"email":"soak-%d-%d@example.com"}', thread_id or 0, n))
end

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../../support/wrk_report.lua")
