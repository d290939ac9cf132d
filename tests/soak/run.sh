#!/usr/bin/env bash
# status-api soak (`make soak`, not part of `make test`): runs the release binary
# against the real MariaDB and Redis with a fresh database and Redis key prefix and
# rate limits off, drives it for SOAK_SECONDS with mixed load (wrk: GET /me,
# GET /fetchStatus, POST /checkemail, POST /addStatus from one session, beside a
# loop of POST /login + POST /logout), samples the server's RSS (VmRSS), open file
# descriptors and threads every SOAK_SAMPLE_SECONDS, and prints the samples and the
# RSS drift from the end of the warm-up to the end of the run. Writes
# target/soak/<timestamp>.json and target/soak/latest.json.
#
# Exits 1 when the drift after warm-up exceeds SOAK_MAX_DRIFT_PERCENT, when any
# request failed (non-2xx besides a few 503s, or a socket error), or when the
# server died. Stops and removes everything it started, on success, failure or
# Ctrl+C.
#
# Environment (all optional):
#   SOAK_BINARY              server binary ($CARGO_TARGET_DIR/release/status-api, where make soak
#                            builds it; target/ in the repo root when that is unset)
#   SOAK_SECONDS             length of the load (600)
#   SOAK_SAMPLE_SECONDS      RSS sampling interval (5)
#   SOAK_WARMUP_SECONDS      warm-up: drift is measured from its end (60, at most a quarter
#                            of SOAK_SECONDS)
#   SOAK_MAX_DRIFT_PERCENT   largest RSS growth allowed after warm-up (20)
#   SOAK_MAX_503_PERCENT     share of 503s allowed (0.1): a dependency stalling past
#                            DEPENDENCY_TIMEOUT_MS is answered 503 by design, and the
#                            shared machine's MariaDB does stall on fsync now and then
#   SOAK_CONNECTIONS         connections of the mixed load (32)
#   SOAK_CHURN_CONNECTIONS   connections of the login/logout loop (2; 0 turns it off)
#   SOAK_THREADS             wrk threads of the mixed load (2)
#   SOAK_BCRYPT_COST         the server's BCRYPT_COST (4: memory, not hashing, is measured)
#   SOAK_DATABASE_ADMIN_URL  mysql://user[:password]@host:port allowed to create and drop
#                            status_api_test_% databases (TEST_DATABASE_ADMIN_URL, else
#                            mysql://status_api_test:status_api_test@127.0.0.1:3306, which
#                            `make test-db` creates)
#   SOAK_REDIS_URL           redis://[[user]:password@]host:port[/db] (TEST_REDIS_URL, else
#                            redis://127.0.0.1:6379/0)
#   SOAK_OUT_DIR             where the JSON goes (target/soak)
#   Other server settings (DATABASE_POOL_MAX, REDIS_POOL_MAX, SESSION_IDLE_SECS, ...) pass
#   through from the environment; a .env in the repo is not read.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

secs=${SOAK_SECONDS:-600}
sample=${SOAK_SAMPLE_SECONDS:-5}
max_drift=${SOAK_MAX_DRIFT_PERCENT:-20}
max_unavailable=${SOAK_MAX_503_PERCENT:-0.1}
conns=${SOAK_CONNECTIONS:-32}
churn_conns=${SOAK_CHURN_CONNECTIONS:-2}
threads=${SOAK_THREADS:-2}
bcrypt_cost=${SOAK_BCRYPT_COST:-4}
binary=${SOAK_BINARY:-${CARGO_TARGET_DIR:-target}/release/status-api}
[[ $binary = /* ]] || binary="$root/$binary"
admin_url=${SOAK_DATABASE_ADMIN_URL:-${TEST_DATABASE_ADMIN_URL:-mysql://status_api_test:status_api_test@127.0.0.1:3306}}
redis_url=${SOAK_REDIS_URL:-${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}}
out_dir=${SOAK_OUT_DIR:-$root/target/soak}

# shellcheck source=../support/load_lib.sh
. "$root/tests/support/load_lib.sh"

for v in secs sample conns threads bcrypt_cost; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ $churn_conns =~ ^[0-9]+$ ]] || die "SOAK_CHURN_CONNECTIONS must be a whole number"
[[ $max_drift =~ ^[0-9]+([.][0-9]+)?$ ]] || die "SOAK_MAX_DRIFT_PERCENT must be a number"
[[ $max_unavailable =~ ^[0-9]+([.][0-9]+)?$ ]] || die "SOAK_MAX_503_PERCENT must be a number"
warmup_max=$((secs / 4))
warmup=${SOAK_WARMUP_SECONDS:-$((60 < warmup_max ? 60 : warmup_max))}
[[ $warmup =~ ^[0-9]+$ ]] && ((warmup < secs)) || die "SOAK_WARMUP_SECONDS must be a whole number below SOAK_SECONDS"
((conns >= threads)) || die "SOAK_CONNECTIONS must be at least SOAK_THREADS"

## Tools ---------------------------------------------------------------------

install_missing wrk=wrk mariadb=mariadb-client redis-cli=redis-tools jq=jq curl=curl setsid=util-linux

[ -x "$binary" ] || die "no server binary at $binary (cargo build --release --locked, or set SOAK_BINARY)"

## MariaDB and Redis -----------------------------------------------------------

use_mariadb "$admin_url" SOAK_DATABASE_ADMIN_URL
use_redis "$redis_url" SOAK_REDIS_URL

## State and cleanup -----------------------------------------------------------

run_id=$(rand_hex 4)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/status-api-soak.XXXXXX")
db_name="status_api_test_soak_$run_id"
redis_prefix="status-api-soak:$run_id:"
db_created=0
server_pid=""
wrk_pids=()
failed=1


delete_prefix() {
  local key batch=()
  while IFS= read -r key; do
    batch+=("$key")
    if [ ${#batch[@]} -ge 500 ]; then rcli DEL "${batch[@]}" >/dev/null 2>&1; batch=(); fi
  done < <(rcli --scan --pattern "${redis_prefix}*" 2>/dev/null)
  [ ${#batch[@]} -gt 0 ] && rcli DEL "${batch[@]}" >/dev/null 2>&1
  return 0
}

cleanup() {
  local rc=$?
  set +e
  trap - INT TERM
  local p
  for p in "${wrk_pids[@]}"; do
    alive "$p" && kill -TERM "$p" 2>/dev/null && wait_gone "$p" 5
    alive "$p" && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if alive "$server_pid"; then
    kill -TERM "$server_pid" 2>/dev/null
    wait_gone "$server_pid" 15 || { warn "server did not stop on SIGTERM; killing it"; kill -KILL "$server_pid" 2>/dev/null; }
    wait "$server_pid" 2>/dev/null
  fi
  [ "$db_created" = 1 ] && { sql -e "DROP DATABASE IF EXISTS \`$db_name\`" 2>/dev/null || warn "could not drop database $db_name"; }
  delete_prefix
  if [ -n "$(rcli --scan --pattern "${redis_prefix}*" 2>/dev/null | head -n 1)" ]; then warn "Redis keys under $redis_prefix remain"; fi
  finish "$rc" soak
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

## The server ------------------------------------------------------------------

start_server() {
  local secret port i attempt
  secret=$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 96)
  sql -e "CREATE DATABASE \`$db_name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  db_created=1
  local auth=${db_user}${db_pass:+:$db_pass} rauth=""
  [ -n "$r_user$r_pass" ] && rauth="$r_user${r_pass:+:$r_pass}@"
  for attempt in 1 2 3; do
    port=$(free_port)
    (cd "$tmp" && exec setsid env \
      LISTEN_ADDR="127.0.0.1:$port" \
      DATABASE_URL="mysql://$auth@$db_host:$db_port/$db_name" \
      REDIS_URL="redis://$rauth$r_host:$r_port/$r_db" \
      REDIS_PREFIX="$redis_prefix" \
      SESSION_SECRET="$secret" \
      COOKIE_SECURE=false BCRYPT_COST="$bcrypt_cost" RUST_LOG="${RUST_LOG:-warn}" \
      LOGIN_FAILURE_LIMIT=off LOGIN_IP_LIMIT=off REGISTER_IP_LIMIT=off CHECKEMAIL_IP_LIMIT=off \
      "$binary") >>"$tmp/server.log" 2>&1 &
    server_pid=$!
    for ((i = 0; i < 600; i++)); do
      alive "$server_pid" || break
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; then
        base="http://127.0.0.1:$port"
        return 0
      fi
      sleep 0.1
    done
    alive "$server_pid" && die "the server did not answer /healthz within 60 s"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    grep -q 'LISTEN_ADDR' "$tmp/server.log" || break
    warn "port $port was taken; trying another"
  done
  die "the server did not start"
}

seed() { # the load's user with 50 statuses, and the churn user
  local i cfg="$tmp/seed.curl" codes
  email="soak-$(rand_hex 6)@example.com"
  cookie=$(register "$base" "$email" "Soak-$(rand_hex 10)-pw" "Soak User" "$tmp/register.body")
  : >"$cfg"
  for i in $(seq 1 50); do
    printf 'url = "%s/addStatus"\nheader = "Content-Type: application/json"\nheader = "Cookie: sid=%s"\ndata = "{\\"text\\":\\"Seed status %d\\"}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$base" "$cookie" "$i" >>"$cfg"
    [ "$i" -lt 50 ] && echo next >>"$cfg"
  done
  codes=$(curl -sS -K "$cfg" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
  [ "$codes" = " 50 201;" ] || die "seeding POST /addStatus answered: $codes"
  churn_email="soak-churn-$(rand_hex 6)@example.com"
  churn_password="Churn-$(rand_hex 10)-pw"
  register "$base" "$churn_email" "$churn_password" "Soak User" "$tmp/register.body" >/dev/null
}

## Sampling ----------------------------------------------------------------------

seconds() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); } # milliseconds -> "s.d"
sample_line() { # elapsed-seconds: "t rss_kib fds threads"
  local rss thr fds
  rss=$(proc_status "$server_pid" VmRSS) || return 1
  thr=$(proc_status "$server_pid" Threads) || return 1
  fds=$(ls "/proc/$server_pid/fd" 2>/dev/null | wc -l)
  echo "$1 $rss $fds $thr"
}

## Run -------------------------------------------------------------------------------

timestamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out_dir"
say "starting $binary (database $db_name, Redis prefix $redis_prefix)"
start_server
seed

samples="$tmp/samples.txt"
: >"$samples"
sample_line 0 >>"$samples" || die "cannot read /proc/$server_pid/status"
read -r _ rss0 fds0 thr0 <"$samples"
say "idle after start: RSS $((rss0 / 1024)) MiB, $fds0 fds, $thr0 threads"

say "soaking for ${secs}s: mixed load on $conns connections ($threads wrk threads)$( ((churn_conns > 0)) && echo ", login/logout loop on $churn_conns"); RSS every ${sample}s, warm-up ${warmup}s"
wrk_timeout=10
(SOAK_COOKIE=$cookie WRK_REPORT_OUT="$tmp/mixed.json" exec wrk -t"$threads" -c"$conns" -d"${secs}s" \
  --timeout "${wrk_timeout}s" -s "$here/lua/mixed.lua" "$base" >"$tmp/mixed.out" 2>&1) &
wrk_pids+=($!)
if ((churn_conns > 0)); then
  (SOAK_CHURN_EMAIL=$churn_email SOAK_CHURN_PASSWORD=$churn_password WRK_REPORT_OUT="$tmp/churn.json" \
    exec wrk -t"$churn_conns" -c"$churn_conns" -d"${secs}s" --timeout "${wrk_timeout}s" \
    -s "$here/lua/churn.lua" "$base" >"$tmp/churn.out" 2>&1) &
  wrk_pids+=($!)
fi

start_us=$(now_us)
next=$sample
last_ms=0
server_died=0
while :; do
  running=0
  for p in "${wrk_pids[@]}"; do alive "$p" && running=1; done
  ((running)) || break
  if ! alive "$server_pid"; then server_died=1; break; fi
  ms=$((($(now_us) - start_us) / 1000))
  if ((ms >= next * 1000)); then
    if line=$(sample_line "$(seconds "$ms")"); then
      echo "$line" >>"$samples"
      last_ms=$ms
      read -r t rss fds thr <<<"$line"
      printf '    %5ss  RSS %5d.%d MiB  fds %4d  threads %3d\n' "${t%.*}" $((rss / 1024)) $((rss % 1024 * 10 / 1024)) "$fds" "$thr" >&2
    fi
    next=$((next + sample))
  fi
  sleep 0.2
done
for p in "${wrk_pids[@]}"; do wait "$p" 2>/dev/null || true; done
((server_died == 0)) && alive "$server_pid" || { server_died=1; warn "the server died during the soak"; }
# One more sample as the load stops, unless the last one was just taken.
ms=$((($(now_us) - start_us) / 1000))
if ((server_died == 0 && ms - last_ms > 1000)); then
  sample_line "$(seconds "$ms")" >>"$samples" || true
fi

## Report ---------------------------------------------------------------------------

[ -s "$tmp/mixed.json" ] || { cat "$tmp/mixed.out" >&2; die "wrk (mixed load) wrote no results"; }
churn_json=null
((churn_conns > 0)) && { [ -s "$tmp/churn.json" ] || { cat "$tmp/churn.out" >&2; die "wrk (login/logout) wrote no results"; }; churn_json=$(cat "$tmp/churn.json"); }
redis_keys=$(rcli --scan --pattern "${redis_prefix}*" 2>/dev/null | wc -l)
status_rows=$(sql -e "SELECT COUNT(*) FROM \`$db_name\`.statuses" 2>/dev/null || echo null)
git_commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=$([ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] && echo true || echo false)

jq -n \
  --rawfile samples "$samples" \
  --argjson mixed "$(cat "$tmp/mixed.json")" --argjson churn "$churn_json" \
  --arg timestamp "$timestamp" --arg commit "$git_commit" --argjson dirty "$git_dirty" \
  --arg binary "$binary" --argjson secs "$secs" --argjson sample "$sample" --argjson warmup "$warmup" \
  --argjson max_drift "$max_drift" --argjson max_unavailable "$max_unavailable" --argjson conns "$conns" --argjson churn_conns "$churn_conns" \
  --argjson threads "$threads" --argjson cost "$bcrypt_cost" --argjson died "$server_died" \
  --argjson redis_keys "$redis_keys" --argjson status_rows "$status_rows" \
  --arg cpu "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)" --argjson ncpu "$(nproc)" '
  def r1: . * 10 | round / 10;
  def mib: . / 1024 | r1;
  def mib2: . / 1024 * 100 | round / 100;
  def load($w): if $w == null then null else
      ($w.duration_us / 1e6) as $d
      | {requests: $w.requests, seconds: ($d | r1), rps: (if $d > 0 then $w.requests / $d | r1 else 0 end),
         status_codes: $w.status_codes,
         non_2xx: ([$w.status_codes | to_entries[] | select(.key | test("^2") | not) | .value] | add // 0),
         socket_errors: ($w.errors.connect + $w.errors.read + $w.errors.write + $w.errors.timeout),
         latency_ms: ($w.latency_us | map_values(. / 1000 | . * 100 | round / 100))} end;
  ($samples | split("\n") | map(select(length > 0) | split(" ") | map(tonumber)
     | {t: .[0], rss_kib: .[1], fds: .[2], threads: .[3]})) as $all
  | ($all | map(select(.t > 0))) as $loaded
  | ($loaded | map(select(.t >= $warmup)) | first) as $warm
  | ($loaded | last) as $last
  | ($loaded | map(select(.t >= $warmup))) as $after
  # least-squares slope of RSS over the samples after warm-up, in MiB per hour
  | (if ($after | length) >= 2 then
       ($after | length) as $n | ($after | map(.t) | add / $n) as $mt | ($after | map(.rss_kib) | add / $n) as $mr
       | ($after | map((.t - $mt) * (.rss_kib - $mr)) | add) / ($after | map((.t - $mt) * (.t - $mt)) | add)
       | . * 3600 / 1024 | r1
     else null end) as $slope
  | (if $warm and $last then ($last.rss_kib - $warm.rss_kib) else null end) as $drift
  | (if $drift != null and $warm.rss_kib > 0 then $drift * 100 / $warm.rss_kib | r1 else null end) as $pct
  | {
      timestamp: $timestamp,
      git: {commit: $commit, dirty: $dirty},
      machine: {cpu: $cpu, cpus: $ncpu},
      settings: {seconds: $secs, sample_seconds: $sample, warmup_seconds: $warmup,
                 max_drift_percent: $max_drift, connections: $conns, churn_connections: $churn_conns,
                 wrk_threads: $threads, bcrypt_cost: $cost, binary: $binary},
      rss: {
        idle_after_start_mib: ($all[0].rss_kib | mib),
        after_warmup: (if $warm then {t: $warm.t, mib: ($warm.rss_kib | mib)} else null end),
        end: (if $last then {t: $last.t, mib: ($last.rss_kib | mib)} else null end),
        peak_mib: ($all | map(.rss_kib) | max | mib),
        drift_mib: (if $drift != null then $drift | mib2 else null end),
        drift_percent: $pct,
        slope_mib_per_hour_after_warmup: $slope
      },
      fds: {after_warmup: $warm.fds, end: $last.fds, max: ($all | map(.fds) | max)},
      threads: {after_warmup: $warm.threads, end: $last.threads},
      load: {mixed: load($mixed), login_logout: load($churn)},
      after: {redis_keys_under_prefix: $redis_keys, status_rows: $status_rows,
              server_alive: ($died == 0)},
      samples: $all
    }
  | .failures = ([
      (if .after.server_alive | not then "the server died" else empty end),
      (if .rss.drift_percent == null then "too few samples after warm-up" else empty end),
      (if .rss.drift_percent != null and .rss.drift_percent > $max_drift
         then "RSS grew \(.rss.drift_percent)% after warm-up (limit \($max_drift)%)" else empty end),
      (.load | to_entries[] | select(.value != null) | .key as $k | .value
         | ((.status_codes["503"] // 0)) as $unavailable
         | (if .non_2xx > $unavailable
              then "\($k): \(.non_2xx - $unavailable) non-2xx answers besides 503 \(.status_codes)" else empty end),
           (if .requests > 0 and $unavailable * 100 / .requests > $max_unavailable
              then "\($k): \($unavailable) 503 answers, over \($max_unavailable)% of requests" else empty end),
           (if .socket_errors > 0 then "\($k): \(.socket_errors) socket errors" else empty end),
           (if .requests == 0 then "\($k): no request completed" else empty end))
    ])
  | .passed = (.failures | length == 0)' >"$tmp/result.json"
cp "$tmp/result.json" "$out_dir/$timestamp.json"
cp "$tmp/result.json" "$out_dir/latest.json"

echo
jq -r '
  def f1: tostring | if test("\\.") then . else . + ".0" end;
  "RSS samples (seconds: MiB):",
  (.samples | _nwise(6) | "  " + (map("\(.t | floor | tostring | (" " * (5 - length)) + .)s \(.rss_kib / 1024 * 10 | round / 10 | f1)") | join("   "))),
  "",
  "RSS idle after start:   \(.rss.idle_after_start_mib | f1) MiB",
  "RSS after warm-up:      \(.rss.after_warmup.mib | f1) MiB (at \(.rss.after_warmup.t | floor) s)",
  "RSS at the end:         \(.rss.end.mib | f1) MiB (at \(.rss.end.t | floor) s), peak \(.rss.peak_mib | f1) MiB",
  "drift after warm-up:    \(if .rss.drift_mib >= 0 then "+" else "" end)\(.rss.drift_mib) MiB (\(if .rss.drift_percent >= 0 then "+" else "" end)\(.rss.drift_percent | f1)%; limit \(.settings.max_drift_percent)%), trend \(.rss.slope_mib_per_hour_after_warmup) MiB/h",
  "open fds:               \(.fds.after_warmup) after warm-up, \(.fds.end) at the end (max \(.fds.max)); threads \(.threads.end)",
  (.load | to_entries[] | select(.value != null) | .key as $k | .value
    | "load \($k):" + (" " * (18 - ($k | length))) + "\(.requests) requests, \(.rps) req/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, max \(.latency_ms.max) ms, codes \(.status_codes | tojson), socket errors \(.socket_errors)"),
  "afterwards:             \(.after.status_rows) statuses in the table, \(.after.redis_keys_under_prefix) Redis keys under the prefix",
  ""' "$tmp/result.json"
say "results: $out_dir/$timestamp.json (and latest.json)"

if [ "$(jq -r .passed "$tmp/result.json")" = true ]; then
  failed=0
  say "soak passed: memory flat after warm-up, every request answered (2xx, or 503 within SOAK_MAX_503_PERCENT)"
else
  jq -r '.failures[] | "FAILED: " + .' "$tmp/result.json" >&2
  exit 1
fi
