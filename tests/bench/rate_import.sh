#!/usr/bin/env bash
# Benchmark of the rate-deck CSV import (`POST /v1/rate-decks/{deck}/imports`, a job): for
# each ROWS, a CSV of ROWS distinct random prefixes of 2-9 digits with random rates is
# uploaded into a new platform deck — a dry run, then an apply with `?activate=true` — and
# each is timed from the POST to the answer 202 (the upload) and to the import's end (polled
# every 0.1 s). While each runs, a load loop reads another tenant's extensions
# (GET /v1/tenants/{B}/extensions?limit=50, 4 keep-alive connections); its p50/p99 are
# printed next to the same reads with no import running (the baseline, measured just before
# in the same run). On SQLite and PostgreSQL, with `centralita serve` (API + embedded
# worker), release build. Not a test: it prints figures, it asserts nothing.
#
#   tests/bench/rate_import.sh [ROWS="100000 500000"] [BACKENDS="sqlite postgres"]
#   BENCH_BIN=/path/to/centralita tests/bench/rate_import.sh 100000   # another build
#
# Goals: 100,000 rows applied in ≤ 10 s, 500,000 in ≤ 60 s (POST to `succeeded`). An import
# still running after IMPORT_TIMEOUT seconds (default 300) is reported as such and left.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS_LIST=${1:-"100000 500000"}
BACKENDS=${2:-"sqlite postgres"}
PORT=${BENCH_PORT:-18184}
BASE_SECS=${BASE_SECS:-5}
TIMEOUT=${IMPORT_TIMEOUT:-300}
DB=centralita_rate_import_bench
WORK=$(mktemp -d)
SERVER=0
# (Never `kill 0`: that would signal this whole process group.)
trap '[ "$SERVER" = 0 ] || kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release -q
  BENCH_BIN="${CARGO_TARGET_DIR:-target}/release/centralita"
fi
LOAD="python3 tests/bench/import_load.py"
URL="http://127.0.0.1:$PORT"
export RUST_LOG=warn CENTRALITA_LISTEN="127.0.0.1:$PORT"
export CENTRALITA_BOOTSTRAP_ADMIN_EMAIL=bench@example.com CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD=bench-password-123

post() { curl -sf "$URL$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$2"; }
get() { curl -sf "$URL$1" -H "authorization: Bearer $TOKEN"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# The job's phases from its timestamps: queued → started (the wait for a worker), started →
# finished (parsing, checking and, for an apply, writing the rates).
job_phases() {
  get "/v1/jobs/$1" | jq -r 'def ts: capture("^(?<s>[^.Z+]*)(\\.(?<f>[0-9]+))?")
      | ((.s + "Z") | fromdateiso8601) + (("0." + (.f // "0")) | tonumber);
    if .started_at and .finished_at then
      "waited \((.started_at | ts) - (.created_at | ts) | . * 100 | round / 100) s for a worker, ran \((.finished_at | ts) - (.started_at | ts) | . * 100 | round / 100) s"
    else "not finished: \(.status)" end' 2>/dev/null || echo "?"
}

rates_csv() { # rates_csv ROWS: ROWS distinct random prefixes of 2-9 digits (fixed seed)
  python3 - "$1" <<'PY'
import random, sys
n = int(sys.argv[1])
rnd = random.Random(20261206)
seen = set()
out = sys.stdout
out.write("prefix,destination,rate,connection_fee,minimum_seconds,first_increment,next_increment,effective_from,effective_until\n")
incs = ("60,60", "1,1", "30,6")
while len(seen) < n:
    p = str(rnd.randint(1, 9)) + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 8)))
    if p in seen:
        continue
    seen.add(p)
    fee = "0" if rnd.random() < 0.8 else f"{rnd.randint(1, 5000) / 1e4:.4f}"
    out.write(f"{p},Destination {len(seen)},{rnd.randint(100, 500000) / 1e6:.6f},{fee},0,{rnd.choice(incs)},,\n")
PY
}

# import_timed LABEL DECK QUERY FILE: POST, poll to the end, with B's extensions read meanwhile.
import_timed() {
  local label=$1 deck=$2 query=$3 file=$4
  rm -f "$WORK/stop"
  $LOAD 127.0.0.1 "$PORT" "/v1/tenants/$B/extensions?limit=50" "$TOKEN" "$WORK/stop" "$TIMEOUT" >"$WORK/load.json" &
  local load=$! start code upload status="" view total=""
  sleep 0.5
  start=$(now)
  code=$(curl -s -o "$WORK/import.json" -w '%{http_code}' "$URL/v1/rate-decks/$deck/imports?$query" \
    -H "authorization: Bearer $TOKEN" -H 'content-type: text/csv' --data-binary @"$file")
  upload=$(since "$start")
  local id
  id=$(jq -r '.id // empty' "$WORK/import.json")
  while [ -n "$id" ]; do
    view=$(get "/v1/rate-decks/$deck/imports/$id") || view='{}'
    status=$(jq -r '.status // "?"' <<<"$view")
    case $status in succeeded | rejected | failed) total=$(since "$start"); break ;; esac
    if awk -v t="$(since "$start")" -v m="$TIMEOUT" 'BEGIN { exit !(t > m) }'; then
      total="> $TIMEOUT (still $status)"
      break
    fi
    sleep 0.1
  done
  touch "$WORK/stop"
  wait "$load"
  if [ -z "$id" ]; then
    printf '%-8s %7s %-8s upload HTTP %s in %s s: %s\n' "$BACKEND" "$ROWS" "$label" "$code" "$upload" "$(head -c 300 "$WORK/import.json")"
    return
  fi
  printf '%-8s %7s %-8s upload %5s s (HTTP %s), %-9s %5s s after the POST (job %s); rows %s, bad %s%s\n%27s B reads: %s\n' \
    "$BACKEND" "$ROWS" "$label" "$upload" "$code" "$status" "$total" "$(job_phases "$(jq -r .job_id <<<"$view")")" \
    "$(jq -r .rows <<<"$view")" "$(jq -r .bad_rows <<<"$view")" \
    "$(jq -r 'if .failure then ", failure: " + .failure else "" end' <<<"$view")" "" "$(cat "$WORK/load.json")"
  if [ "$status" != succeeded ]; then
    jq -c '.errors[:3]' <<<"$view" | sed 's/^/         first bad lines: /'
  fi
}

for ROWS in $ROWS_LIST; do rates_csv "$ROWS" >"$WORK/rates-$ROWS.csv"; done
echo "rate import; binary $BENCH_BIN; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ROWS in $ROWS_LIST; do
  echo "  $ROWS rows: $(wc -c <"$WORK/rates-$ROWS.csv") bytes"
done
for BACKEND in $BACKENDS; do
  rm -rf "$WORK/data"
  export CENTRALITA_DATA_DIR="$WORK/data"
  if [ "$BACKEND" = postgres ]; then
    PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    export CENTRALITA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
  else
    unset CENTRALITA_DATABASE_URL
  fi
  "$BENCH_BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
  TOKEN=$(curl -sf "$URL/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"email\":\"$CENTRALITA_BOOTSTRAP_ADMIN_EMAIL\",\"password\":\"$CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD\"}" | jq -r .access_token)
  B=$(post /v1/tenants '{"name":"Bench Reader"}' | jq -r .id)
  post "/v1/tenants/$B/domains" '{"name":"b.bench.example.com"}' >/dev/null
  { echo "number,display_name"; seq 2000 2199 | awk '{print $1 ",Person " $1}'; } >"$WORK/b.csv"
  curl -sf "$URL/v1/tenants/$B/extensions/import" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: text/csv' --data-binary @"$WORK/b.csv" >/dev/null

  echo
  for ROWS in $ROWS_LIST; do
    # A fresh token per size: the access token lives 15 minutes.
    TOKEN=$(curl -sf "$URL/v1/auth/token" -H 'content-type: application/json' \
      -d "{\"email\":\"$CENTRALITA_BOOTSTRAP_ADMIN_EMAIL\",\"password\":\"$CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD\"}" | jq -r .access_token)
    DECK=$(post /v1/rate-decks "{\"name\":\"Bench $ROWS\",\"currency\":\"USD\"}" | jq -r .id)
    printf '%-8s %7s %-8s %s\n' "$BACKEND" "$ROWS" "baseline" \
      "B reads, no import: $($LOAD 127.0.0.1 "$PORT" "/v1/tenants/$B/extensions?limit=50" "$TOKEN" "$WORK/never" "$BASE_SECS")"
    import_timed "dry run" "$DECK" "dry_run=true" "$WORK/rates-$ROWS.csv"
    import_timed "apply" "$DECK" "activate=true" "$WORK/rates-$ROWS.csv"
    case $ROWS in
      100000) goal="goal: apply ≤ 10 s" ;;
      500000) goal="goal: apply ≤ 60 s" ;;
      *) goal="goals: 100,000 rows ≤ 10 s, 500,000 ≤ 60 s" ;;
    esac
    printf '%-8s %7s %-8s %s; versions: %s; server RSS %s\n' "$BACKEND" "$ROWS" "" "$goal" \
      "$(get "/v1/rate-decks/$DECK/versions" | jq -c '[.items[] | {number, status, active, rate_count}]')" \
      "$(awk '/VmRSS/ {printf "%d MiB", $2 / 1024}' "/proc/$SERVER/status")"
    # Give the background rate-book warm-up of the new active version time to settle.
    sleep 3
  done
  if grep -qiE 'error|panic' "$WORK/server.log"; then
    echo "server log ($BACKEND), errors:"
    grep -iE 'error|panic' "$WORK/server.log" | tail -5
  fi
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=0
done
[[ " $BACKENDS " != *" postgres "* ]] ||
  PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
