#!/usr/bin/env bash
# Benchmark of POST /v1/switch/route on a cache hit, with 1,000 tenants × 100 extensions
# (and an IVR menu of five keys each) loaded in PostgreSQL, next to a trivial-handler
# baseline (GET /healthz) measured the same way in the same run. The server runs one HTTP
# worker pinned to core 0 and wrk runs on core 1, so the figures are per core. Not a test:
# it prints figures, it asserts nothing.
#
#   tests/bench/route.sh [DURATION_SECS=10] [CONNECTION_LEVELS="4 32"]
#
# BENCH_BIN=path runs a binary built elsewhere (e.g. the previous commit's, to compare);
# otherwise this tree is built in release mode (honouring CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
LEVELS=${2:-"4 32"}
PORT=${BENCH_PORT:-18182}
DB=centralita_route_bench
WORK=$(mktemp -d)
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -n "${BENCH_BIN:-}" ]; then
  BIN=$BENCH_BIN
else
  cargo build --release -q
  BIN=${CARGO_TARGET_DIR:-target}/release/centralita
fi
export CENTRALITA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export CENTRALITA_DATA_DIR="$WORK/data"
export RUST_LOG=warn

psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
$BIN migrate >/dev/null 2>&1

echo "loading 1,000 tenants × 100 extensions…"
PREFIX=0123456789ab
TOKEN="sn_${PREFIX}_$(printf 'b%.0s' $(seq 1 64))"
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
psql -h 127.0.0.1 -U postgres -q -d "$DB" <<SQL
INSERT INTO tenants (id, parent_id, path, name, slug, status, created_at, updated_at, version)
SELECT id, NULL, '/' || id || '/', 'Bench ' || i, 'bench-' || i, 'active', now(), now(), 1
FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, 1000) i) t;
INSERT INTO domains (id, tenant_id, name, created_at, updated_at, version)
SELECT gen_random_uuid(), id, replace(slug, 'bench-', 't') || '.bench.example.com', now(), now(), 1 FROM tenants;
INSERT INTO extensions (id, tenant_id, number, display_name, user_id, enabled, sip_username,
  caller_id_name, caller_id_number, external_caller_id, dnd, forwarding, follow_me,
  max_concurrent_calls, record_calls, voicemail_box_id, created_at, updated_at, version)
SELECT gen_random_uuid(), t.id, (1000 + n)::text, 'Ext ' || n, NULL, true, (1000 + n)::text,
  NULL, NULL, NULL, false, '{}'::json, '[]'::json, 4, false, NULL, now(), now(), 1
FROM tenants t CROSS JOIN generate_series(0, 99) n;
INSERT INTO dial_numbers (id, tenant_id, number, owner_type, owner_id)
SELECT gen_random_uuid(), tenant_id, number, 'extension', id FROM extensions;
-- One IVR menu per tenant on 500: keys 1-5 ring extensions 1000-1004 (a bigger plan).
INSERT INTO ivr_menus (id, tenant_id, number, name, greeting, greeting_storage_key, options,
  timeout_seconds, invalid_retries, direct_dial, timeout_destination, invalid_destination,
  created_at, updated_at, version)
SELECT gen_random_uuid(), t.id, '500', 'Main',
  '{"type":"text","text":"Welcome. For sales press 1.","language":"en"}'::json, NULL,
  (SELECT json_agg(json_build_object('digit', (e.number::int - 999)::text,
     'destination', json_build_object('type', 'extension', 'id', e.id)) ORDER BY e.number)
   FROM extensions e WHERE e.tenant_id = t.id AND e.number IN ('1000','1001','1002','1003','1004')),
  5, 2, false, '{"type":"hangup"}'::json, '{"type":"hangup"}'::json, now(), now(), 1
FROM tenants t;
INSERT INTO dial_numbers (id, tenant_id, number, owner_type, owner_id)
SELECT gen_random_uuid(), tenant_id, number, 'ivr_menu', id FROM ivr_menus;
INSERT INTO switch_nodes (id, name, kind, addresses, status, token_prefix, token_hash,
  last_seen_at, created_at, updated_at, version)
VALUES (gen_random_uuid(), 'bench', 'kamailio', '["127.0.0.1"]'::json, 'active', '$PREFIX',
  '$HASH', NULL, now(), now(), 1);
ANALYZE;
SQL
psql -h 127.0.0.1 -U postgres -q -d "$DB" -Atc "SELECT count(*) FROM extensions" | sed 's/^/extensions loaded: /'

CENTRALITA_LISTEN=127.0.0.1:$PORT CENTRALITA_HTTP_WORKERS=1 CENTRALITA_DATABASE_MAX_CONNECTIONS=8 \
  taskset -c 0 $BIN api >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

cat >"$WORK/route.lua" <<'LUA'
-- 5,000 hot keys: 1,000 tenants × 5 extension numbers, round-robin.
local token = os.getenv("TOKEN")
local i = 0
request = function()
  i = i + 1
  local t = (i % 1000) + 1
  local n = 1000 + (math.floor(i / 1000) % 5)
  local body = string.format('{"domain":"t%d.bench.example.com","caller":"1000","destination":"%d"}', t, n)
  return wrk.format("POST", "/v1/switch/route",
    { ["authorization"] = "Bearer " .. token, ["content-type"] = "application/json" }, body)
end
LUA
cat >"$WORK/ivr.lua" <<'LUA'
-- 1,000 hot keys: the IVR menu (500) of every tenant, round-robin.
local token = os.getenv("TOKEN")
local i = 0
request = function()
  i = i + 1
  local body = string.format('{"domain":"t%d.bench.example.com","caller":"1000","destination":"500"}', (i % 1000) + 1)
  return wrk.format("POST", "/v1/switch/route",
    { ["authorization"] = "Bearer " .. token, ["content-type"] = "application/json" }, body)
end
LUA

run() { # name, url, [script]
  local name=$1 url=$2 script=${3:-}
  local out
  if [ -n "$script" ]; then
    out=$(TOKEN="$TOKEN" taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$script" "$url")
  else
    out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url")
  fi
  printf '%-44s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$name" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" \
    "$(awk '/Non-2xx/ {print $5}' <<<"$out")"
}

echo "warming the cache…"
TOKEN="$TOKEN" taskset -c 1 wrk -t1 -c8 -d5s -s "$WORK/route.lua" "http://127.0.0.1:$PORT" >/dev/null
TOKEN="$TOKEN" taskset -c 1 wrk -t1 -c8 -d3s -s "$WORK/ivr.lua" "http://127.0.0.1:$PORT" >/dev/null
curl -sf "http://127.0.0.1:$PORT/v1/switch/route" -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"domain":"t1.bench.example.com","caller":"1000","destination":"500"}' \
  | wc -c | sed 's/^/IVR plan size (bytes): /'
for CONNS in $LEVELS; do
  echo
  echo "== one server core (1 HTTP worker, taskset -c 0), wrk on core 1, $CONNS connections, ${DURATION}s"
  run "baseline: GET /healthz (trivial handler)" "http://127.0.0.1:$PORT/healthz"
  run "POST /v1/switch/route (cache hit)" "http://127.0.0.1:$PORT" "$WORK/route.lua"
  run "POST /v1/switch/route, IVR of 5 keys (hit)" "http://127.0.0.1:$PORT" "$WORK/ivr.lua"
done
psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
