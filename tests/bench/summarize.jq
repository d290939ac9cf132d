# Turns the raw records of tests/bench/run.sh into medians per target and
# scenario, the ceilings, each scenario as a fraction of its ceiling, the ratios
# ours/baseline, the issue's targets, and the export's memory. Input and output:
# one JSON object.

def median: sort | if length == 0 then null
  elif length % 2 == 1 then .[(length - 1) / 2]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def med(f): [.[] | f | select(. != null)] | median;
def total(f): [.[] | f // 0] | add // 0;
def maxof(f): [.[] | f | select(. != null)] | max;
def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
# The rate of work costing one of each: machine time per request adds up.
def serial($rates): if any($rates[]; . == null or . == 0) then null else 1 / ([$rates[] | 1 / .] | add) end;
def runkey: .scenario + (if .part == "main" then "" else "/" + .part end);

# Counter deltas per request, as the median over rounds per counter.
def per_request(f):
  map(. as $r | (f // {}) | map_values(. / ($r.requests | if . == 0 then 1 else . end))) as $rounds
  | ([$rounds[] | keys[]] | unique) as $keys
  | if ($keys | length) == 0 then {} else
      [$keys[] as $k | {key: $k, value: ([$rounds[] | .[$k] // 0] | median)}] | from_entries
    end;

def summarize_runs:
  {
    rounds: length,
    connections: .[0].connections,
    rps: med(.rps),
    ok_rps: med(.ok_rps),
    p50_ms: med(.latency_ms.p50),
    p90_ms: med(.latency_ms.p90),
    p99_ms: med(.latency_ms.p99),
    mean_ms: med(.latency_ms.mean),
    max_ms: maxof(.latency_ms.max),
    requests: total(.requests),
    non_2xx: total(.non_2xx),
    socket_errors: total(.socket_errors),
    status_codes: (if any(.[]; .status_codes != null) then
        reduce (.[] | .status_codes // {} | to_entries[]) as $e ({}; .[$e.key] += $e.value) else null end),
    rss_peak_mib: (maxof(.rss_peak_kib) | if . == null then null else . / 1024 end),
    rss_scope: .[0].rss_scope,
    busy_after_s: maxof(.busy_after_s),
    cpu_cores: {server: med(.cpu_cores.server), mariadb: med(.cpu_cores.mariadb),
                redis: med(.cpu_cores.redis), machine_busy: med(.cpu_cores.machine_busy)}
  }
  + (if .[0].scenario == "fetch_login" then {} else
      (per_request(.redis_commands)) as $redis
      | {redis_per_request: ({total: ([$redis[]] | add // 0)} + {by_command: $redis}),
         mysql_per_request: per_request(.mysql_counters)}
    end);

# The export's records (one curl each, no wrk): medians over rounds per part.
def mib: if . == null then null else . / 1024 end;
def summarize_exports:
  {
    rounds: length,
    limit_rate: .[0].limit_rate,
    max_seconds: .[0].max_seconds,
    http_codes: (map(.http_code | tostring) | unique),
    curl_exits: (map(.curl_exit) | unique),
    bytes: med(.bytes),
    seconds: med(.seconds),
    mb_per_s: med(if .bytes != null and (.seconds // 0) > 0 then .bytes / .seconds / 1e6 else null end),
    rss_idle_mib: (med(.rss_idle_kib) | mib),
    rss_peak_mib: (med(.rss_peak_kib) | mib),
    rss_after_mib: (med(.rss_after_kib) | mib),
    rss_growth_mib: (med(.rss_peak_kib - .rss_idle_kib) | mib),
    rss_growth_max_mib: (maxof(.rss_peak_kib - .rss_idle_kib) | mib),
    rss_samples: med(.rss_samples | length),
    rss_peak_from: (if all(.[]; .rss_hwm_kib != null) then "VmHWM and samples" else "samples" end),
    document: (if any(.[]; .document != null) then
        {valid: all(.[]; .document.valid == true), statuses: med(.document.statuses),
         errors: [.[] | .document.error // empty]}
      else null end)
  };

. as $raw
| ([.records[] | select(.scenario == "export")] | group_by(.part)
   | map({key: .[0].part, value: summarize_exports}) | from_entries) as $export
| [.records[] | select(.target != "ceiling" and .scenario != "export")] as $runs
| ($runs | group_by(.target) | map({key: .[0].target,
     value: (group_by(runkey) | map({key: (.[0] | runkey), value: summarize_runs}) | from_entries)}) | from_entries) as $summary
| ($summary["status-api"] // {}) as $ours
| ({
    healthz_rps: $ours.healthz.rps,
    mariadb_slap_qps: ([.records[] | select(.scenario == "mariadb_slap") | .rps] | median),
    redis_get_rps: ([.records[] | select(.scenario == "redis_get") | .rps] | median),
    redis_get_p99_ms: ([.records[] | select(.scenario == "redis_get") | .latency_ms.p99] | median),
    redis_get_on: ([.records[] | select(.scenario == "redis_get") | .redis // "single"] | first),
    login_one_at_a_time_rps: $ours.login_c1.ok_rps,
    hash_concurrency: .settings.hash_concurrency,
    login_rps: (if $ours.login_c1.ok_rps == null then null else $ours.login_c1.ok_rps * .settings.hash_concurrency end)
  }
  # What /me and /fetchStatus would reach if each cost exactly its parts, measured
  # alone: one /healthz (HTTP), one redis-benchmark GET, one mariadb-slap query.
  | . + {me_parts_rps: serial([.healthz_rps, .redis_get_rps]),
         fetch_parts_rps: serial([.healthz_rps, .redis_get_rps, .mariadb_slap_qps])})
  as $ceil
| {
    me_of_healthz: ratio($ours.me.rps; $ceil.healthz_rps),
    fetch_of_healthz: ratio($ours.fetch.rps; $ceil.healthz_rps),
    add_of_healthz: ratio($ours.add.rps; $ceil.healthz_rps),
    checkemail_of_healthz: ratio($ours.checkemail.rps; $ceil.healthz_rps),
    me_of_redis_get: ratio($ours.me.rps; $ceil.redis_get_rps),
    me_of_parts: ratio($ours.me.rps; $ceil.me_parts_rps),
    me_parts_of_healthz: ratio($ceil.me_parts_rps; $ceil.healthz_rps),
    fetch_of_parts: ratio($ours.fetch.rps; $ceil.fetch_parts_rps),
    fetch_parts_of_mariadb_slap: ratio($ceil.fetch_parts_rps; $ceil.mariadb_slap_qps),
    fetch_of_mariadb_slap: ratio($ours.fetch.rps; $ceil.mariadb_slap_qps),
    fetch_beside_logins_of_mariadb_slap: ratio($ours.fetch_login.rps; $ceil.mariadb_slap_qps),
    login_of_hash_ceiling: ratio($ours.login.ok_rps; $ceil.login_rps),
    fetch_p99_beside_logins_vs_alone: ratio($ours.fetch_login.p99_ms; $ours.fetch.p99_ms)
  } as $frac
| ([$summary | keys[] | select(. != "status-api" and . != "cache-full")] | map(. as $b | {key: $b, value:
     ([$ours | keys[] | select(. != "login_c1") | select($summary[$b][.] != null)] | map(. as $s | {key: $s, value: {
        rps: ratio(if $s | startswith("login") or endswith("/logins") then $ours[$s].ok_rps else $ours[$s].rps end;
                   if $s | startswith("login") or endswith("/logins") then $summary[$b][$s].ok_rps else $summary[$b][$s].rps end),
        p99: ratio($ours[$s].p99_ms; $summary[$b][$s].p99_ms)}}) | from_entries)}) | from_entries) as $ratios
| def goal($name; $value; $ok; $want): {name: $name, value: $value, want: $want, met: (if $value == null then null else $ok end)};
  [
    goal("/me req/s vs node-1"; $ratios["node-1"].me.rps; $ratios["node-1"].me.rps >= 25; ">= 25x"),
    goal("/me req/s vs node-2w"; $ratios["node-2w"].me.rps; $ratios["node-2w"].me.rps >= 10; ">= 10x"),
    goal("/me of /healthz"; $frac.me_of_healthz; $frac.me_of_healthz >= 0.8; ">= 0.80"),
    goal("/me p99 vs node-1"; $ratios["node-1"].me.p99; $ratios["node-1"].me.p99 <= 0.25; "<= 0.25x"),
    goal("/fetchStatus req/s vs node-1"; $ratios["node-1"].fetch.rps; $ratios["node-1"].fetch.rps >= 4; ">= 4x"),
    goal("/fetchStatus of mariadb-slap"; $frac.fetch_of_mariadb_slap; $frac.fetch_of_mariadb_slap >= 0.5; ">= 0.50"),
    goal("/fetchStatus p99 vs node-1"; $ratios["node-1"].fetch.p99; $ratios["node-1"].fetch.p99 <= 0.25; "<= 0.25x"),
    goal("/addStatus req/s vs node-1"; $ratios["node-1"].add.rps; $ratios["node-1"].add.rps >= 3; ">= 3x"),
    goal("logins of HASH_CONCURRENCY / hash time"; $frac.login_of_hash_ceiling; $frac.login_of_hash_ceiling >= 0.9; ">= 0.90"),
    goal("/fetchStatus p99 beside logins vs alone"; $frac.fetch_p99_beside_logins_vs_alone; $frac.fetch_p99_beside_logins_vs_alone <= 3; "<= 3x"),
    goal("non-2xx outside the login scenarios"; ([$ours | to_entries[] | select(.key | test("login") | not) | .value.non_2xx] | add);
         ([$ours | to_entries[] | select(.key | test("login") | not) | .value.non_2xx] | add) == 0; "0"),
    goal("login answers other than 200 and 503"; ([$ours | to_entries[] | select(.key | test("login")) | .value.status_codes // {} | to_entries[] | select(.key != "200" and .key != "503") | .value] | add // 0);
         ([$ours | to_entries[] | select(.key | test("login")) | .value.status_codes // {} | to_entries[] | select(.key != "200" and .key != "503") | .value] | add // 0) == 0; "0"),
    goal("socket errors"; ([$ours[] | .socket_errors] | add); ([$ours[] | .socket_errors] | add) == 0; "0"),
    goal("server peak RSS MiB (at \($raw.settings.connections) connections)"; ([$ours[] | .rss_peak_mib] | max); ([$ours[] | .rss_peak_mib] | max) < 64; "< 64"),
    goal("Redis commands per /me"; $ours.me.redis_per_request.total; $ours.me.redis_per_request.total <= 0.05; "~0"),
    ($summary["cache-full"].cache as $c
     | goal("server peak RSS MiB, session cache full (\($raw.settings.cache.sessions), \($c.connections // "-") connections)";
            $c.rss_peak_mib; $c.rss_peak_mib < 64; "< 64")),
    goal("MySQL prepares per /fetchStatus"; ($ours.fetch.mysql_per_request.Com_stmt_prepare // 0 | if $ours.fetch == null then null else . end);
         ($ours.fetch.mysql_per_request.Com_stmt_prepare // 0) <= 0.01; "~0"),
    goal("MySQL statements executed per /fetchStatus"; $ours.fetch.mysql_per_request.Questions;
         $ours.fetch.mysql_per_request.Questions <= 1.05; "<= 1")
  ] as $goals
# Issue 13: exporting keeps the server's RSS within a few MiB of idle, read as at
# most 4 MiB above it, for both readers, with every export answered 200 and the
# full one a whole, valid document.
| (if ($export | length) == 0 then null else
    ([$export[] | .rss_growth_max_mib] | max) as $growth
    | (all($export[]; .http_codes == ["200"]) and ($export.full.document.valid // false)) as $whole
    | $export + {goal: {name: "server RSS above idle while exporting, MiB", value: $growth, want: "<= 4",
                        met: ($growth != null and $growth <= 4 and $whole), answered_and_valid: $whole}}
  end) as $export
| $raw + {summary: $summary, ceilings: $ceil, fractions: $frac, ratios: $ratios, goals: $goals, export: $export}
