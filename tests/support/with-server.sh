#!/usr/bin/env bash
# Runs a command against a live status-api: a fresh database and Redis prefix,
# a free port, fast hashing, rate limits off, mail sent to a real SMTP server
# of its own (tests/support/smtp_sink.py, python3-aiosmtpd) that saves each
# message as N.json in $MAIL_SINK_DIR, with links back to this server. The
# command finds the server at $STATUS_API_URL; everything is removed afterwards.
#   tests/support/with-server.sh COMMAND [ARG...]
# Extra server settings pass through the environment (e.g. STATIC_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."

binary=${STATUS_API_BINARY:-$PWD/target/debug/status-api}
admin_url=${TEST_DATABASE_ADMIN_URL:-mysql://status_api_test:status_api_test@127.0.0.1:3306}
redis_url=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

re='^mysql://([^:@]+):([^@]*)@([^:/]+):([0-9]+)$'
[[ $admin_url =~ $re ]] || { echo "TEST_DATABASE_ADMIN_URL must look like mysql://user:pass@host:port" >&2; exit 2; }
mysql_admin=(mariadb --protocol=tcp -h"${BASH_REMATCH[3]}" -P"${BASH_REMATCH[4]}" -u"${BASH_REMATCH[1]}" -p"${BASH_REMATCH[2]}")
suffix=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
database=status_api_test_live_$suffix
prefix=status-api-test:live-$suffix:
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
workdir=$(mktemp -d)

cleanup() {
  if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "${sink:-}" ]; then kill "$sink" 2>/dev/null || true; wait "$sink" 2>/dev/null || true; fi
  "${mysql_admin[@]}" -e "DROP DATABASE IF EXISTS \`$database\`" || true
  redis-cli -u "$redis_url" --scan --pattern "$prefix*" | xargs -r redis-cli -u "$redis_url" del >/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

"${mysql_admin[@]}" -e "CREATE DATABASE \`$database\`"
export MAIL_SINK_DIR=$workdir/inbox
mail_port=$(free_port)
/usr/bin/python3 tests/support/smtp_sink.py --port "$mail_port" --dir "$MAIL_SINK_DIR" >"$workdir/sink.out" &
sink=$!
for _ in $(seq 100); do
  grep -q ready "$workdir/sink.out" 2>/dev/null && break
  kill -0 "$sink" 2>/dev/null || { echo "the SMTP sink did not start (apt-get install python3-aiosmtpd)" >&2; exit 1; }
  sleep 0.1
done
grep -q ready "$workdir/sink.out" || { echo "the SMTP sink did not start in time" >&2; exit 1; }
# The server runs in an empty directory so that no .env is read.
(
  cd "$workdir"
  export LISTEN_ADDR=127.0.0.1:$port DATABASE_URL="$admin_url/$database" REDIS_URL="$redis_url"
  export REDIS_PREFIX="$prefix" SESSION_SECRET="$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export COOKIE_SECURE=false BCRYPT_COST=4 HASH_CONCURRENCY=4 RUST_LOG=${RUST_LOG:-warn}
  export LOGIN_FAILURE_LIMIT=off LOGIN_IP_LIMIT=off REGISTER_IP_LIMIT=off CHECKEMAIL_IP_LIMIT=off
  export VERIFY_RESEND_LIMIT=off
  export RESET_IP_LIMIT=off
  # These suites test the API and the SPA, not outages: a first write on a
  # busy machine may take over the default 2 s without anything being down.
  export DEPENDENCY_TIMEOUT_MS=${DEPENDENCY_TIMEOUT_MS:-10000}
  export MAIL_URL=smtp://127.0.0.1:$mail_port PUBLIC_URL=http://127.0.0.1:$port
  exec "$binary"
) &
server=$!
export STATUS_API_URL=http://127.0.0.1:$port
for _ in $(seq 200); do
  curl -fs "$STATUS_API_URL/healthz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
"$@"
