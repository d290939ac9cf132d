"""Checks a GET /me/export document for tests/bench/run.sh's export scenario:
python3 check_export.py <file> <user id> <statuses expected>. Prints one JSON
object: whether the document parses, has the contract's four keys and the
user's id, and how many statuses it holds, newest first. A ~100 MB document
takes a few hundred MB here, outside the server being measured."""

import json
import sys

path, user_id, expected = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    with open(path, "rb") as f:
        doc = json.load(f)
except (OSError, ValueError) as error:
    print(json.dumps({"valid": False, "statuses": None, "error": str(error)[:200]}))
    sys.exit(0)

problems = []
if not isinstance(doc, dict) or sorted(doc) != ["security_events", "sessions", "statuses", "user"]:
    problems.append("not an object of user, sessions, statuses, security_events")
    statuses = []
else:
    statuses = doc["statuses"] if isinstance(doc["statuses"], list) else []
    if not isinstance(doc["user"], dict) or doc["user"].get("id") != user_id:
        problems.append("not the user's document")
ids = [s.get("id") if isinstance(s, dict) else None for s in statuses]
if any(not isinstance(i, int) for i in ids) or any(a <= b for a, b in zip(ids, ids[1:])):
    problems.append("statuses not newest first")
if len(statuses) != expected:
    problems.append(f"{len(statuses)} statuses, not {expected}")
print(json.dumps({"valid": not problems, "statuses": len(statuses), "error": "; ".join(problems) or None}))
