#!/usr/bin/env bash
# status-api benchmark (`make bench`): starts the release binary against the real
# MariaDB and Redis with a fresh database and Redis key prefix, seeds one user with
# 200 statuses, drives each scenario with wrk for a fixed time, measures the ceilings
# (the same server's /healthz, mariadb-slap on the statuses query, redis-benchmark
# GET) in the same run, and prints medians of interleaved rounds. The export scenario
# measures memory, not speed: a second user gets 1,000,000 statuses straight into
# MariaDB, and each round streams its GET /me/export once at full speed and once to
# a slow reader while the server's RSS is sampled every 0.1 s. The cache scenario
# measures memory too: a server of its own (BCRYPT_COST=4, so that logging in costs
# little) has its session cache filled, BENCH_CACHE_SESSIONS sessions each read
# once, and each round reads GET /me at BENCH_CACHE_CONNECTIONS while its peak RSS
# is taken. Writes
# target/bench/<timestamp>.json and target/bench/latest.json. With BENCH_COMPARE=1
# (`make bench-compare`) the same scenarios also run, interleaved, against the Node
# stack (twice) and tests/bench/actix-stock, the routes written on stock actix-web,
# and the report gives ours ÷ each. Stops and removes everything it started, on
# success, failure or Ctrl+C.
#
# Environment (all optional):
#   BENCH_BINARY              server binary (default $CARGO_TARGET_DIR/release/status-api, where
#                             make bench builds it; target/ in the repo root when that is unset)
#   BENCH_SECONDS             seconds per scenario (15)
#   BENCH_CONNECTIONS         connections per scenario and ceiling (64)
#   BENCH_LOGIN_CONNECTIONS   connections of the login scenarios, alone and beside /fetchStatus
#                             (= BENCH_CONNECTIONS; past the hashing queue the extra ones get 503,
#                             and wait its Retry-After when alone, but retry at once, a flood,
#                             beside /fetchStatus)
#   BENCH_THREADS             wrk threads (2)
#   BENCH_ROUNDS              interleaved rounds; the report shows medians (3)
#   BENCH_TIMEOUT             wrk's per-request timeout in seconds (10)
#   BENCH_PAUSE               seconds of quiet between runs (1), after the target is idle again
#   BENCH_SETTLE_MAX          longest wait, in seconds, for a target to become idle after a run (120)
#   BENCH_SCENARIOS           comma list among healthz,me,fetch,add,checkemail,login,fetch_login,export,cache
#                             (all; export and cache run against status-api only)
#   BENCH_EXPORT_STATUSES     statuses of the export's user (1000000)
#   BENCH_EXPORT_SLOW_RATE    the slow reader's curl --limit-rate (1M: 1 MiB/s); it stops after
#                             BENCH_SECONDS
#   BENCH_CACHE_SESSIONS      sessions the cache scenario fills the cache with (10000: the default
#                             SESSION_CACHE_ENTRIES, which its server keeps)
#   BENCH_CACHE_CONNECTIONS   connections of the cache scenario's GET /me (256)
#   BENCH_STATUS_CODES=1      count every status code in every scenario (costs wrk some throughput)
#   BENCH_DATABASE_ADMIN_URL  mysql://user[:password]@host:port that may create/drop databases
#                             (the status_api_test account that make test-db creates)
#   BENCH_DATABASE_PARAMS     query string added to the server's DATABASE_URL (e.g. prefer_socket=false)
#   BENCH_REDIS_URL           redis://[[user]:password@]host:port[/db] (redis://127.0.0.1:6379/0)
#   BENCH_REDIS_CLUSTER_URLS  comma-separated redis://[[user]:password@]host:port seed nodes of a Redis
#                             Cluster: the server gets them as REDIS_CLUSTER_URLS instead of a REDIS_URL.
#                             Its Redis CPU is then summed over the cluster's redis-server processes on
#                             this machine (primaries and replicas), its Redis commands over the
#                             primaries, the redis-benchmark ceiling is the cluster's (--cluster), and
#                             the cleanup scans every primary. BENCH_REDIS_URL must still answer (it is
#                             the Node baselines' and BENCH_SINGLE_NODE_BASELINE's)
#   BENCH_SINGLE_NODE_BASELINE=1  with BENCH_REDIS_CLUSTER_URLS: a second status-api, on BENCH_REDIS_URL
#                             (target single-node, a database of its own), seeded the same way, run
#                             interleaved; the ratios ours/baseline are then cluster/single node
#   BENCH_OUT_DIR             where the JSON goes (target/bench)
#   BASELINE_URL              another server on the same routes (cookie `sid`): seeded the same
#                             way, run interleaved, reported as ratios ours/baseline
#   BENCH_COMPARE=1           start ../shared/bench/node-express twice (1 process, WORKERS=2), and
#                             tests/bench/actix-stock (the same routes on stock actix-web,
#                             actix-session's RedisSessionStore, mysql_async and bcrypt; as many
#                             actix workers as status-api, the available parallelism, and as
#                             many MariaDB connections, DATABASE_POOL_MAX), and compare against
#                             all three (BENCH_NODE_DIR overrides the Node stack's location).
#                             The actix peer is built first (cargo build --release --locked
#                             --manifest-path tests/bench/actix-stock/Cargo.toml, into
#                             CARGO_TARGET_DIR when set)
#   BENCH_ACTIX_STOCK_BINARY  with BENCH_COMPARE=1: the actix peer's binary, not built then
#   Server settings not set here (HASH_CONCURRENCY, DATABASE_POOL_MAX, REDIS_POOL_MAX, ...)
#   pass through from the environment; a .env in the repo is not read.
#
# Servers (ours, the Node ones, the actix peer) run in sessions of their own, as services do: with
# the kernel's autogroup scheduling (kernel.sched_autogroup_enabled, on by default), a
# server in the load generator's session would share one CPU group with wrk's threads,
# while MariaDB and Redis each have one, and its latency tail would measure that.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

secs=${BENCH_SECONDS:-15}
conns=${BENCH_CONNECTIONS:-64}
login_conns=${BENCH_LOGIN_CONNECTIONS:-$conns}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-3}
wrk_timeout=${BENCH_TIMEOUT:-10}
pause=${BENCH_PAUSE:-1}
settle_max=${BENCH_SETTLE_MAX:-120}
scenarios=${BENCH_SCENARIOS:-healthz,me,fetch,add,checkemail,login,fetch_login,export,cache}
export_statuses=${BENCH_EXPORT_STATUSES:-1000000}
export_slow_rate=${BENCH_EXPORT_SLOW_RATE:-1M}
cache_sessions=${BENCH_CACHE_SESSIONS:-10000}
cache_conns=${BENCH_CACHE_CONNECTIONS:-256}
binary=${BENCH_BINARY:-${CARGO_TARGET_DIR:-target}/release/status-api}
[[ $binary = /* ]] || binary="$root/$binary"
admin_url=${BENCH_DATABASE_ADMIN_URL:-mysql://status_api_test:status_api_test@127.0.0.1:3306}
redis_url=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/0}
out_dir=${BENCH_OUT_DIR:-$root/target/bench}
db_params=${BENCH_DATABASE_PARAMS:-}
baseline_url=${BASELINE_URL:-}
cluster_urls=${BENCH_REDIS_CLUSTER_URLS:-}
single_node_baseline=${BENCH_SINGLE_NODE_BASELINE:-0}
compare=${BENCH_COMPARE:-0}
node_dir=${BENCH_NODE_DIR:-$root/../shared/bench/node-express}
actix_stock_binary=${BENCH_ACTIX_STOCK_BINARY:-}
[ -z "$actix_stock_binary" ] || [[ $actix_stock_binary = /* ]] || actix_stock_binary="$root/$actix_stock_binary"
bcrypt_cost=12

# shellcheck source=../support/load_lib.sh
. "$root/tests/support/load_lib.sh"
now() { echo "$EPOCHREALTIME"; }
wanted() { [[ ",$scenarios," = *",$1,"* ]]; }

for v in secs conns login_conns threads rounds wrk_timeout settle_max export_statuses cache_sessions cache_conns; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ $pause =~ ^[0-9]+([.][0-9]+)?$ ]] || die "BENCH_PAUSE must be a number of seconds"
[[ $export_slow_rate =~ ^[1-9][0-9]*[kKmMgG]?$ ]] || die "BENCH_EXPORT_SLOW_RATE must be a curl --limit-rate (e.g. 1M)"
[ "$single_node_baseline" != 1 ] || [ -n "$cluster_urls" ] \
  || die "BENCH_SINGLE_NODE_BASELINE=1 compares against the cluster of BENCH_REDIS_CLUSTER_URLS, which is unset"
IFS=, read -r -a scenario_list <<<"$scenarios"
for s in "${scenario_list[@]}"; do
  [[ $s =~ ^(healthz|me|fetch|add|checkemail|login|fetch_login|export|cache)$ ]] || die "unknown scenario '$s' in BENCH_SCENARIOS"
done

## Tools ---------------------------------------------------------------------

tools=(wrk=wrk mariadb=mariadb-client mariadb-slap=mariadb-client redis-cli=redis-tools
  redis-benchmark=redis-tools jq=jq curl=curl setsid=util-linux)
[ "$compare" = 1 ] && tools+=(node=nodejs npm=npm)
{ wanted export || wanted cache; } && tools+=(python3=python3)
install_missing "${tools[@]}"

[ -x "$binary" ] || die "no server binary at $binary (cargo build --release --locked, or set BENCH_BINARY)"

# The actix peer is built here, before anything is started: a no-op when it is
# up to date, a few minutes the first time. Cargo says where the binary is.
if [ "$compare" = 1 ] && [ -z "$actix_stock_binary" ]; then
  command -v cargo >/dev/null \
    || die "BENCH_COMPARE=1 builds tests/bench/actix-stock with cargo, which is missing (or set BENCH_ACTIX_STOCK_BINARY)"
  say "building the stock actix-web peer (tests/bench/actix-stock, release)"
  actix_stock_binary=$(cd "$root" && cargo build --release --locked --manifest-path "$here/actix-stock/Cargo.toml" \
      --message-format=json-render-diagnostics \
    | jq -r 'select(.reason == "compiler-artifact" and .executable != null) | .executable') \
    || die "building tests/bench/actix-stock failed"
fi
[ "$compare" != 1 ] || [ -x "$actix_stock_binary" ] \
  || die "no actix peer binary at '$actix_stock_binary' (BENCH_ACTIX_STOCK_BINARY)"

## MariaDB and Redis -----------------------------------------------------------

use_mariadb "$admin_url" BENCH_DATABASE_ADMIN_URL
slap() { as_mariadb_admin mariadb-slap "$@"; }
if wanted export && [ "$(sql -e "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'SEQUENCE'")" != YES ]; then
  die "the export scenario seeds its user through MariaDB's SEQUENCE engine, which this server lacks; leave export out of BENCH_SCENARIOS"
fi
use_redis "$redis_url" BENCH_REDIS_URL
single_redis_url="redis://$r_host:$r_port/$r_db"
[ -n "$r_user$r_pass" ] && single_redis_url="redis://$r_user${r_pass:+:$r_pass}@$r_host:$r_port/$r_db"

# The cluster's nodes are reached with the first seed's credentials, each on its
# own: SCAN and INFO answer for the one node asked.
ccli() { # host:port redis-cli-args...
  local node=$1 auth=()
  shift
  [ -n "$c_user" ] && auth+=(--user "$c_user")
  if [ -n "$c_pass" ]; then REDISCLI_AUTH=$c_pass redis-cli "${auth[@]}" -h "${node%:*}" -p "${node##*:}" "$@"
  else redis-cli "${auth[@]}" -h "${node%:*}" -p "${node##*:}" "$@"; fi
}
cluster_nodes() { # [master]: host:port of each node not failing (of each primary), from the first seed that answers
  local seed nodes
  for seed in "${c_seeds[@]}"; do
    nodes=$(ccli "$seed" CLUSTER NODES 2>/dev/null) || continue
    [[ $nodes = *master* ]] || continue
    awk -v role="${1:-}" '$3 !~ /fail|noaddr|handshake/ && $3 ~ role { sub(/@.*/, "", $2); print $2 }' <<<"$nodes"
    return 0
  done
  return 1
}
c_seeds=() c_user="" c_pass="" cluster_primaries=""
if [ -n "$cluster_urls" ]; then
  IFS=, read -r -a seed_urls <<<"$cluster_urls"
  for u in "${seed_urls[@]// /}"; do
    [[ $u =~ ^redis://(([^:@/]*)(:([^@]*))?@)?([^:/]+)(:([0-9]+))?(/0?)?$ ]] \
      || die "BENCH_REDIS_CLUSTER_URLS: '$u' must look like redis://[[user]:password@]host[:port]"
    c_seeds+=("${BASH_REMATCH[5]}:${BASH_REMATCH[7]:-6379}")
    [ ${#c_seeds[@]} -gt 1 ] || c_user=${BASH_REMATCH[2]} c_pass=${BASH_REMATCH[4]}
  done
  cluster_primaries=$(cluster_nodes master | tr '\n' ' ') || die "no node of BENCH_REDIS_CLUSTER_URLS answers CLUSTER NODES"
  [[ $(ccli "${cluster_primaries%% *}" CLUSTER INFO 2>/dev/null) = *cluster_state:ok* ]] \
    || die "the Redis Cluster of BENCH_REDIS_CLUSTER_URLS is not in cluster_state:ok"
fi

## State and cleanup -----------------------------------------------------------

run_id=$(rand_hex 4)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/status-api-bench.XXXXXX")
records="$tmp/records.jsonl"
: >"$records"
db_name="status_api_test_bench_$run_id"
redis_prefix="status-api-bench-$run_id:"
created_dbs=()      # databases to drop at the end
server_pids=()      # our servers and the actix peer
server_pid=""       # the status-api target's (the export's)
node_runs=()        # RUN dirs of the Node instances we started
bg_pids=()          # background wrk processes
export_pid=""       # the curl reading an export
declare -A url cookie email password user_id pids
declare -A redis_of  # our servers' Redis: single or cluster (the others': single, server-wide counters)
declare -A redis_desc
targets=()
failed=1

is_node_server() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'server\.js'; }

cleanup() {
  local rc=$?
  set +e
  trap - INT TERM
  local p
  for p in "${bg_pids[@]}"; do # a subshell running wrk
    if alive "$p"; then
      local k
      for k in $(children_of "$p"); do kill "$k" 2>/dev/null; done
      kill "$p" 2>/dev/null
    fi
  done
  alive "$export_pid" && kill "$export_pid" 2>/dev/null
  for p in "${server_pids[@]}"; do
    alive "$p" || continue
    kill -TERM "$p" 2>/dev/null
    wait_gone "$p" 15 || { warn "server $p did not stop on SIGTERM; killing it"; kill -KILL "$p" 2>/dev/null; }
    wait "$p" 2>/dev/null
  done
  local run main
  for run in "${node_runs[@]}"; do
    main=$(cat "$run/pid" 2>/dev/null)
    local kids=$(cat "$run/children" 2>/dev/null)
    if alive "$main" && is_node_server "$main"; then
      kill -TERM "$main" 2>/dev/null
      wait_gone "$main" 10 || kill -KILL "$main" 2>/dev/null
    fi
    for p in $kids; do
      if alive "$p" && is_node_server "$p"; then kill -TERM "$p" 2>/dev/null; wait_gone "$p" 5 || kill -KILL "$p"; fi
    done
    rm -f "$run/pid"
  done
  local db
  for db in "${created_dbs[@]}"; do sql -e "DROP DATABASE IF EXISTS \`$db\`" 2>/dev/null || warn "could not drop database $db"; done
  if [ -n "$redis_prefix" ]; then
    drop_bench_keys rcli || warn "Redis keys under $redis_prefix remain on $r_host:$r_port"
    if [ -n "$cluster_urls" ]; then
      local node primaries
      primaries=$(cluster_nodes master) || warn "no cluster node answers; keys under $redis_prefix may remain there"
      for node in $primaries; do
        drop_bench_keys ccli "$node" -c || warn "Redis keys under $redis_prefix remain on the cluster's $node"
      done
    fi
  fi
  finish "$rc" benchmark
}
# Deletes the keys under the prefix on one node (cli: rcli, or ccli host:port -c),
# one DEL a key, as a cluster refuses keys of several slots in one; fails if any remain.
drop_bench_keys() { # cli...
  "$@" --scan --pattern "${redis_prefix}*" 2>/dev/null | sed -e 's/[\\"]/\\&/g' -e 's/.*/DEL "&"/' | "$@" >/dev/null 2>&1
  [ -z "$("$@" --scan --pattern "${redis_prefix}*" 2>/dev/null | head -c 1)" ]
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

## Helpers: ports, processes, counters ------------------------------------------

children_of() {
  local d ppid
  for d in /proc/[0-9]*; do
    ppid=$(awk '/^PPid:/{print $2; exit}' "$d/status" 2>/dev/null) || continue
    if [ "$ppid" = "$1" ]; then echo "${d#/proc/}"; fi
  done
  return 0
}

cpu_ticks() { # utime+stime of the given pids (all threads), in clock ticks
  local total=0 p s f
  for p in "$@"; do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -r -a f <<<"${s##*) }"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
machine_ticks() { # busy and total ticks of all CPUs
  local cpu a
  read -r cpu a <"/proc/stat"
  set -- $a
  echo "$(($1 + $2 + $3 + $6 + $7 + $8)) $(($1 + $2 + $3 + $4 + $5 + $6 + $7 + $8))"
}
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

rss_reset() { # 1 when every pid's peak RSS could be reset to its current RSS
  local p ok=1
  for p in "$@"; do echo 5 2>/dev/null >"/proc/$p/clear_refs" || ok=0; done
  echo $ok
}
rss_peak_kib() { # sum of VmHWM
  local p v sum=0
  for p in "$@"; do
    v=$(proc_status "$p" VmHWM) || v=0
    sum=$((sum + v))
  done
  echo $sum
}

# Waits until the target's processes are idle (under 0.1 core over half a second),
# so that work left over from a run (a Node process still hashing the passwords of
# requests wrk gave up on) does not weigh on the next one. Prints the seconds waited.
settle() {
  local start a b i
  start=$(now)
  if [ $# -gt 0 ]; then
    for ((i = 0; i < settle_max * 2; i++)); do
      a=$(cpu_ticks "$@"); sleep 0.5; b=$(cpu_ticks "$@")
      (((b - a) * 10 < hz * 5 / 10)) && break
    done
  fi
  awk -v a="$start" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'
}

# Processes of MariaDB and Redis, when they run on this machine (for their CPU use).
mariadb_pid=""
if [[ $db_host = 127.0.0.1 || $db_host = localhost ]]; then
  f=$(sql -e 'SELECT @@pid_file' 2>/dev/null || true)
  p=$(cat "$f" 2>/dev/null || true)
  if [ -n "$p" ] && grep -qE 'mariadbd|mysqld' "/proc/$p/comm" 2>/dev/null; then mariadb_pid=$p; fi
fi
redis_local_pid() { # cli...: the process id of that Redis when it runs on this machine
  local p
  p=$("$@" INFO server 2>/dev/null | tr -d '\r' | awk -F: '/^process_id:/{print $2}')
  if grep -q redis "/proc/$p/comm" 2>/dev/null; then echo "$p"; fi
}
declare -A redis_pids=([single]=$(redis_local_pid rcli))
if [ -n "$cluster_urls" ]; then
  redis_pids[cluster]=$(for node in $(cluster_nodes); do redis_local_pid ccli "$node"; done | tr '\n' ' ')
fi

redis_cmdstats() { # single|cluster: {"get": calls, ...}, a cluster's summed over its primaries
  local node
  if [ "$1" = cluster ]; then
    for node in $cluster_primaries; do ccli "$node" INFO commandstats 2>/dev/null; done
  else
    rcli INFO commandstats 2>/dev/null
  fi | tr -d '\r' \
    | sed -nE 's/^cmdstat_([^:]+):calls=([0-9]+).*/\1 \2/p' \
    | jq -Rn 'reduce (inputs | split(" ")) as $f ({}; .[$f[0]] += ($f[1] | tonumber))'
}
mysql_counters() { # {"Com_stmt_prepare": n, ..., "Questions": n}: every Com_ counter (the deltas keep those that moved)
  sql -e "SHOW GLOBAL STATUS WHERE Variable_name LIKE 'Com\\_%' OR Variable_name IN ('Questions', 'Connections', 'Aborted_clients')" \
    | jq -Rn '[inputs | split("\t") | {(.[0]): (.[1] | tonumber)}] | add // {}'
}

## Targets: our server, a baseline, the Node instances, the actix peer ---------------

# Starts a server (a command taking LISTEN_ADDR from its environment) in a session
# of its own on a free port and waits for its /healthz; it then has a url and pids
# (the caller makes it a target). A server that could not bind names LISTEN_ADDR in
# its log: another port is tried.
launch() { # target log command...
  local name=$1 log=$2 attempt port i pid
  shift 2
  for attempt in 1 2 3; do
    port=$(free_port)
    (cd "$tmp" && export LISTEN_ADDR="127.0.0.1:$port" && exec setsid "$@") >>"$log" 2>&1 &
    pid=$!
    server_pids+=("$pid")
    for ((i = 0; i < 600; i++)); do
      alive "$pid" || break
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
        sleep 0.3
        if alive "$pid"; then
          url[$name]="http://127.0.0.1:$port"
          pids[$name]=$pid
          return 0
        fi
        break
      fi
      sleep 0.1
    done
    if alive "$pid"; then die "$name did not answer /healthz within 60 s (log: $log)"; fi
    wait "$pid" 2>/dev/null || true
    grep -q 'LISTEN_ADDR' "$log" || break
    warn "port $port was taken; trying another"
  done
  tail -n 20 "$log" >&2
  die "$name did not start"
}

# The login scenarios log the seeded user in hundreds of times a run: past
# MAX_SESSIONS_PER_USER (50 by default) each login would end the least recently
# seen session, the one every other scenario reads with, and they would measure 401s.
# The Redis variables are unset first: the one passed decides, whatever the
# environment holds. Settings after the third argument override these. The
# caller makes it a target (the cache scenario's server is none).
start_server() { # target database single|cluster [VAR=value...]
  local name=$1 db=$2 redis=$3 secret redis_env log="$tmp/server.log"
  [ "$name" = status-api ] || log="$tmp/server-$name.log"
  secret=$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 96)
  sql -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  created_dbs+=("$db")
  local auth=${db_user}${db_pass:+:$db_pass}
  redis_env="REDIS_URL=$single_redis_url"
  redis_desc[$name]="the single node $r_host:$r_port"
  if [ "$redis" = cluster ]; then
    redis_env="REDIS_CLUSTER_URLS=$cluster_urls"
    redis_desc[$name]="the cluster of ${c_seeds[*]} ($(wc -w <<<"$cluster_primaries") primaries)"
  fi
  redis_of[$name]=$redis
  launch "$name" "$log" env -u REDIS_URL -u REDIS_CLUSTER_URLS \
    DATABASE_URL="mysql://$auth@$db_host:$db_port/$db${db_params:+?$db_params}" \
    "$redis_env" \
    REDIS_PREFIX="$redis_prefix" \
    SESSION_SECRET="$secret" \
    COOKIE_SECURE=false BCRYPT_COST=$bcrypt_cost RUST_LOG=warn \
    LOGIN_FAILURE_LIMIT=off LOGIN_IP_LIMIT=off REGISTER_IP_LIMIT=off CHECKEMAIL_IP_LIMIT=off \
    MAX_SESSIONS_PER_USER=1000000 \
    "${@:4}" "$binary"
}

# The stock actix peer (tests/bench/actix-stock): a database of its own with the
# Node stack's schema, and its sessions under our run's Redis prefix on the single
# node, so that the cleanup that drops ours drops them too. It takes actix's default
# worker count, as status-api does (the available parallelism); WORKERS is unset.
# Its one mysql_async pool gets as many connections as status-api's pools together
# (DATABASE_POOL_MAX, 20), through the URL's pool_max: mysql_async's default of up
# to 100 would open one for each of wrk's connections, past MariaDB's max_connections
# (151 by default) beside ours and the Node stacks', and the peer would measure 500s.
start_actix_stock() { # target
  local name=$1 db="status_api_test_bench_${run_id}_${1//-/_}" secret
  local auth=${db_user}${db_pass:+:$db_pass} pool_max=${DATABASE_POOL_MAX:-20} pool
  [[ $pool_max =~ ^[1-9][0-9]*$ ]] || die "DATABASE_POOL_MAX must be a positive integer (got '$pool_max')"
  pool="pool_min=$((pool_max < 10 ? pool_max : 10))&pool_max=$pool_max"
  secret=$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 96)
  sql -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  created_dbs+=("$db")
  sql -D "$db" <"$here/actix-stock/schema.sql"
  redis_of[$name]=single
  redis_desc[$name]="the single node $r_host:$r_port"
  say "starting the stock actix-web peer $name ($actix_stock_binary, $pool_max MariaDB connections at most)"
  launch "$name" "$tmp/server-$name.log" env -u WORKERS \
    DATABASE_URL="mysql://$auth@$db_host:$db_port/$db?$pool${db_params:+&$db_params}" \
    REDIS_URL="$single_redis_url" \
    REDIS_PREFIX="$redis_prefix$name:" \
    SESSION_SECRET="$secret" \
    BCRYPT_COST=$bcrypt_cost \
    "$actix_stock_binary"
  targets+=("$name")
  local ours theirs
  ours=$(actix_workers "${pids[status-api]}") theirs=$(actix_workers "${pids[$name]}")
  if [ "$ours" = "$theirs" ] && [ "$ours" -gt 0 ]; then say "$name and status-api each run $ours actix workers"
  else warn "status-api runs $ours actix workers, $name $theirs: their figures do not compare"; fi
}
actix_workers() { # pid: its actix workers, each a thread of its own named actix-rt|system:N|arbiter:M
  local t n=0
  for t in /proc/"$1"/task/*/comm; do
    [[ $(cat "$t" 2>/dev/null) = 'actix-rt|system'* ]] && n=$((n + 1))
  done
  echo "$n"
}

node_modules_cache() { # node_modules for node-express's package.json, installed once
  local sum cache
  sum=$(sha256sum "$node_dir/package.json" | cut -c1-16)
  cache="$out_dir/node-modules-$sum"
  if [ ! -d "$cache/node_modules" ]; then
    say "installing the Node baseline's packages (once) into $cache"
    mkdir -p "$cache"
    cp "$node_dir/package.json" "$cache/"
    (cd "$cache" && npm install --no-audit --no-fund --silent >/dev/null)
  fi
  echo "$cache/node_modules"
}

start_node() { # name workers
  local name=$1 workers=$2 run port db main kids i
  run="$tmp/node-$name"
  db="status_api_test_bench_${run_id}_node_${name//-/_}"
  mkdir -p "$run"
  ln -s "$(node_modules_cache)" "$run/node_modules"
  port=$(free_port)
  node_runs+=("$run")
  created_dbs+=("$db")
  say "starting the Node baseline $name (WORKERS=$workers) on port $port"
  RUN=$run DB=$db PORT=$port WORKERS=$workers BCRYPT_COST=$bcrypt_cost \
    setsid "$node_dir/start.sh" >"$run/start.out" 2>&1 || { cat "$run/start.out" >&2; die "node-express start.sh failed"; }
  main=$(cat "$run/pid")
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" || { tail "$run/log" >&2; die "Node baseline $name does not answer"; }
  kids=""
  if [ "$workers" -gt 1 ]; then
    for ((i = 0; i < 50; i++)); do
      kids=$(children_of "$main" | tr '\n' ' ')
      [ "$(wc -w <<<"$kids")" -ge "$workers" ] && break
      sleep 0.2
    done
  fi
  echo "$kids" >"$run/children"
  targets+=("$name")
  url[$name]="http://127.0.0.1:$port"
  pids[$name]="$main $kids"
}

seed() { # target: registers a user, keeps its cookie, adds 200 statuses
  local t=$1 base=${url[$1]} body="$tmp/seed-$1.body"
  email[$t]="bench-$(rand_hex 6)@example.com"
  password[$t]="Bench-$(rand_hex 10)-pw"
  cookie[$t]=$(register "$base" "${email[$t]}" "${password[$t]}" "Bench User" "$body")
  user_id[$t]=$(jq -r '.id' "$body")
  local cfg="$tmp/seed-$t.curl" i
  : >"$cfg"
  for i in $(seq 1 200); do
    printf 'url = "%s/addStatus"\nheader = "Content-Type: application/json"\nheader = "Cookie: sid=%s"\ndata = "{\\"text\\":\\"Seed status number %d, a few words long like the real ones.\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$base" "${cookie[$t]}" "$i" >>"$cfg"
    [ "$i" -lt 200 ] && echo next >>"$cfg"
  done
  local codes
  codes=$(curl -sS -K "$cfg" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  [ "$codes" = " 200 201;" ] || die "$t: seeding POST /addStatus answered: $codes"
}

preflight() { # target: one request per scenario, each must be 2xx
  local t=$1 base=${url[$1]} c=(-H "Cookie: sid=${cookie[$1]}") j=(-H 'Content-Type: application/json') code n
  check() { [[ $2 = 2?? ]] || warn "$t: $1 answered $2 before the run; its numbers will show non-2xx"; }
  check "GET /healthz" "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")"
  check "GET /me" "$(curl -s -o /dev/null -w '%{http_code}' "${c[@]}" "$base/me")"
  code=$(curl -s -o "$tmp/pf.json" -w '%{http_code}' "${c[@]}" "$base/fetchStatus?limit=20")
  check "GET /fetchStatus" "$code"
  n=$(jq '.items | length' "$tmp/pf.json" 2>/dev/null || echo 0)
  [ "$n" = 20 ] || warn "$t: GET /fetchStatus?limit=20 returned $n items"
  check "POST /checkemail" "$(curl -s -o /dev/null -w '%{http_code}' "${j[@]}" -d "{\"email\":\"$check_email\"}" "$base/checkemail")"
  check "POST /login" "$(curl -s -o /dev/null -w '%{http_code}' "${j[@]}" -d "{\"email\":\"${email[$t]}\",\"password\":\"${password[$t]}\"}" "$base/login")"
}

## Measurement -----------------------------------------------------------------------

check_email="nobody-$run_id@example.com"

# Runs wrk once: wrk_run <result-file> <lua script> <url> <connections> [<seconds>] [wrk args...]
wrk_run() {
  local out=$1 script=$2 target_url=$3 c=$4 d=${5:-$secs} t=$threads
  shift 5 || shift $#
  ((c < t)) && t=$c
  WRK_REPORT_OUT=$out WRK_COUNT_STATUS_CODES=${BENCH_STATUS_CODES:-0} wrk -t"$t" -c"$c" -d"${d}s" --timeout "${wrk_timeout}s" -s "$here/lua/$script" "$@" "$target_url" \
    >"$out.log" 2>&1 || { cat "$out.log" >&2; die "wrk failed ($script $target_url)"; }
  [ -s "$out" ] || { cat "$out.log" >&2; die "wrk wrote no results ($script $target_url)"; }
}

# One scenario against one target, with the server's RSS and CPU, MariaDB's and
# Redis's CPU, and the Redis command and MySQL statement counters around it.
measure() { # round target scenario
  local round=$1 t=$2 s=$3 base=${url[$2]} wout="$tmp/wrk-$1-$2-$3.json" lout=""
  local redis=${redis_of[$t]:-single}
  local -a tp=(${pids[$t]:-}) rp=(${redis_pids[$redis]:-}) ck=(-H "Cookie: sid=${cookie[$t]}")
  local reset rs0 rs1 m0 m1 t0 t1 sp0 sp1 db0 db1 rd0 rd1 mc0 mc1 mwait=""
  reset=$(rss_reset "${tp[@]}")
  rs0=$(redis_cmdstats "$redis"); mc0=$(mysql_counters)
  sp0=$(cpu_ticks "${tp[@]}"); db0=$(cpu_ticks $mariadb_pid); rd0=$(cpu_ticks "${rp[@]}")
  m0=$(machine_ticks); t0=$(now)
  case $s in
    healthz) wrk_run "$wout" get.lua "$base/healthz" "$conns" ;;
    me) wrk_run "$wout" get.lua "$base/me" "$conns" "$secs" "${ck[@]}" ;;
    cache) wrk_run "$wout" get.lua "$base/me" "$cache_conns" "$secs" "${ck[@]}" ;;
    fetch) wrk_run "$wout" get.lua "$base/fetchStatus?limit=20" "$conns" "$secs" "${ck[@]}" ;;
    add) wrk_run "$wout" add_status.lua "$base/addStatus" "$conns" "$secs" "${ck[@]}" ;;
    checkemail) BENCH_CHECK_EMAIL=$check_email wrk_run "$wout" checkemail.lua "$base/checkemail" "$conns" ;;
    login | login_c1)
      local c=$login_conns
      [ "$s" = login_c1 ] && c=1
      # Clients that honour Retry-After, as the contract asks; the logins beside
      # /fetchStatus below are a flood that does not.
      BENCH_LOGIN_EMAIL=${email[$t]} BENCH_LOGIN_PASSWORD=${password[$t]} BENCH_LOGIN_HONOUR_RETRY_AFTER=1 \
        wrk_run "$wout" login.lua "$base/login" "$c" ;;
    fetch_login)
      # Logins flat out from a second wrk, started a second before /fetchStatus
      # and ending a second after it, so /fetchStatus runs wholly beside them.
      lout="$tmp/wrk-$1-$2-$3-logins.json"
      BENCH_LOGIN_EMAIL=${email[$t]} BENCH_LOGIN_PASSWORD=${password[$t]} \
        wrk_run "$lout" login.lua "$base/login" "$login_conns" $((secs + 2)) &
      mwait=$!
      bg_pids+=("$mwait")
      sleep 1
      wrk_run "$wout" get.lua "$base/fetchStatus?limit=20" "$conns" "$secs" "${ck[@]}"
      wait "$mwait" || die "the login wrk beside /fetchStatus failed"
      ;;
    *) die "unknown scenario $s" ;;
  esac
  t1=$(now); m1=$(machine_ticks)
  sp1=$(cpu_ticks "${tp[@]}"); db1=$(cpu_ticks $mariadb_pid); rd1=$(cpu_ticks "${rp[@]}")
  rs1=$(redis_cmdstats "$redis"); mc1=$(mysql_counters)
  local rss settled
  rss=$(rss_peak_kib "${tp[@]}")
  settled=$(settle "${tp[@]}")
  record() { # part wrk-json
    jq -c -n --arg target "$t" --arg scenario "$s" --arg part "$1" --argjson round "$round" \
      --slurpfile w "$2" --argjson conns "$3" \
      --argjson rss "$rss" --argjson rss_reset "$reset" --argjson haspids "${#tp[@]}" --argjson settled "$settled" \
      --argjson wall "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" --argjson hz "$hz" \
      --argjson srv "$((sp1 - sp0))" --argjson dbt "$((db1 - db0))" --argjson rdt "$((rd1 - rd0))" \
      --argjson haveb "$([ -n "$mariadb_pid" ] && echo true || echo false)" \
      --argjson haver "$([ ${#rp[@]} -gt 0 ] && echo true || echo false)" \
      --arg m0 "$m0" --arg m1 "$m1" --argjson rs0 "$rs0" --argjson rs1 "$rs1" --argjson mc0 "$mc0" --argjson mc1 "$mc1" '
      $w[0] as $w
      | ($w.duration_us / 1e6) as $d
      | ($w.errors.connect + $w.errors.read + $w.errors.write + $w.errors.timeout) as $sock
      | (if $w.status_codes then ([$w.status_codes | to_entries[] | select(.key | startswith("2") | not) | .value] | add // 0)
         else $w.errors.status end) as $bad
      | ($m0 | split(" ") | map(tonumber)) as $a | ($m1 | split(" ") | map(tonumber)) as $b
      | def delta($x; $y): [$y | to_entries[] | {key, value: (.value - ($x[.key] // 0))} | select(.value > 0)] | from_entries;
      {
        round: $round, target: $target, scenario: $scenario, part: $part, connections: $conns,
        seconds: $d, requests: $w.requests, rps: ($w.requests / $d), ok_rps: (($w.requests - $bad) / $d),
        non_2xx: $bad, socket_errors: $sock, errors: $w.errors, status_codes: $w.status_codes,
        latency_ms: (if $w.requests > 0 then $w.latency_us | map_values(. / 1000) else null end),
        busy_after_s: $settled,
        rss_peak_kib: (if $haspids > 0 then $rss else null end),
        rss_scope: (if $haspids == 0 then null elif $rss_reset == 1 then "scenario" else "process lifetime" end),
        cpu_cores: {
          server: (if $haspids > 0 then $srv / $hz / $wall else null end),
          mariadb: (if $haveb then $dbt / $hz / $wall else null end),
          redis: (if $haver then $rdt / $hz / $wall else null end),
          machine_busy: (($b[0] - $a[0]) / (($b[1] - $a[1]) | if . == 0 then 1 else . end))
        },
        redis_commands: (delta($rs0; $rs1) | del(.info)),
        mysql_counters: delta($mc0; $mc1)
      }' >>"$records"
  }
  local main_conns=$conns
  [ "$s" = login ] && main_conns=$login_conns
  [ "$s" = login_c1 ] && main_conns=1
  [ "$s" = cache ] && main_conns=$cache_conns
  record main "$wout" "$main_conns"
  [ -n "$lout" ] && record logins "$lout" "$login_conns"
  jq -r --arg t "$t" --arg s "$s" 'select(.target == $t and .scenario == $s and .round == '"$round"')
    | def r1: . * 10 | round / 10;
      "    \(.target) \(.scenario)\(if .part == "main" then "" else "/" + .part end): \(.rps | r1) req/s (2xx \(.ok_rps | r1)/s), "
      + (if .latency_ms then "p50 \(.latency_ms.p50 | r1) ms, p99 \(.latency_ms.p99 | r1) ms" else "no request completed" end)
      + ", non-2xx \(.non_2xx), socket errors \(.socket_errors)"
      + (if .busy_after_s >= 2 then "; busy \(.busy_after_s) s after the run" else "" end)' \
    "$records" >&2
  sleep "$pause"
}

slap_rate_hint=""
ceiling_slap() { # round: the statuses query alone, at the same concurrency
  local round=$1 q n t0 secs_taken
  q="SELECT id, text, created_at FROM statuses FORCE INDEX (statuses_user_newest) WHERE user_id = ${user_id[status-api]} AND id < 18446744073709551615 ORDER BY id DESC LIMIT 21"
  run_slap() {
    slap --create-schema="$db_name" --no-drop --query="$q" --concurrency="$conns" --number-of-queries="$1" --iterations=1 2>"$tmp/slap.err" \
      | awk '/Average number of seconds/{print $(NF-1)}'
  }
  if [ -z "$slap_rate_hint" ]; then
    n=$((conns * 100))
    secs_taken=$(run_slap "$n")
    [ -n "$secs_taken" ] || { cat "$tmp/slap.err" >&2; die "mariadb-slap failed"; }
    slap_rate_hint=$(awk -v n="$n" -v s="$secs_taken" 'BEGIN{printf "%d", n / (s > 0.001 ? s : 0.001)}')
  fi
  n=$(awk -v r="$slap_rate_hint" -v d="$secs" -v c="$conns" 'BEGIN{n = int(r * d / c) * c; if (n < c * 100) n = c * 100; print n}')
  secs_taken=$(run_slap "$n")
  [ -n "$secs_taken" ] || { cat "$tmp/slap.err" >&2; die "mariadb-slap failed"; }
  slap_rate_hint=$(awk -v n="$n" -v s="$secs_taken" 'BEGIN{printf "%d", n / (s > 0.001 ? s : 0.001)}')
  jq -c -n --argjson round "$round" --argjson n "$n" --argjson s "$secs_taken" --argjson c "$conns" \
    '{round: $round, target: "ceiling", scenario: "mariadb_slap", part: "main", connections: $c, seconds: $s, requests: $n, rps: ($n / $s)}' >>"$records"
  echo "    ceiling mariadb-slap: $slap_rate_hint queries/s" >&2
  sleep "$pause"
}

redis_rate_hint=""
# On the Redis of the status-api target: on a cluster, redis-benchmark --cluster
# spreads its clients over the primaries.
ceiling_redis() { # round: redis-benchmark GET at the same concurrency
  local round=$1 n line redis=${redis_of[status-api]} user=$r_user pass=$r_pass auth=() node=${cluster_primaries%% *}
  local -a where=(-h "$r_host" -p "$r_port" --dbnum "$r_db")
  if [ "$redis" = cluster ]; then
    user=$c_user pass=$c_pass
    where=(--cluster -h "${node%:*}" -p "${node##*:}")
  fi
  [ -n "$pass" ] && auth+=(-a "$pass")
  [ -n "$user" ] && auth+=(--user "$user")
  run_rb() { redis-benchmark "${auth[@]}" "${where[@]}" -c "$conns" -n "$1" -t get --csv 2>/dev/null | grep '^"GET"' | tr -d '"'; }
  if [ -z "$redis_rate_hint" ]; then
    line=$(run_rb $((conns * 500)))
    [ -n "$line" ] || die "redis-benchmark failed"
    redis_rate_hint=$(cut -d, -f2 <<<"$line" | cut -d. -f1)
  fi
  n=$(( redis_rate_hint * secs ))
  ((n < conns * 500)) && n=$((conns * 500))
  line=$(run_rb "$n")
  [ -n "$line" ] || die "redis-benchmark failed"
  redis_rate_hint=$(cut -d, -f2 <<<"$line" | cut -d. -f1)
  jq -c -n --argjson round "$round" --argjson n "$n" --arg line "$line" --argjson c "$conns" --arg redis "$redis" '
    ($line | split(",")) as $f
    | {round: $round, target: "ceiling", scenario: "redis_get", part: "main", redis: $redis, connections: $c, requests: $n,
       rps: ($f[1] | tonumber), latency_ms: {mean: ($f[2] | tonumber), p50: ($f[4] | tonumber), p99: ($f[6] | tonumber), max: ($f[7] | tonumber)}}' >>"$records"
  echo "    ceiling redis-benchmark GET ($redis): $redis_rate_hint req/s" >&2
  sleep "$pause"
}

## The export: memory while one account's whole history streams out -----------------

export_cookie=""
export_user_id=""
seed_export() { # a user of its own, its statuses written by MariaDB itself: seconds for 1,000,000, not
  # the minutes as many POST /addStatus would take
  local t0 body="$tmp/export-register.json"
  export_cookie=$(register "${url[status-api]}" "bench-export-$(rand_hex 6)@example.com" "Bench-$(rand_hex 10)-pw" \
    "Bench Export" "$body")
  export_user_id=$(jq -r '.id' "$body")
  t0=$(now)
  # One status a second up to now, ids in the same order as created_at.
  sql -D "$db_name" -e "INSERT INTO statuses (user_id, text, created_at)
    SELECT $export_user_id, CONCAT('status ', seq), UTC_TIMESTAMP(6) - INTERVAL ($export_statuses - seq) SECOND
    FROM seq_1_to_$export_statuses"
  awk -v a="$t0" -v b="$(now)" -v n="$export_statuses" 'BEGIN{printf "    %d statuses inserted in %.1f s\n", n, b - a}' >&2
}

# Streams the export once (curl -w prints "code bytes seconds" into $1.curl) while
# sampling the server's VmRSS every 0.1 s into $1.rss as "ms kib"; returns curl's
# exit status.
export_stream() { # file-prefix output curl-args...
  local prefix=$1 output=$2 t0 rc=0
  shift 2
  : >"$prefix.rss"
  t0=$(now_us)
  curl -sS -o "$output" -w '%{http_code} %{size_download} %{time_total}\n' -H "Cookie: sid=$export_cookie" "$@" \
    "${url[status-api]}/me/export" >"$prefix.curl" 2>"$prefix.err" &
  export_pid=$!
  while alive "$export_pid"; do
    echo "$((($(now_us) - t0) / 1000)) $(proc_status "$server_pid" VmRSS)" >>"$prefix.rss"
    sleep 0.1
  done
  wait "$export_pid" || rc=$?
  export_pid=""
  return "$rc"
}

export_warmup() { # one whole export first, so that idle means warm; says what the first one cost
  local rc=0 bytes took idle peak
  idle=$(proc_status "$server_pid" VmRSS) || die "the server is gone"
  export_stream "$tmp/export-warmup" /dev/null || rc=$?
  [ "$rc" = 0 ] && [[ $(cat "$tmp/export-warmup.curl") = "200 "* ]] \
    || die "warm-up GET /me/export failed (curl $rc, $(cat "$tmp/export-warmup.curl" "$tmp/export-warmup.err"))"
  read -r _ bytes took <"$tmp/export-warmup.curl"
  peak=$(awk '$2 > m {m = $2} END {print m + 0}' "$tmp/export-warmup.rss")
  awk -v b="$bytes" -v s="$took" -v i="$idle" -v p="$peak" \
    'BEGIN{printf "    warm-up export: %.1f MB in %.1f s; RSS %.1f MiB before, sampled peak %.1f MiB\n", b / 1e6, s, i / 1024, p / 1024}' >&2
}

# One round: the full-speed export into a file (checked afterwards, outside the
# measurement) and the slow reader into /dev/null, each with the server's RSS
# idle before it, sampled during it, and its VmHWM from a reset just before it.
measure_export() { # round
  local round=$1 part prefix output idle reset hwm rc check
  for part in full slow; do
    prefix="$tmp/export-$round-$part"
    local -a limit=()
    output=/dev/null
    if [ "$part" = full ]; then output="$tmp/export.json"; else limit=(--limit-rate "$export_slow_rate" --max-time "$secs"); fi
    idle=$(proc_status "$server_pid" VmRSS) || die "the server is gone"
    reset=$(rss_reset "$server_pid")
    rc=0
    export_stream "$prefix" "$output" "${limit[@]}" || rc=$?
    hwm=$(proc_status "$server_pid" VmHWM) || die "the server died during the export"
    check=null
    if [ "$part" = full ]; then
      check=$(python3 "$here/check_export.py" "$output" "$export_user_id" "$export_statuses")
      rm -f "$output"
    fi
    jq -c -n --argjson round "$round" --arg part "$part" --arg curl "$(cat "$prefix.curl")" --argjson rc "$rc" \
      --arg err "$(head -c 300 "$prefix.err")" --rawfile rss "$prefix.rss" --argjson idle "$idle" \
      --argjson hwm "$hwm" --argjson reset "$reset" --argjson check "$check" \
      --arg rate "$export_slow_rate" --argjson cap "$secs" '
      ($curl | split(" ")) as $c
      | [$rss | split("\n")[] | split(" ") | select(length == 2 and .[1] != "") | map(tonumber)] as $samples
      | ([$samples[][1]] | max) as $sampled
      | {
          round: $round, target: "status-api", scenario: "export", part: $part, connections: 1,
          http_code: ($c[0] | tonumber? // null), curl_exit: $rc, curl_error: (if $err == "" then null else $err end),
          bytes: ($c[1] | tonumber? // null), seconds: ($c[2] | tonumber? // null),
          limit_rate: (if $part == "slow" then $rate else null end), max_seconds: (if $part == "slow" then $cap else null end),
          rss_idle_kib: $idle,
          rss_sampled_peak_kib: $sampled,
          rss_hwm_kib: (if $reset == 1 then $hwm else null end),
          rss_peak_kib: ([$sampled, (if $reset == 1 then $hwm else null end)] | map(select(. != null)) | max),
          rss_after_kib: ($samples | last | .[1]? // null),
          rss_samples: $samples, # [[ms since the request, VmRSS KiB], ...]
          document: $check
        }' >>"$records"
    jq -r --argjson round "$round" --arg part "$part" 'select(.scenario == "export" and .round == $round and .part == $part)
      | def mib: . / 1024 * 10 | round / 10;
        "    status-api export/\(.part): HTTP \(.http_code), \((.bytes // 0) / 1e6 * 10 | round / 10) MB in \(.seconds // 0 | . * 10 | round / 10) s; "
        + "RSS idle \(.rss_idle_kib | mib) MiB, peak \(.rss_peak_kib | mib) MiB (\(.rss_peak_kib - .rss_idle_kib | if . >= 0 then "+" else "" end)\((.rss_peak_kib - .rss_idle_kib) | mib)) over \(.rss_samples | length) samples"
        + (if .document then "; document: " + (if .document.valid then "\(.document.statuses) statuses, newest first" else "INVALID: \(.document.error)" end) else "" end)' \
      "$records" >&2
    if [ "$part" = full ] && [ "$rc" != 0 ]; then warn "the full-speed export ended with curl exit $rc: $(cat "$prefix.err")"; fi
    # The slow reader stops at BENCH_SECONDS (curl exit 28) unless it finished.
    if [ "$part" = slow ] && [ "$rc" != 0 ] && [ "$rc" != 28 ]; then warn "the slow export ended with curl exit $rc: $(cat "$prefix.err")"; fi
    sleep "$pause"
  done
}

## The session cache: memory with it full ------------------------------------------

cache_rss_start_kib=null
cache_rss_filled_kib=null
fill_session_cache() { # starts the cache scenario's server and fills its cache
  local t=cache-full t0
  say "starting the cache scenario's server and filling its session cache: $cache_sessions sessions"
  # Two hashes at once and eight waiting: the filler's four connections are never turned away.
  start_server "$t" "${db_name}_cache" single BCRYPT_COST=4 HASH_CONCURRENCY=2
  cache_rss_start_kib=$(proc_status "${pids[$t]}" VmRSS) || die "the cache scenario's server is gone"
  t0=$(now)
  cookie[$t]=$(python3 "$here/fill_session_cache.py" "${url[$t]}" "$cache_sessions") \
    || die "filling the session cache failed (log: $tmp/server-$t.log)"
  cache_rss_filled_kib=$(proc_status "${pids[$t]}" VmRSS) || die "the cache scenario's server is gone"
  awk -v a="$t0" -v b="$(now)" -v n="$cache_sessions" -v s="$cache_rss_start_kib" -v f="$cache_rss_filled_kib" \
    'BEGIN{printf "    %d sessions begun and read in %.1f s; RSS %.1f MiB at start, %.1f MiB filled\n", n, b - a, s / 1024, f / 1024}' >&2
}

## Run ------------------------------------------------------------------------------

timestamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out_dir"

say "starting $binary (database $db_name, Redis prefix $redis_prefix${cluster_urls:+, on the Redis Cluster})"
start_server status-api "$db_name" "$([ -n "$cluster_urls" ] && echo cluster || echo single)"
targets+=(status-api)
server_pid=${pids[status-api]}
if [ "$single_node_baseline" = 1 ]; then
  say "starting it again on the single node $r_host:$r_port as the baseline single-node"
  start_server single-node "${db_name}_single_node" single
  targets+=(single-node)
fi
if [ -n "$baseline_url" ]; then
  curl -fsS -o /dev/null "${baseline_url%/}/healthz" || die "BASELINE_URL ${baseline_url} does not answer /healthz"
  targets+=(baseline)
  url[baseline]=${baseline_url%/}
fi
if [ "$compare" = 1 ]; then
  [ -x "$node_dir/start.sh" ] || die "BENCH_COMPARE=1 needs $node_dir/start.sh (set BENCH_NODE_DIR)"
  # Both instances start before either is seeded: start.sh empties Redis db 3,
  # which they share, each time it runs.
  start_node node-1 1
  start_node node-2w 2
  start_actix_stock actix-stock
fi

for t in "${targets[@]}"; do
  say "seeding $t (${url[$t]}): one user, 200 statuses"
  seed "$t"
  preflight "$t"
done
wanted cache && fill_session_cache
if wanted export; then
  say "seeding the export's user on status-api: $export_statuses statuses"
  seed_export
  export_warmup
fi

hash_concurrency=${HASH_CONCURRENCY:-$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))}

say "$rounds round(s) of ${#scenario_list[@]} scenario(s) × ${#targets[@]} target(s), ${secs}s each, $conns connections, $threads wrk threads"
for ((r = 1; r <= rounds; r++)); do
  say "round $r of $rounds"
  # The ceilings are what the speed scenarios are read against; the export and
  # the cache measure memory.
  if [[ ,$scenarios, =~ ,(healthz|me|fetch|add|checkemail|login|fetch_login), ]]; then
    ceiling_slap "$r"
    ceiling_redis "$r"
  fi
  wanted login && measure "$r" status-api login_c1
  for s in "${scenario_list[@]}"; do
    if [ "$s" = export ]; then measure_export "$r"; continue; fi
    if [ "$s" = cache ]; then measure "$r" cache-full cache; continue; fi
    for t in "${targets[@]}"; do
      measure "$r" "$t" "$s"
    done
  done
done

## Report -----------------------------------------------------------------------------

git_commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=$([ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] && echo true || echo false)
targets_json=$(for t in "${targets[@]}"; do
  jq -c -n --arg n "$t" --arg u "${url[$t]}" --arg r "${redis_desc[$t]:-}" '{($n): {url: $u, redis: (if $r == "" then null else $r end)}}'
done | jq -s 'add')
jq -n --slurpfile rec "$records" --argjson targets "$targets_json" \
  --arg timestamp "$timestamp" --arg commit "$git_commit" --argjson dirty "$git_dirty" \
  --arg binary "$binary" --arg built "$(date -u -d "@$(stat -c %Y "$binary")" +%Y-%m-%dT%H:%M:%SZ)" --argjson secs "$secs" --argjson conns "$conns" --argjson login_conns "$login_conns" \
  --argjson threads "$threads" --argjson rounds "$rounds" --argjson hc "$hash_concurrency" --argjson cost "$bcrypt_cost" \
  --arg cpu "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)" --argjson ncpu "$(nproc)" \
  --argjson mem "$(awk '/^MemTotal:/{print $2}' /proc/meminfo)" --arg kernel "$(uname -r)" \
  --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --arg wrk "$(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)" --arg scenarios "$scenarios" \
  --argjson export_statuses "$export_statuses" --arg export_slow_rate "$export_slow_rate" \
  --argjson cache_sessions "$cache_sessions" --argjson cache_conns "$cache_conns" \
  --argjson cache_start "$cache_rss_start_kib" --argjson cache_filled "$cache_rss_filled_kib" '
  {
    timestamp: $timestamp,
    git: {commit: $commit, dirty: $dirty},
    machine: {cpu: $cpu, cpus: $ncpu, mem_kib: $mem, kernel: $kernel, loadavg_at_end: $load},
    settings: {seconds: $secs, connections: $conns, login_connections: $login_conns, wrk_threads: $threads,
               rounds: $rounds, scenarios: ($scenarios | split(",")), bcrypt_cost: $cost,
               hash_concurrency: $hc, binary: $binary, binary_built: $built, load_generator: $wrk,
               export_statuses: $export_statuses, export_slow_rate: $export_slow_rate,
               cache: {sessions: $cache_sessions, connections: $cache_conns,
                       rss_start_kib: $cache_start, rss_filled_kib: $cache_filled}},
    targets: $targets,
    records: $rec
  }' >"$tmp/raw.json"
jq -f "$here/summarize.jq" "$tmp/raw.json" >"$tmp/result.json"
cp "$tmp/result.json" "$out_dir/$timestamp.json"
cp "$tmp/result.json" "$out_dir/latest.json"
echo
jq -r -f "$here/table.jq" "$tmp/result.json"
echo
say "results: $out_dir/$timestamp.json (and latest.json)"
failed=0
