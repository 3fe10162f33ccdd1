#!/usr/bin/env bash
# HTTP benchmark of the tenant API on PostgreSQL, with a pgbench -S baseline measured in the
# same invocation. Not a test: it prints figures, it asserts nothing.
#
#   tests/bench/run.sh [TENANTS=1000] [DURATION_SECS=15] [CONNECTION_LEVELS="8 32"]
#
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth); installs wrk from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
TENANTS=${1:-1000}
DURATION=${2:-15}
LEVELS=${3:-"8 32"}
PORT=${BENCH_PORT:-18181}
DB=centralita_bench
PGB=centralita_pgbench
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q

psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
CENTRALITA_LISTEN=127.0.0.1:$PORT \
CENTRALITA_DATA_DIR="$WORK/data" \
CENTRALITA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" \
CENTRALITA_DATABASE_MAX_CONNECTIONS=16 \
CENTRALITA_BOOTSTRAP_ADMIN_EMAIL=bench@example.com \
CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD=bench-password-123 \
RUST_LOG=warn \
  target/release/centralita serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

echo "loading $TENANTS tenants through the API…"
python3 tests/bench/load.py "http://127.0.0.1:$PORT" "$TENANTS" "$WORK"
TOKEN=$(cat "$WORK/token")
ADMIN_TOKEN=$(cat "$WORK/admin_token")

run_wrk() { # name, lua, token, connections
  local name=$1 lua=$2 token=$3 CONNS=$4
  local out
  out=$(IDS_FILE="$WORK/ids" TOKEN="$token" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$lua" "http://127.0.0.1:$PORT")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-46s %10s req/s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p99" "${non2xx:-0}"
}

# Warm-up (connection pools, caches), not reported.
IDS_FILE="$WORK/ids" TOKEN="$TOKEN" wrk -t2 -c8 -d3s -s tests/bench/get_tenant.lua "http://127.0.0.1:$PORT" >/dev/null
for CONNS in $LEVELS; do
  echo
  echo "== HTTP ($CONNS connections, ${DURATION}s each, 2 wrk threads; server, PostgreSQL and wrk share 2 cores)"
  run_wrk "GET /v1/tenants/{id} (platform admin)" tests/bench/get_tenant.lua "$ADMIN_TOKEN" "$CONNS"
  run_wrk "GET /v1/tenants/{id} (partner admin, subtree)" tests/bench/get_tenant.lua "$TOKEN" "$CONNS"
  run_wrk "GET /v1/tenants?limit=50 (partner admin)" tests/bench/list_tenants.lua "$TOKEN" "$CONNS"
done

echo
echo "== baseline: pgbench -S (select-only), same machine, same duration"
psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "CREATE DATABASE $PGB"
pgbench -h 127.0.0.1 -U postgres -i -s 10 -q "$PGB" >/dev/null 2>&1
(cd "$WORK" && pgbench -h 127.0.0.1 -U postgres -S -c 16 -j 2 -T "$DURATION" -l --log-prefix=pgb "$PGB" >"$WORK/pgbench.out" 2>&1)
TPS=$(awk '/^tps/ {print $3; exit}' "$WORK/pgbench.out")
P99=$(cat "$WORK"/pgb.* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.2fms", a[int(NR*0.99)]/1000}')
printf '%-46s %10s tx/s    p99 %8s\n' "pgbench -S (16 clients)" "$TPS" "$P99"
psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
