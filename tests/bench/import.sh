#!/usr/bin/env bash
# Benchmark of the extension CSV import: ROWS extensions (default 10,000) imported into
# tenant A — a dry run, then the real import — while a load loop reads tenant B's extensions
# (GET /v1/tenants/{B}/extensions, 4 keep-alive connections); next to the same reads with no
# import running (the baseline, measured first in the same run). On SQLite and PostgreSQL,
# with `centralita serve` (API + embedded worker), release build. Not a test: it prints
# figures, it asserts nothing.
#
#   tests/bench/import.sh [ROWS=10000] [BACKENDS="sqlite postgres"]
#   BENCH_BIN=/path/to/centralita tests/bench/import.sh 5000   # another build, e.g. an older one
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-10000}
BACKENDS=${2:-"sqlite postgres"}
PORT=${BENCH_PORT:-18183}
BASE_SECS=${BASE_SECS:-5}
DB=centralita_import_bench
WORK=$(mktemp -d)
SERVER=0
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release -q
  BENCH_BIN="${CARGO_TARGET_DIR:-target}/release/centralita"
fi
LOAD="python3 tests/bench/import_load.py"
URL="http://127.0.0.1:$PORT"
export RUST_LOG=warn CENTRALITA_LISTEN="127.0.0.1:$PORT"
export CENTRALITA_BOOTSTRAP_ADMIN_EMAIL=bench@example.com CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD=bench-password-123
# Older builds took CSV bodies only up to the general limit.
export CENTRALITA_MAX_BODY_BYTES=$((4 * 1024 * 1024))

post() { curl -sf "$URL$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$2"; }

csv() { # csv FIRST COUNT: COUNT rows numbered from FIRST
  echo "number,display_name"
  seq "$1" $(($1 + $2 - 1)) | awk '{print $1 ",Person " $1}'
}

# import_with_load LABEL QUERY FILE: times the import while tenant B is read.
import_with_load() {
  rm -f "$WORK/stop"
  $LOAD 127.0.0.1 "$PORT" "/v1/tenants/$B/extensions?limit=50" "$TOKEN" "$WORK/stop" 300 >"$WORK/load.json" &
  local load=$!
  sleep 0.5
  local out
  out=$(curl -s -o "$WORK/import.json" -w '%{http_code} %{time_total}' "$URL/v1/tenants/$A/extensions/import?$2" \
    -H "authorization: Bearer $TOKEN" -H 'content-type: text/csv' --data-binary @"$3")
  sleep 0.2
  touch "$WORK/stop"
  wait "$load"
  printf '%-8s %-22s import %s s (HTTP %s, %s created)   B reads: %s\n' "$BACKEND" "$1" \
    "${out#* }" "${out%% *}" "$(jq '.created | length' "$WORK/import.json" 2>/dev/null || echo '?')" "$(cat "$WORK/load.json")"
}

csv 100000 "$ROWS" >"$WORK/a.csv"
csv 2000 200 >"$WORK/b.csv"
echo "import of $ROWS extensions ($(wc -c <"$WORK/a.csv") bytes); binary $BENCH_BIN; load $(nproc) cores: $(cut -d' ' -f1-3 /proc/loadavg)"
for BACKEND in $BACKENDS; do
  rm -rf "$WORK/data"
  export CENTRALITA_DATA_DIR="$WORK/data"
  if [ "$BACKEND" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    export CENTRALITA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
  else
    unset CENTRALITA_DATABASE_URL
  fi
  "$BENCH_BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.2; done
  TOKEN=$(curl -sf "$URL/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"email\":\"$CENTRALITA_BOOTSTRAP_ADMIN_EMAIL\",\"password\":\"$CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD\"}" | jq -r .access_token)
  A=$(post /v1/tenants '{"name":"Bench Importer"}' | jq -r .id)
  B=$(post /v1/tenants '{"name":"Bench Reader"}' | jq -r .id)
  post "/v1/tenants/$A/domains" '{"name":"a.bench.example.com"}' >/dev/null
  post "/v1/tenants/$B/domains" '{"name":"b.bench.example.com"}' >/dev/null
  curl -sf "$URL/v1/tenants/$B/extensions/import" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: text/csv' --data-binary @"$WORK/b.csv" >/dev/null

  printf '%-8s %-22s %s\n' "$BACKEND" "baseline (no import)" \
    "B reads: $($LOAD 127.0.0.1 "$PORT" "/v1/tenants/$B/extensions?limit=50" "$TOKEN" "$WORK/never" "$BASE_SECS")"
  import_with_load "dry run" "dry_run=true" "$WORK/a.csv"
  import_with_load "import" "dry_run=false" "$WORK/a.csv"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=0
done
