"""Fills a status-api's session cache for tests/bench/run.sh's cache scenario:
python3 fill_session_cache.py <base url> <sessions>. Begins that many
sessions, 50 per user as real accounts have at most (MAX_SESSIONS_PER_USER's
default): each user registers, then logs in 49 more times; the server runs
with a low BCRYPT_COST, so this takes seconds. Then reads GET /me once with
each cookie, so that each session's copy is kept. Four connections, kept
alive; a request the hashing queue turns away (503) is sent again after its
Retry-After. Prints one cookie; exits non-zero on any other answer but 2xx."""

import http.client
import json
import secrets
import sys
import threading
import time
from urllib.parse import urlsplit

base, sessions = sys.argv[1], int(sys.argv[2])
where = urlsplit(base)
PER_USER = 50
CONNECTIONS = 4
TRIES = 50
failures = []
cookies = []
lock = threading.Lock()


def sid_of(response):
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("sid="):
            return value[len("sid="):].split(";", 1)[0]
    raise RuntimeError("no sid cookie set")


def ask(conn, method, path, headers, body=None):
    for _ in range(TRIES):
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 503:
            break
        time.sleep(min(float(response.getheader("Retry-After") or 1), 1.0))
    if response.status // 100 != 2:
        raise RuntimeError(f"{method} {path} answered {response.status}")
    return response


def begin(conn, count):
    """`count` sessions (at most PER_USER) of a new user: their cookies."""
    account = {
        "email": f"bench-cache-{secrets.token_hex(6)}@example.com",
        "password": f"Bench-{secrets.token_hex(10)}-pw",
        "name": "Bench Cache",
    }
    json_body = {"Content-Type": "application/json"}
    found = [sid_of(ask(conn, "POST", "/register", json_body, json.dumps(account)))]
    login = json.dumps({"email": account["email"], "password": account["password"]})
    for _ in range(count - 1):
        found.append(sid_of(ask(conn, "POST", "/login", json_body, login)))
    return found


def worker(count):
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    mine = []
    try:
        while len(mine) < count:
            mine.extend(begin(conn, min(PER_USER, count - len(mine))))
        for sid in mine:
            ask(conn, "GET", "/me", {"Cookie": f"sid={sid}"})
    except (OSError, RuntimeError, http.client.HTTPException) as error:
        with lock:
            failures.append(str(error))
    with lock:
        cookies.extend(mine)


threads = [
    threading.Thread(target=worker, args=(sessions // CONNECTIONS + (i < sessions % CONNECTIONS),))
    for i in range(CONNECTIONS)
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
if failures or len(cookies) != sessions:
    print(f"filling the session cache failed: {failures[:3]}", file=sys.stderr)
    sys.exit(1)
print(cookies[-1])
