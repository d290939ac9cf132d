#!/usr/bin/env bash
# Property-based contract testing: Schemathesis generates requests from the
# server's own OpenAPI document and checks every answer against it, on a live
# server with a fresh database and a logged-in session.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${STATUS_API_URL:-}" ]; then exec tests/support/with-server.sh "$0"; fi

venv=target/schemathesis
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5
fi

# A password no example in the spec carries: with the spec's own example,
# DELETE /me or POST /me/password would end the session every operation
# after it needs.
password="contract-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
curl -fs -c "$jar" -H 'Content-Type: application/json' \
  -d "{\"email\":\"contract@example.com\",\"password\":\"$password\",\"name\":\"Contract\"}" \
  "$STATUS_API_URL/register" >/dev/null
SCHEMATHESIS_SESSION=$(awk '$6 == "sid" { print $7 }' "$jar")
export SCHEMATHESIS_SESSION

"$venv/bin/st" --config-file tests/contract/schemathesis.toml run "$STATUS_API_URL/api-docs/openapi.json"
