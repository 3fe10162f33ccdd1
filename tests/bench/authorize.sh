#!/usr/bin/env bash
# Benchmark of real-time call authorization (`POST /v1/switch/calls`) on PostgreSQL: one
# tenant with a SIP domain, extension 101, a platform sell deck of 1,000 prefixes, a top-up
# of 100,000,000 (enough for every hold), a carrier trunk and an outbound route `X.`, all
# set up through the API; then every request authorizes a new call (a unique call id: run,
# wrk thread and counter) to a number under one of the deck's prefixes, so each one places a
# credit hold — one conditional update of the tenant's one account row. The server runs one
# HTTP worker pinned to core 0, wrk runs on core 1; PostgreSQL is not pinned. The baseline,
# in the same run: pgbench on core 1 with the same connections and duration, each
# transaction one update of a one-row table (`UPDATE bench_account SET held = held + 1
# WHERE id = 1`) — the contended row write every hold makes, and nothing else. Not a test:
# it prints figures (and how many calls were allowed), it asserts nothing.
#
#   tests/bench/authorize.sh [DURATION_SECS=10] [CONNECTIONS=8]
#   BENCH_BIN=/path/to/centralita tests/bench/authorize.sh   # another build
#
# Goal: ≥ 2,000 authorizations/s per server core with p99 ≤ 5 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
CONNS=${2:-8}
PORT=${BENCH_PORT:-18185}
DB=centralita_authorize_bench
PGB=centralita_authorize_pgbench
WORK=$(mktemp -d)
SERVER=0
# (Never `kill 0`: that would signal this whole process group.)
trap '[ "$SERVER" = 0 ] || kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v pgbench >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-contrib >/dev/null; }
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release -q
  BENCH_BIN="${CARGO_TARGET_DIR:-target}/release/centralita"
fi
# The constant-rate load generator (examples/loadgen.rs) for the latency-at-a-rate runs.
cargo build --release -q --example loadgen
LOADGEN="${CARGO_TARGET_DIR:-target}/release/examples/loadgen"
# Offered rates of the constant-rate runs (requests/s), each for DURATION seconds.
RATES=${BENCH_RATES:-1000 1500 2000}
URL="http://127.0.0.1:$PORT"
sql() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
export RUST_LOG=warn CENTRALITA_LISTEN="127.0.0.1:$PORT" CENTRALITA_DATA_DIR="$WORK/data"
# BENCH_DB_PARAMS: connection parameters, e.g. `?sslmode=disable` (TLS off on loopback).
export CENTRALITA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB${BENCH_DB_PARAMS:-}"
export CENTRALITA_BOOTSTRAP_ADMIN_EMAIL=bench@example.com CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD=bench-password-123

post() { curl -sf "$URL$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "${@:3}" -d "$2"; }
get() { curl -sf "$URL$1" -H "authorization: Bearer $TOKEN"; }
wait_up() { for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && return; sleep 0.2; done; }
cpu_ticks() { awk '/^cpu[01] / { printf "%s %d %d ", $1, $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8 }' /proc/stat; }
# CPU time (clock ticks) of the server and of all PostgreSQL processes, and per-request shares.
proc_ticks() { cat "/proc/$SERVER/stat" $(pgrep -x postgres | sed 's|.*|/proc/&/stat|') 2>/dev/null \
  | awk -v s="$SERVER" '$1 == s { srv += $14 + $15; next } { pg += $14 + $15 } END { printf "%d %d", srv, pg }'; }
cpu_per() { # cpu_per BEFORE AFTER COUNT: server and PostgreSQL CPU µs per request
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { split(a, x, " "); split(b, y, " ");
    printf "CPU per request: server %d µs, PostgreSQL %d µs", (y[1] - x[1]) * 1e6 / hz / n, (y[2] - x[2]) * 1e6 / hz / n }'
}
busy() { # busy BEFORE AFTER: per-core busy % between two cpu_ticks samples
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
    printf "core 0 %d%% busy, core 1 %d%%", 100 * (y[2] - x[2]) / (y[3] - x[3]), 100 * (y[5] - x[5]) / (y[6] - x[6]) }'
}

# The deck: 1,000 distinct prefixes (5-8 digits) inside ordinary mobile and geographic
# ranges of seven countries; the numbers called: 4,000 full-length numbers under them
# (fixed seed). Not premium, shared-cost or personal ranges: the spend policy's toll-fraud
# check refuses those, and every call here should be allowed.
python3 - "$WORK" <<'PY'
import random, sys
work = sys.argv[1]
rnd = random.Random(20261206)
digits = lambda n: "".join(rnd.choice("0123456789") for _ in range(n))
# (range, digits of a full number with its country code)
ranges = [("346", 11), ("3471", 11), ("3491", 11), ("3493", 11), ("336", 11), ("337", 11),
          ("4915", 13), ("4917", 12), ("393", 12), ("4474", 12), ("4477", 12), ("4479", 12),
          ("1212", 11), ("1415", 11), ("1312", 11), ("5255", 12), ("5511", 13)]
prefixes = {}
while len(prefixes) < 1000:
    base, length = rnd.choice(ranges)
    prefixes.setdefault(base + digits(rnd.randint(max(0, 5 - len(base)), 8 - len(base))), length)
prefixes = sorted(prefixes.items())
with open(f"{work}/deck.csv", "w") as f:
    f.write("prefix,destination,rate,connection_fee,first_increment,next_increment\n")
    for i, (p, _) in enumerate(prefixes):
        f.write(f"{p},Destination {i},{rnd.randint(1000, 200000) / 1e6:.6f},0,1,1\n")
numbers = []
for _ in range(4000):
    p, length = rnd.choice(prefixes)
    numbers.append(p + digits(length - len(p)))
with open(f"{work}/numbers.lua", "w") as f:
    f.write("numbers = {\n" + "".join(f'"{n}",\n' for n in numbers) + "}\n")
with open(f"{work}/numbers.txt", "w") as f:
    f.write("".join(n + "\n" for n in numbers))
PY

sql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
echo "setting up through the API (centralita serve)…"
"$BENCH_BIN" serve >"$WORK/setup.log" 2>&1 &
SERVER=$!
wait_up
TOKEN=$(curl -sf "$URL/v1/auth/token" -H 'content-type: application/json' \
  -d "{\"email\":\"$CENTRALITA_BOOTSTRAP_ADMIN_EMAIL\",\"password\":\"$CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD\"}" | jq -r .access_token)
T=$(post /v1/tenants '{"name":"Bench Caller"}' | jq -r .id)
DOMAIN=calls.bench.example.com
post "/v1/tenants/$T/domains" "{\"name\":\"$DOMAIN\"}" >/dev/null
post "/v1/tenants/$T/extensions" '{"number":"101","display_name":"Desk"}' >/dev/null
DECK=$(post /v1/rate-decks '{"name":"Bench retail","currency":"USD"}' | jq -r .id)
IMPORT=$(curl -sf "$URL/v1/rate-decks/$DECK/imports?activate=true" -H "authorization: Bearer $TOKEN" \
  -H 'content-type: text/csv' --data-binary @"$WORK/deck.csv" | jq -r .id)
for _ in $(seq 1 300); do
  STATUS=$(get "/v1/rate-decks/$DECK/imports/$IMPORT" | jq -r .status)
  case $STATUS in succeeded | rejected | failed) break ;; esac
  sleep 0.1
done
echo "deck import: $STATUS, active version $(get "/v1/rate-decks/$DECK" | jq -r .active_version)"
post "/v1/tenants/$T/billing-account" "{\"sell_deck_id\":\"$DECK\",\"currency\":\"USD\"}" -X PATCH >/dev/null
post "/v1/tenants/$T/transactions" '{"kind":"top_up","amount":"100000000"}' -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" >/dev/null
TRUNK=$(post /v1/trunks '{"name":"carrier-bench","host":"127.0.0.1"}' | jq -r .id)
post "/v1/tenants/$T/outbound-routes" "{\"name\":\"Out\",\"patterns\":[\"X.\"],\"trunk_ids\":[\"$TRUNK\"]}" >/dev/null
NODE=$(post /v1/switch-nodes '{"name":"edge-bench","kind":"kamailio","addresses":["127.0.0.1"]}' | jq -r .token)
echo "balance: $(get "/v1/tenants/$T/balance" | jq -c .)"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true

CENTRALITA_HTTP_WORKERS=1 CENTRALITA_DATABASE_MAX_CONNECTIONS=${BENCH_POOL:-$CONNS} taskset -c 0 "$BENCH_BIN" api >"$WORK/server.log" 2>&1 &
SERVER=$!
wait_up
FIRST=$(sed -n 2p "$WORK/numbers.lua" | tr -d '",')
echo "one call: $(curl -sf "$URL/v1/switch/calls" -H "authorization: Bearer $NODE" -H 'content-type: application/json' \
  -d "{\"call_id\":\"probe@bench\",\"domain\":\"$DOMAIN\",\"caller\":\"101\",\"destination\":\"$FIRST\"}" \
  | jq -c '{decision, reason, max_duration_seconds, rate, hold, prefix, trunks: (.trunks | length)}')"

cat "$WORK/numbers.lua" - >"$WORK/calls.lua" <<'LUA'
-- A new call per request: call id = run, wrk thread, counter; numbers round-robin.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
local token, domain, run = os.getenv("NODE"), os.getenv("DOMAIN"), os.getenv("RUN")
local headers = { ["authorization"] = "Bearer " .. token, ["content-type"] = "application/json" }
local i = 0
allowed, denied, failed, reasons = 0, 0, 0, {}
request = function()
  i = i + 1
  local body = string.format('{"call_id":"%s-%d-%d@bench","domain":"%s","caller":"101","destination":"%s"}',
    run, tid, i, domain, numbers[(i % #numbers) + 1])
  return wrk.format("POST", "/v1/switch/calls", headers, body)
end
response = function(status, _, body)
  if status ~= 200 then
    failed = failed + 1
  elseif body:find('"decision":"allow"', 1, true) then
    allowed = allowed + 1
  else
    denied = denied + 1
    local why = body:match('"reason":"([^"]*)"') or "?"
    reasons[why] = (reasons[why] or 0) + 1
  end
end
done = function()
  local a, d, f, r = 0, 0, 0, {}
  for _, t in ipairs(threads) do
    a, d, f = a + t:get("allowed"), d + t:get("denied"), f + t:get("failed")
    for why, n in pairs(t:get("reasons")) do r[why] = (r[why] or 0) + n end
  end
  local list = {}
  for why, n in pairs(r) do table.insert(list, why .. " " .. n) end
  io.write(string.format("DECISIONS allow %d, deny %d%s, non-200 %d\n", a, d,
    #list > 0 and " (" .. table.concat(list, ", ") .. ")" or "", f))
end
LUA

printf '%s' "UPDATE bench_account SET held = held + 1 WHERE id = 1;" >"$WORK/update.sql"

echo "warming up (3 s)…"
NODE=$NODE DOMAIN=$DOMAIN RUN=warm taskset -c 1 wrk -t1 -c"$CONNS" -d3s -s "$WORK/calls.lua" "$URL" >/dev/null

echo
echo "== $(date -u +%F), $(nproc) cores, load average before $(cut -d' ' -f1-3 /proc/loadavg); binary $BENCH_BIN"
echo "== server: 1 HTTP worker on core 0 (taskset -c 0), pool $CONNS; load on core 1; PostgreSQL unpinned; $CONNS connections, ${DURATION}s"
before=$(cpu_ticks) ticks=$(proc_ticks)
OUT=$(NODE=$NODE DOMAIN=$DOMAIN RUN=m taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$WORK/calls.lua" "$URL")
cpu=$(busy "$before" "$(cpu_ticks)") ticks="$ticks $(proc_ticks)"
printf '%-44s %9s req/s   p50 %8s   p99 %8s   %s\n' "POST /v1/switch/calls (new call, hold)" \
  "$(awk '/Requests\/sec/ {print $2}' <<<"$OUT")" \
  "$(awk '$1=="50%" {print $2}' <<<"$OUT")" "$(awk '$1=="99%" {print $2}' <<<"$OUT")" "$cpu"
N=$(awk '/requests in/ {print $1}' <<<"$OUT")
echo "   answers: $(awk '/^DECISIONS/ {$1=""; print}' <<<"$OUT" | sed 's/^ //'); wrk: $N requests$(awk '/Socket errors/ {print ", " $0}' <<<"$OUT")"
echo "   $(cpu_per "${ticks% * *}" "${ticks#* * }" "$N")"
echo "   in the database (this run's call ids): $(sql -d "$DB" -Atc \
  "SELECT string_agg(kind || '/' || status || ' ' || n, ', ') FROM (SELECT kind, status, count(*) n FROM call_authorizations WHERE call_id LIKE 'm-%' GROUP BY 1, 2) c")"
echo "   balance after: $(get "/v1/tenants/$T/balance" | jq -c .)"
grep -iE 'warn|error|panic' "$WORK/server.log" | sort | uniq -c | sort -rn | head -5 | sed 's/^/   server log: /' || true

echo
echo "== constant rates: each offered for ${DURATION}s over at most $CONNS connections (open model, as wrk2 and"
echo "   pgbench --rate: a request's latency counts from when it was due, so a stall is not hidden)"
for RATE in $RATES; do
  before=$(cpu_ticks) ticks=$(proc_ticks)
  LG=$(taskset -c 1 "$LOADGEN" --url "$URL/v1/switch/calls" --rate "$RATE" --duration "$DURATION" \
    --connections "$CONNS" --header "authorization: Bearer $NODE" --lines "$WORK/numbers.txt" \
    --body "{\"call_id\":\"r$RATE-{i}@bench\",\"domain\":\"$DOMAIN\",\"caller\":\"101\",\"destination\":\"{line}\"}" \
    --count '"decision":"allow"')
  cpu=$(busy "$before" "$(cpu_ticks)") ticks="$ticks $(proc_ticks)"
  kv() { tr ' ' '\n' <<<"$LG" | sed -n "s/^$1=//p"; }
  printf '%-44s %9s req/s   p50 %6sms   p99 %6sms   %s\n' "POST /v1/switch/calls at ${RATE}/s" \
    "$(kv rate)" "$(kv p50)" "$(kv p99)" "$cpu"
  echo "   p90 $(kv p90) ms, p99.9 $(kv p999) ms, max $(kv max) ms; $(kv requests) requests, $(kv ok) answered 200 ($(kv matched) allowed), $(kv other) not"
  echo "   $(cpu_per "${ticks% * *}" "${ticks#* * }" "$(kv requests)"); in the database: $(sql -d "$DB" -Atc \
    "SELECT string_agg(kind || '/' || status || ' ' || n, ', ') FROM (SELECT kind, status, count(*) n FROM call_authorizations WHERE call_id LIKE 'r$RATE-%' GROUP BY 1, 2) c")"
done

# pgbench RUN-LABEL [ARGS…]: the baseline with the same connections and duration; latency
# per transaction from its log (with --rate, plus the schedule lag: from when it was due).
pgbench_line() {
  local label=$1 before cpu p50 p99
  shift
  sql -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "CREATE DATABASE $PGB"
  sql -d "$PGB" -c "CREATE TABLE bench_account (id int PRIMARY KEY, held bigint NOT NULL)" \
    -c "INSERT INTO bench_account VALUES (1, 0)"
  rm -f "$WORK"/pgb.*
  before=$(cpu_ticks)
  (cd "$WORK" && taskset -c 1 pgbench -h 127.0.0.1 -U postgres -n -f update.sql -c "$CONNS" -j 1 -T "$DURATION" \
    -l --log-prefix=pgb "$@" "$PGB" >"$WORK/pgbench.out" 2>&1)
  cpu=$(busy "$before" "$(cpu_ticks)")
  read -r p50 p99 < <(cat "$WORK"/pgb.* | awk '{print $3 + (NF >= 7 ? $7 : 0)}' | sort -n \
    | awk '{a[NR]=$1} END {printf "%.2fms %.2fms\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000}')
  printf '%-44s %9s tx/s    p50 %8s   p99 %8s   %s\n' "$label" \
    "$(awk '/^tps/ {printf "%.2f", $3; exit}' "$WORK/pgbench.out")" "$p50" "$p99" "$cpu"
}
echo
pgbench_line "baseline: pgbench one-row UPDATE (core 1)"
for RATE in $RATES; do
  pgbench_line "baseline: the same at ${RATE}/s (--rate)" --rate "$RATE"
done
echo "goal: ≥ 2,000 authorizations/s per server core, p99 ≤ 5 ms"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=0
sql -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
