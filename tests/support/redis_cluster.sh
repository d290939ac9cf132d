#!/usr/bin/env bash
# A Redis Cluster of its own on free local ports, for tests and for trying
# REDIS_CLUSTER_URLS out: three primaries, three replicas, a node timeout
# short enough for failover tests; no other Redis is touched.
#   tests/support/redis_cluster.sh start DIR   # prints the comma-separated URLs
#   tests/support/redis_cluster.sh stop DIR    # stops those nodes, removes DIR
# DIR holds each node's config, log and pid file, and:
#   urls   the redis:// URLs of all six nodes, comma-separated
#   nodes  one line per node started: PORT PID
set -euo pipefail

readonly NODES=6
readonly BUS_OFFSET=10000
# Both a node's port and its bus port stay below Linux's ephemeral range
# (32768 up by default), so sockets other programs bind to port 0 for
# cannot take them between the check and the start.
readonly LOWEST_PORT=10000 HIGHEST_PORT=22767
# Never these: the default Redis, its bus port, the default Sentinel.
readonly RESERVED_PORTS=" 6379 16379 26379 "
readonly MARKER=.redis-cluster-dir
readonly UP_TIMEOUT=10 CREATE_TIMEOUT=60 CONVERGE_TIMEOUT=60 STOP_TIMEOUT=10

die() { echo "redis_cluster.sh: $*" >&2; exit 1; }
note() { echo "redis_cluster.sh: $*" >&2; }

usage() {
  echo "usage: $0 start DIR | stop DIR" >&2
  exit 2
}

# One redis-cli call that cannot hang.
cli() {
  local port=$1
  shift
  timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# Whether nothing listens on, and nothing holds, 127.0.0.1:$1 (a bind
# succeeds).
port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# A port, not yet taken by this cluster, whose bus port is free as well.
pick_port() {
  local taken=" $* " port
  for _ in $(seq 200); do
    port=$((LOWEST_PORT + RANDOM % (HIGHEST_PORT - LOWEST_PORT + 1)))
    [[ $RESERVED_PORTS == *" $port "* || $RESERVED_PORTS == *" $((port + BUS_OFFSET)) "* ]] && continue
    [[ $taken == *" $port "* || $taken == *" $((port + BUS_OFFSET)) "* ]] && continue
    [[ $taken == *" $((port - BUS_OFFSET)) "* ]] && continue
    port_free "$port" && port_free $((port + BUS_OFFSET)) && { echo "$port"; return 0; }
  done
  die "no free port pair (port and port+$BUS_OFFSET) between $LOWEST_PORT and $HIGHEST_PORT"
}

# Starts one node on $2 in $1; its pid if it answers as that process,
# nothing (and status 1) if it did not come up (port taken meanwhile, say).
start_node() {
  local dir=$1 port=$2 pid=
  redis-server --port "$port" --bind 127.0.0.1 \
    --cluster-enabled yes --cluster-config-file "$dir/nodes-$port.conf" \
    --cluster-node-timeout 1000 --cluster-require-full-coverage no \
    --cluster-replica-validity-factor 0 \
    --save "" --appendonly no --dbfilename "dump-$port.rdb" --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis-$port.pid" --logfile "$dir/redis-$port.log" \
    >/dev/null || return 1
  for _ in $(seq $((UP_TIMEOUT * 10))); do
    [ -z "$pid" ] && pid=$(cat "$dir/redis-$port.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then
      kill -0 "$pid" 2>/dev/null || return 1
      # The one answering must be this process, not another on the port.
      if [ "$(cli "$port" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" = "$pid" ]; then
        echo "$pid"
        return 0
      fi
    fi
    sleep 0.1
  done
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  return 1
}

# Kills the nodes listed in $1/nodes that are still the redis-servers this
# script started there (by pid, and only if the process runs in $1).
kill_nodes() {
  local dir=$1 port pid pids=()
  [ -f "$dir/nodes" ] || return 0
  while read -r port pid; do
    [ -n "$pid" ] || continue
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(realpath "$dir")" ] || continue
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || continue
    # A node a test paused (SIGSTOP) acts on SIGTERM once it may go on.
    kill -TERM "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null && pids+=("$pid")
  done <"$dir/nodes"
  for pid in "${pids[@]}"; do
    for _ in $(seq $((STOP_TIMEOUT * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      note "node $pid did not stop on SIGTERM in ${STOP_TIMEOUT}s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

# The primaries and their slots as node $1 sees them, one line per primary.
slot_map() {
  cli "$1" cluster nodes | tr -d '\r' \
    | awk '$3 ~ /master/ && $3 !~ /fail/ { line = $1; for (i = 9; i <= NF; i++) line = line " " $i; print line }' \
    | sort
}

# Whether every node says cluster_state:ok, knows all six, sees the same
# primaries with the same slots, and every replica has synced.
converged() {
  local first= port map info
  for port in "$@"; do
    info=$(cli "$port" cluster info 2>/dev/null | tr -d '\r') || return 1
    grep -qx 'cluster_state:ok' <<<"$info" || return 1
    grep -qx "cluster_known_nodes:$NODES" <<<"$info" || return 1
    grep -qx 'cluster_slots_assigned:16384' <<<"$info" || return 1
    map=$(slot_map "$port") || return 1
    [ -z "$first" ] && first=$map
    [ "$map" = "$first" ] || return 1
    info=$(cli "$port" info replication 2>/dev/null | tr -d '\r') || return 1
    if grep -qx 'role:slave' <<<"$info"; then
      grep -qx 'master_link_status:up' <<<"$info" || return 1
    fi
  done
}

# Whatever start did before failing: its nodes stopped, the logs kept.
abandon() {
  local dir=$1 log
  for log in "$dir"/redis-*.log; do
    [ -f "$log" ] || continue
    note "last lines of $log:"
    # (Not the overcommit warning every node logs on most machines.)
    grep -v overcommit "$log" | tail -n 5 >&2
  done
  kill_nodes "$dir"
  note "nodes stopped; logs left in $dir (remove it with: $0 stop $dir)"
}

start() {
  local dir=$1 ports=() port pid attempt
  command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
  command -v redis-cli >/dev/null || die "redis-cli not found (apt-get install redis-tools)"
  command -v python3 >/dev/null || die "python3 not found (it checks ports are free)"
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    die "$dir is not empty (a cluster already there? stop it with: $0 stop $dir)"
  fi
  mkdir -p "$dir"
  dir=$(realpath "$dir")
  touch "$dir/$MARKER"
  : >"$dir/nodes"
  trap 'abandon "$dir"' ERR

  for _ in $(seq $NODES); do
    for attempt in 1 2 3 4 5; do
      port=$(pick_port "${ports[@]}")
      if pid=$(start_node "$dir" "$port"); then
        echo "$port $pid" >>"$dir/nodes"
        ports+=("$port")
        break
      fi
      note "a node on port $port did not come up (attempt $attempt); another port"
      [ "$attempt" -lt 5 ] || { note "giving up on starting nodes"; false; }
    done
  done

  local addresses=()
  for port in "${ports[@]}"; do addresses+=("127.0.0.1:$port"); done
  if ! timeout "$CREATE_TIMEOUT" redis-cli --cluster create "${addresses[@]}" \
    --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1; then
    note "redis-cli --cluster create failed or took over ${CREATE_TIMEOUT}s:"
    tail -n 20 "$dir/create.log" >&2
    false
  fi

  local deadline=$((SECONDS + CONVERGE_TIMEOUT))
  until converged "${ports[@]}"; do
    if [ $SECONDS -ge $deadline ]; then
      note "the nodes did not all reach cluster_state:ok and agree in ${CONVERGE_TIMEOUT}s"
      false
    fi
    sleep 0.2
  done
  trap - ERR

  local urls=()
  for port in "${ports[@]}"; do urls+=("redis://127.0.0.1:$port"); done
  (IFS=,; echo "${urls[*]}") >"$dir/urls"
  cat "$dir/urls"
}

stop() {
  local dir=$1
  [ -e "$dir" ] || return 0
  [ -f "$dir/$MARKER" ] || die "$dir was not made by $0 start; leaving it alone"
  kill_nodes "$dir"
  rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
