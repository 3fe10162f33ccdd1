#!/usr/bin/env bash
# End-to-end CDR ingest on PostgreSQL: 1,000,000 outbound call records posted to
# `POST /v1/switch/cdrs` in batches of 1,000 by 4 concurrent senders, each record rated on
# ingest against a 1,000-prefix platform sell deck (and the carrier's buy deck for its
# cost), stored, and charged: one `call_charge` ledger transaction with its two postings and
# the account's kept balance, per record. Set up through the API like authorize.sh; the
# server is `centralita api` with its defaults (both cores, shared with the senders and
# PostgreSQL). The baseline, in the same run: PostgreSQL alone writing the same volume of
# rows the ingest writes — 1,000,000 CDR rows, 1,000,000 charge rows, 1,000,000 ledger
# transactions and 2,000,000 postings — with `INSERT … SELECT generate_series` into copies
# of those tables (same columns and indexes), i.e. the database's own cost of the writes
# with no round trips, no rating and no HTTP. Not a test: it prints figures and checks the
# stored totals; it asserts nothing else.
#
#   tests/bench/cdr_ingest.sh [RECORDS=1000000] [SENDERS=4]
#   BENCH_BIN=/path/to/centralita tests/bench/cdr_ingest.sh   # another build
#
# Goal: 1,000,000 records with their ledger postings in ≤ 120 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
RECORDS=${1:-1000000}
SENDERS=${2:-4}
PORT=${BENCH_PORT:-18186}
DB=centralita_cdr_bench
WORK=$(mktemp -d)
SERVER=0
# (Never `kill 0`: that would signal this whole process group.)
trap '[ "$SERVER" = 0 ] || kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release -q
  BENCH_BIN="${CARGO_TARGET_DIR:-target}/release/centralita"
fi
URL="http://127.0.0.1:$PORT"
sql() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
export RUST_LOG=warn CENTRALITA_LISTEN="127.0.0.1:$PORT" CENTRALITA_DATA_DIR="$WORK/data"
export CENTRALITA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB${BENCH_DB_PARAMS:-}"
export CENTRALITA_BOOTSTRAP_ADMIN_EMAIL=bench@example.com CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD=bench-password-123
post() { curl -sf "$URL$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "${@:3}" -d "$2"; }
get() { curl -sf "$URL$1" -H "authorization: Bearer $TOKEN"; }
wait_up() { for _ in $(seq 1 100); do curl -sf "$URL/healthz" >/dev/null && return; sleep 0.2; done; }
import() { # import DECK CSV: imports and activates, waits for the job
  local id status
  id=$(curl -sf "$URL/v1/rate-decks/$1/imports?activate=true" -H "authorization: Bearer $TOKEN" \
    -H 'content-type: text/csv' --data-binary @"$2" | jq -r .id)
  for _ in $(seq 1 300); do
    status=$(get "/v1/rate-decks/$1/imports/$id" | jq -r .status)
    case $status in succeeded | rejected | failed) echo "$status"; return ;; esac
    sleep 0.1
  done
}

# Sell and buy decks over the same 1,000 prefixes (buy = 60% of sell), in ordinary ranges.
python3 - "$WORK" <<'PY'
import random, sys
work = sys.argv[1]
rnd = random.Random(20261206)
digits = lambda n: "".join(rnd.choice("0123456789") for _ in range(n))
ranges = [("346", 11), ("3471", 11), ("3491", 11), ("336", 11), ("337", 11), ("4915", 13),
          ("393", 12), ("4474", 12), ("4477", 12), ("1212", 11), ("1415", 11), ("5255", 12)]
prefixes = {}
while len(prefixes) < 1000:
    base, length = rnd.choice(ranges)
    prefixes.setdefault(base + digits(rnd.randint(max(0, 5 - len(base)), 8 - len(base))), length)
prefixes = sorted(prefixes.items())
head = "prefix,destination,rate,connection_fee,first_increment,next_increment\n"
with open(f"{work}/sell.csv", "w") as s, open(f"{work}/buy.csv", "w") as b:
    s.write(head); b.write(head)
    for i, (p, _) in enumerate(prefixes):
        rate = rnd.randint(1000, 200000)
        s.write(f"{p},Destination {i},{rate / 1e6:.6f},0,30,6\n")
        b.write(f"{p},Destination {i},{rate * 0.6 / 1e6:.6f},0,1,1\n")
with open(f"{work}/numbers.txt", "w") as f:
    for _ in range(4000):
        p, length = rnd.choice(prefixes)
        f.write(f"{p}{digits(length - len(p))}\n")
PY

sql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
echo "setting up through the API (centralita serve)…"
"$BENCH_BIN" serve >"$WORK/setup.log" 2>&1 &
SERVER=$!
wait_up
TOKEN=$(curl -sf "$URL/v1/auth/token" -H 'content-type: application/json' \
  -d "{\"email\":\"$CENTRALITA_BOOTSTRAP_ADMIN_EMAIL\",\"password\":\"$CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD\"}" | jq -r .access_token)
T=$(post /v1/tenants '{"name":"Bench Caller"}' | jq -r .id)
DOMAIN=cdrs.bench.example.com
post "/v1/tenants/$T/domains" "{\"name\":\"$DOMAIN\"}" >/dev/null
SELL=$(post /v1/rate-decks '{"name":"Bench retail","currency":"USD"}' | jq -r .id)
BUY=$(post /v1/rate-decks '{"name":"Bench carrier","currency":"USD"}' | jq -r .id)
echo "sell deck import: $(import "$SELL" "$WORK/sell.csv"); buy deck import: $(import "$BUY" "$WORK/buy.csv")"
post "/v1/tenants/$T/billing-account" "{\"sell_deck_id\":\"$SELL\",\"currency\":\"USD\"}" -X PATCH >/dev/null
post "/v1/tenants/$T/transactions" '{"kind":"top_up","amount":"1000000"}' -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" >/dev/null
TRUNK=$(post /v1/trunks "{\"name\":\"carrier-bench\",\"host\":\"127.0.0.1\",\"buy_deck_id\":\"$BUY\"}" | jq -r .id)
post "/v1/tenants/$T/outbound-routes" "{\"name\":\"Out\",\"patterns\":[\"X.\"],\"trunk_ids\":[\"$TRUNK\"]}" >/dev/null
NODE=$(post /v1/switch-nodes '{"name":"edge-bench","kind":"kamailio","addresses":["127.0.0.1"]}' | jq -r .token)
BEFORE=$(get "/v1/tenants/$T/balance" | jq -r .balance)
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true

"$BENCH_BIN" api >"$WORK/server.log" 2>&1 &
SERVER=$!
wait_up
echo "building $RECORDS records…"
cat >"$WORK/send.py" <<'PY'
import datetime, http.client, json, os, random, sys, threading, time
records, senders, port, node, domain, trunk, work = sys.argv[1:8]
records, senders, port = int(records), int(senders), int(port)
numbers = open(f"{work}/numbers.txt").read().split()
rnd = random.Random(1)
base = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
bodies = []
for b in range(0, records, 1000):
    batch = []
    for i in range(b, min(b + 1000, records)):
        start = base + datetime.timedelta(seconds=i * 0.3)
        secs = rnd.randint(0, 600)
        answered = start + datetime.timedelta(seconds=5)
        batch.append({"call_id": f"bench-{i}@cdr", "leg": "b", "domain": domain,
                      "direction": "outbound", "caller": "101",
                      "destination": numbers[i % len(numbers)], "extension": "101",
                      "started_at": iso(start), "answered_at": iso(answered) if secs else None,
                      "ended_at": iso(answered + datetime.timedelta(seconds=secs)),
                      "hangup_cause": "NORMAL_CLEARING" if secs else "USER_BUSY",
                      "trunk_id": trunk})
    bodies.append(json.dumps({"cdrs": batch}).encode())
lat, lock, outcomes = [], threading.Lock(), {}
def send(mine):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for body in mine:
        t = time.monotonic()
        conn.request("POST", "/v1/switch/cdrs", body, {"authorization": f"Bearer {node}",
                     "content-type": "application/json"})
        res = conn.getresponse()
        data = res.read()
        took = time.monotonic() - t
        if res.status != 200:
            raise SystemExit(f"HTTP {res.status}: {data[:300]!r}")
        with lock:
            lat.append(took)
            for r in json.loads(data)["results"]:
                key = (r["outcome"], r.get("status"))
                outcomes[key] = outcomes.get(key, 0) + 1
print(f"sending {len(bodies)} batches ({sum(map(len, bodies)) / 2**20:.0f} MiB) with {senders} senders…", flush=True)
t0 = time.monotonic()
threads = [threading.Thread(target=send, args=(bodies[k::senders],)) for k in range(senders)]
for t in threads: t.start()
for t in threads: t.join()
wall = time.monotonic() - t0
lat.sort()
print(f"INGEST {records} records in {wall:.1f} s = {records / wall:,.0f} records/s; "
      f"batch p50 {lat[len(lat) // 2] * 1000:.0f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.0f} ms")
print("   outcomes: " + ", ".join(f"{o}/{s} {n}" for (o, s), n in sorted(outcomes.items(), key=str)))
PY
echo "== $(date -u +%F), $(nproc) cores, load average before $(cut -d' ' -f1-3 /proc/loadavg); binary $BENCH_BIN"
python3 "$WORK/send.py" "$RECORDS" "$SENDERS" "$PORT" "$NODE" "$DOMAIN" "$TRUNK" "$WORK"
echo "   stored: $(sql -d "$DB" -Atc "SELECT count(*) || ' cdrs, ' || count(*) FILTER (WHERE status = 'rated') || ' rated' FROM cdrs"), \
$(sql -d "$DB" -Atc "SELECT count(*) || ' call charges' FROM call_charges"), \
$(sql -d "$DB" -Atc "SELECT count(*) || ' call_charge transactions' FROM ledger_transactions WHERE kind = 'call_charge'"), \
$(sql -d "$DB" -Atc "SELECT count(*) || ' postings' FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id WHERE t.kind = 'call_charge'")"
echo "   charged: $(sql -d "$DB" -Atc "SELECT (sum(charge_micros) / 1e6)::text FROM cdrs") ; balance before $BEFORE, after $(get "/v1/tenants/$T/balance" 2>/dev/null | jq -r .balance || echo '?')"
echo "   ledger: every transaction sums to zero: $(sql -d "$DB" -Atc "SELECT count(*) = 0 FROM (SELECT transaction_id FROM ledger_postings GROUP BY 1 HAVING sum(amount_micros) <> 0) x")"
grep -iE 'warn|error|panic' "$WORK/server.log" | sort | uniq -c | sort -rn | head -5 | sed 's/^/   server log: /' || true
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=0

# The baseline: the same rows, written by PostgreSQL alone.
sql -d "$DB" <<'SQL'
CREATE TABLE base_cdrs (LIKE cdrs INCLUDING ALL);
CREATE TABLE base_charges (LIKE call_charges INCLUDING ALL);
CREATE TABLE base_tx (LIKE ledger_transactions INCLUDING ALL);
CREATE TABLE base_postings (LIKE ledger_postings INCLUDING ALL);
SQL
START=$(date +%s.%N)
sql -d "$DB" -v n="$RECORDS" <<'SQL'
INSERT INTO base_cdrs (id, call_id, leg, tenant_id, node_id, direction, caller, destination, extension, started_at, answered_at, ended_at, duration_seconds, billed_seconds, disposition, hangup_cause, trunk_id, status, unrated_reason, prefix, destination_name, currency, charge_micros, buy_currency, buy_micros, created_at)
  SELECT md5('c' || i)::uuid, 'base-' || i, 'b', tenant_id, node_id, direction, caller, destination, extension, started_at, answered_at, ended_at, duration_seconds, billed_seconds, disposition, hangup_cause, trunk_id, status, unrated_reason, prefix, destination_name, currency, charge_micros, buy_currency, buy_micros, created_at
  FROM generate_series(1, :n) i, (SELECT * FROM cdrs LIMIT 1) c;
INSERT INTO base_charges (call_id, level, transaction_id, tenant_id, account_id, currency, deck_version_id, prefix, per_minute_micros, billed_seconds, charge_micros, created_at, updated_at)
  SELECT 'base-' || i, 0, md5('t' || i)::uuid, tenant_id, account_id, currency, deck_version_id, prefix, per_minute_micros, billed_seconds, charge_micros, created_at, updated_at
  FROM generate_series(1, :n) i, (SELECT * FROM call_charges LIMIT 1) c;
INSERT INTO base_tx (id, tenant_id, kind, amount_micros, currency, description, actor_id, created_at)
  SELECT md5('t' || i)::uuid, tenant_id, kind, amount_micros, currency, description, actor_id, created_at
  FROM generate_series(1, :n) i, (SELECT * FROM ledger_transactions WHERE kind = 'call_charge' LIMIT 1) t;
INSERT INTO base_postings (id, transaction_id, account_id, amount_micros, created_at)
  SELECT md5('p' || i || p.account_id)::uuid, md5('t' || i)::uuid, p.account_id, p.amount_micros, p.created_at
  FROM generate_series(1, :n) i,
    (SELECT p.* FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
      WHERE t.kind = 'call_charge' LIMIT 2) p;
SQL
END=$(date +%s.%N)
printf 'baseline: PostgreSQL alone inserting the same rows (INSERT … SELECT generate_series): %.1f s\n' "$(echo "$END - $START" | bc)"
echo "goal: 1,000,000 records with ledger postings in ≤ 120 s"
