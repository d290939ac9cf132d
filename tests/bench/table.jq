# Prints the result of summarize.jq as text tables (jq -r).

def pad($n): tostring | if length >= $n then . else . + (" " * ($n - length)) end;
def lpad($n): tostring | if length >= $n then . else (" " * ($n - length)) + . end;
def zpad($n): tostring | if length >= $n then . else ("0" * ($n - length)) + . end;
def fix($d): if . == null then "-" else
  ((. * pow(10; $d)) | round) as $n
  | (($n / pow(10; $d)) | floor | tostring)
    + (if $d > 0 then "." + (($n % pow(10; $d)) | zpad($d)) else "" end) end;
def num: if . == null then "-" elif . >= 100 then fix(0) elif . >= 10 then fix(1) else fix(2) end;
def times: if . == null then "-" else fix(2) + "x" end;
def title: {
  "healthz": "GET /healthz", "me": "GET /me", "fetch": "GET /fetchStatus?limit=20",
  "add": "POST /addStatus", "checkemail": "POST /checkemail", "login": "POST /login",
  "login_c1": "POST /login, 1 connection", "fetch_login": "GET /fetchStatus beside logins",
  "fetch_login/logins": "  (the logins beside it)", "cache": "GET /me, session cache full"}[.] // .;
# Ratio columns, as wide as their baseline's name needs (single-node is longer than node-1).
def rps_width: [15, length + 8] | max;
def p99_width: [13, length + 6] | max;
def order: ["healthz", "me", "fetch", "add", "checkemail", "login", "login_c1", "fetch_login", "fetch_login/logins", "cache"];

. as $r
| $r.settings as $s
| $r.summary as $sum
| ([$sum | keys[]] | (map(select(. == "status-api")) + map(select(. != "status-api")))) as $targets
| "status-api benchmark \($r.timestamp), commit \($r.git.commit)\(if $r.git.dirty then " (with uncommitted changes)" else "" end); "
  + "\($r.machine.cpus) × \($r.machine.cpu), \(($r.machine.mem_kib / 1048576) | fix(1)) GiB, load at the end \($r.machine.loadavg_at_end)",
  "\($s.connections) connections (logins: \($s.login_connections)), \($s.seconds) s per run, "
  + "\($s.rounds) interleaved round(s): medians, non-2xx and socket errors summed; \($s.load_generator), \($s.wrk_threads) threads; "
  + "BCRYPT_COST=\($s.bcrypt_cost), HASH_CONCURRENCY=\($s.hash_concurrency); binary built \($s.binary_built // "?")",
  ($r.targets | to_entries | map(select(.value.redis != null) | "\(.key) on \(.value.redis)")
   | if length > 0 then "Redis: " + join("; ") else empty end),
  "",
  ("target" | pad(12)) + ("scenario" | pad(31)) + ("req/s" | lpad(9)) + ("2xx/s" | lpad(9)) + ("p50 ms" | lpad(9))
    + ("p99 ms" | lpad(9)) + ("non-2xx" | lpad(9)) + ("sock err" | lpad(9)) + ("RSS MiB" | lpad(9))
    + ("CPU srv" | lpad(8)) + ("CPU db" | lpad(8)) + ("CPU rds" | lpad(8)),
  (order[] as $k | $targets[] as $t | $sum[$t][$k] // empty | . as $x
    | ($t | pad(12)) + ($k | title | pad(31)) + ($x.rps | num | lpad(9)) + ($x.ok_rps | num | lpad(9))
      + ($x.p50_ms | num | lpad(9)) + ($x.p99_ms | num | lpad(9)) + ($x.non_2xx | tostring | lpad(9))
      + ($x.socket_errors | tostring | lpad(9)) + ($x.rss_peak_mib | num | lpad(9))
      + ($x.cpu_cores.server | num | lpad(8)) + ($x.cpu_cores.mariadb | num | lpad(8)) + ($x.cpu_cores.redis | num | lpad(8))),
  "",
  (if $r.export then
    "Export of \($s.export_statuses) statuses (GET /me/export, one client at a time, \($r.export.full.rounds // $r.export.slow.rounds) round(s): medians; "
      + "server RSS: VmRSS just before, then every 0.1 s, and VmHWM):",
    ("  " + ("reader" | pad(38)) + ("MB" | lpad(8)) + ("s" | lpad(8)) + ("MB/s" | lpad(8)) + ("RSS idle" | lpad(10)) + ("RSS peak" | lpad(10))
      + ("+MiB" | lpad(8)) + ("max +MiB" | lpad(10)) + ("HTTP" | lpad(6)) + "  document"),
    (["full", "slow"][] as $p | $r.export[$p] // empty | . as $x
      | "  " + (if $p == "full" then "full speed" else "slow: --limit-rate \($x.limit_rate), at most \($x.max_seconds) s" end | pad(38))
        + ($x.bytes | if . == null then null else . / 1e6 end | num | lpad(8)) + ($x.seconds | num | lpad(8)) + ($x.mb_per_s | num | lpad(8))
        + ($x.rss_idle_mib | fix(1) | lpad(10)) + ($x.rss_peak_mib | fix(1) | lpad(10))
        + ($x.rss_growth_mib | fix(2) | lpad(8)) + ($x.rss_growth_max_mib | fix(2) | lpad(10))
        + ($x.http_codes | join(",") | lpad(6)) + "  "
        + (if $x.document == null then "-" elif $x.document.valid then "valid JSON, \($x.document.statuses) statuses, newest first"
           else "INVALID: " + ($x.document.errors | unique | join("; ")) end)),
    "  Issue 13: " + (if $r.export.goal.met then "met   " else "MISSED" end)
      + "  RSS within a few MiB of idle: at most +\($r.export.goal.value | fix(2)) MiB (want \($r.export.goal.want))"
      + (if $r.export.goal.answered_and_valid then "" else "; not every export answered 200 with a whole, valid document" end),
    ""
   else empty end),
  ($s.cache // {} | select(.rss_filled_kib != null)
    | "Session cache (cache-full: BCRYPT_COST=4, default SESSION_CACHE_ENTRIES): \(.sessions) sessions begun and read once; "
      + "RSS \(.rss_start_kib / 1024 | fix(1)) MiB at start, \(.rss_filled_kib / 1024 | fix(1)) MiB filled "
      + "(\((.rss_filled_kib - .rss_start_kib) / .sessions | fix(2)) KiB a session); peak at \(.connections) connections: "
      + "\($sum["cache-full"].cache.rss_peak_mib | fix(1)) MiB", ""),
  ([$sum[][] | select(.status_codes != null and (.status_codes | keys | any(startswith("2") | not)))] | length) as $n
  | if $n > 0 then "Status codes where not all 2xx:",
      ($targets[] as $t | order[] as $k | $sum[$t][$k] // empty
       | select(.status_codes != null and (.status_codes | keys | any(startswith("2") | not)))
       | "  \($t) \($k | title | ltrimstr("  ")): \(.status_codes | to_entries | map("\(.key) × \(.value)") | join(", "))"),
      ""
    else empty end,
  ([$targets[] as $t | order[] as $k | $sum[$t][$k] // empty | select(.requests == 0) | "\($t) \($k | title | ltrimstr("  "))"]
   | if length > 0 then "No request completed within the run (over wrk's timeout or stalled): " + join("; "), "" else empty end),
  ([$targets[] as $t | order[] as $k | $sum[$t][$k] // empty | select((.busy_after_s // 0) >= 2) | "\($t) \($k | title | ltrimstr("  ")) \(.busy_after_s | fix(1)) s"]
   | if length > 0 then "Still busy after the run ended (work wrk had given up on), waited for before the next run: " + join("; "), "" else empty end),
  "Ceilings: /healthz \($r.ceilings.healthz_rps | num) req/s | mariadb-slap statuses query \($r.ceilings.mariadb_slap_qps | num) queries/s"
    + " | redis-benchmark GET\(if $r.ceilings.redis_get_on == "cluster" then " --cluster" else "" end) \($r.ceilings.redis_get_rps | num) req/s (p99 \($r.ceilings.redis_get_p99_ms | num) ms)"
    + " | logins: \($r.ceilings.login_one_at_a_time_rps | num)/s one at a time × HASH_CONCURRENCY \($r.ceilings.hash_concurrency) = \($r.ceilings.login_rps | num)/s",
  "Fractions of the ceiling (status-api):",
  "  GET /me                 \($r.fractions.me_of_healthz | fix(2)) of /healthz   (\($r.fractions.me_of_redis_get | fix(2)) of redis GET)",
  "  GET /fetchStatus        \($r.fractions.fetch_of_mariadb_slap | fix(2)) of mariadb-slap (\($r.fractions.fetch_of_healthz | fix(2)) of /healthz); beside logins \($r.fractions.fetch_beside_logins_of_mariadb_slap | fix(2)), p99 \($r.fractions.fetch_p99_beside_logins_vs_alone | times) of alone",
  "At the cost of its parts alone (one /healthz, one redis-benchmark GET, one mariadb-slap query; machine time adds up):",
  "  GET /me                 ~\($r.ceilings.me_parts_rps | num) req/s = \($r.fractions.me_parts_of_healthz | fix(2)) of /healthz; measured \($r.fractions.me_of_parts | fix(2)) of that",
  "  GET /fetchStatus        ~\($r.ceilings.fetch_parts_rps | num) req/s = \($r.fractions.fetch_parts_of_mariadb_slap | fix(2)) of mariadb-slap; measured \($r.fractions.fetch_of_parts | fix(2)) of that",
  "  POST /addStatus         \($r.fractions.add_of_healthz | fix(2)) of /healthz",
  "  POST /checkemail        \($r.fractions.checkemail_of_healthz | fix(2)) of /healthz",
  "  POST /login             \($r.fractions.login_of_hash_ceiling | fix(2)) of HASH_CONCURRENCY ÷ one login's time (2xx/s)",
  "Per request (status-api; server-wide counters, so other clients of MariaDB/Redis add noise):",
  ($sum["status-api"] // {} | . as $o | order[] as $k | $o[$k] // empty | select(.redis_per_request != null) | . as $x
    | "  " + ($k | title | pad(27)) + "Redis \($x.redis_per_request.total | fix(2))"
      + ($x.redis_per_request.by_command | to_entries | map(select(.value >= 0.005))
         | if length > 0 then " (" + (map("\(.key) \(.value | fix(2))") | join(", ")) + ")" else "" end)
      + "; MySQL statements \($x.mysql_per_request.Questions // 0 | fix(2)), prepares \($x.mysql_per_request.Com_stmt_prepare // 0 | fix(2)), executes \($x.mysql_per_request.Com_stmt_execute // 0 | fix(2))"
      + ($x.mysql_per_request | to_entries
         | map(select(.key != "Questions" and .key != "Com_stmt_prepare" and .key != "Com_stmt_execute" and .value >= 0.005))
         | if length > 0 then " (" + (map("\(.key | ltrimstr("Com_")) \(.value | fix(2))") | join(", ")) + ")" else "" end)),
  (if ($r.ratios | length) > 0 then
    "",
    "status-api ÷ baseline (req/s: higher is better, 2xx/s for logins; p99: lower is better):",
    ("  " + ("scenario" | pad(31)) + ([$r.ratios | keys[] | ((. + " req/s") | lpad(rps_width)) + ((. + " p99") | lpad(p99_width))] | join(""))),
    (order[] as $k | select(any($r.ratios[]; .[$k] != null))
      | "  " + ($k | title | pad(31)) + ([$r.ratios | keys[] as $b | ($r.ratios[$b][$k].rps | times | lpad($b | rps_width)) + ($r.ratios[$b][$k].p99 | times | lpad($b | p99_width))] | join("")))
   else empty end),
  "",
  "Targets of issues 6 and 16 (measured here, now; '?' needs a baseline or a scenario that did not run):",
  ($r.goals[] | "  " + (if .met == true then "met   " elif .met == false then "MISSED" else "?     " end) + "  "
    + (.name | pad(48)) + (.value | if . == null then "-" elif type == "number" then num else tostring end | lpad(10)) + "  (want \(.want))")
