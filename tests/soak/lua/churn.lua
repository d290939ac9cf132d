-- Sessions coming and going: POST /login as the churn user ($SOAK_CHURN_EMAIL,
-- $SOAK_CHURN_PASSWORD: letters, digits, '-', '@' and '.'), then POST /logout
-- with the new cookie, over and over. Run it with as many threads as
-- connections (-t N -c N), so each thread's requests are strictly one after
-- the other and the cookie of a login is the one its logout sends.
local login, sid

function init(args)
  -- Built here, not at load, so that wrk has set the Host header.
  login = wrk.format("POST", "/login", { ["Content-Type"] = "application/json" },
    string.format('{"email":"%s","password":"%s"}',
      os.getenv("SOAK_CHURN_EMAIL") or "", os.getenv("SOAK_CHURN_PASSWORD") or ""))
end

function request()
  if sid then
    local logout = wrk.format("POST", "/logout", { Cookie = "sid=" .. sid })
    sid = nil
    return logout
  end
  return login
end

function on_response(status, headers, body)
  if status ~= 200 then return end
  for name, value in pairs(headers) do
    if string.lower(name) == "set-cookie" then
      sid = string.match(value, "^sid=([^;]+)") or sid
    end
  end
end

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "../../support/wrk_report.lua")
