# Shared by tests/bench/run.sh and tests/soak/run.sh (sourced, after `set -euo
# pipefail`): messages, missing tools, the MariaDB and Redis they are pointed at,
# processes and their memory, ports, registering a user.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[33mwarning: %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror: %s\033[0m\n' "$*" >&2; exit 1; }
rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

install_missing() { # command=package ...: installs the packages of the commands not found
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null || missing+=("${pair#*=}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  command -v apt-get >/dev/null && as_root true 2>/dev/null \
    || die "missing: ${missing[*]} (install them, e.g. apt-get install ${missing[*]})"
  say "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

use_mariadb() { # url setting: the account sql and as_mariadb_admin use
  local re='^mysql://([^:@/]+)(:([^@]*))?@([^:/]+)(:([0-9]+))?/?$'
  [[ $1 =~ $re ]] || die "$2 must look like mysql://user[:password]@host[:port]"
  db_user=${BASH_REMATCH[1]} db_pass=${BASH_REMATCH[3]} db_host=${BASH_REMATCH[4]} db_port=${BASH_REMATCH[6]:-3306}
  sql -e 'SELECT 1' >/dev/null 2>&1 || die "MariaDB does not answer at $db_host:$db_port as $db_user (make test-db; or set $2)"
}
as_mariadb_admin() { # client args...: a MariaDB client program as that account, over TCP
  local client=$1
  shift
  if [ -n "$db_pass" ]; then
    MYSQL_PWD=$db_pass "$client" --protocol=tcp -h"$db_host" -P"$db_port" -u"$db_user" "$@"
  else
    "$client" --protocol=tcp -h"$db_host" -P"$db_port" -u"$db_user" "$@"
  fi
}
sql() { as_mariadb_admin mariadb -N -B "$@"; }

use_redis() { # url setting: the server rcli talks to
  local re='^redis://(([^:@/]*)(:([^@]*))?@)?([^:/]+)(:([0-9]+))?(/([0-9]+))?$'
  [[ $1 =~ $re ]] || die "$2 must look like redis://[[user]:password@]host[:port][/db]"
  r_user=${BASH_REMATCH[2]} r_pass=${BASH_REMATCH[4]} r_host=${BASH_REMATCH[5]} r_port=${BASH_REMATCH[7]:-6379} r_db=${BASH_REMATCH[9]:-0}
  [ "$(rcli PING 2>/dev/null)" = PONG ] || die "Redis does not answer at $r_host:$r_port (make services; or set $2)"
}
rcli() {
  local auth=()
  [ -n "$r_user" ] && auth+=(--user "$r_user")
  if [ -n "$r_pass" ]; then REDISCLI_AUTH=$r_pass redis-cli "${auth[@]}" -h "$r_host" -p "$r_port" -n "$r_db" "$@"
  else redis-cli "${auth[@]}" -h "$r_host" -p "$r_port" -n "$r_db" "$@"; fi
}

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
proc_status() { # pid field: the number of that field of /proc/<pid>/status (VmRSS, VmHWM: KiB;
  # Threads), without a fork, so it can sample often; fails once the process is gone
  local key value _
  {
    while read -r key value _; do
      if [ "$key" = "$2:" ]; then echo "$value"; return 0; fi
    done <"/proc/$1/status"
  } 2>/dev/null
  return 1
}
wait_gone() { # pid seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do alive "$1" || return 0; sleep 0.1; done
  return 1
}

free_port() { # below the ephemeral range, so no client socket holds it
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  die "no free port found"
}

register() { # base-url email password name body-file: POST /register, prints the session cookie;
  # the answer's body stays in body-file
  local code sid
  code=$(curl -sS -o "$5" -D "$5.headers" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"email\":\"$2\",\"password\":\"$3\",\"name\":\"$4\"}" "$1/register")
  [ "$code" = 201 ] || die "POST $1/register answered $code: $(head -c 300 "$5")"
  sid=$(tr -d '\r' <"$5.headers" | sed -nE 's/^[Ss]et-[Cc]ookie: *sid=([^;]*).*/\1/p' | tail -n 1)
  [ -n "$sid" ] || die "POST $1/register set no sid cookie"
  echo "$sid"
}

finish() { # rc what: ends a run's cleanup: says why it stopped, keeps a failed run's
  # files ($tmp) in $out_dir/failed-$run_id, removes $tmp and exits with rc
  local rc=$1
  if [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
    echo "interrupted; everything the $2 started is stopped and removed" >&2
  elif [ "$failed" = 1 ] && [ "$rc" -ne 0 ]; then
    if [ -s "$tmp/server.log" ]; then echo "--- last lines of the server's log:" >&2; tail -n 20 "$tmp/server.log" >&2; fi
    local keep="$out_dir/failed-$run_id"
    mkdir -p "$keep" 2>/dev/null && cp -r "$tmp"/. "$keep"/ 2>/dev/null && echo "logs kept in $keep" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
