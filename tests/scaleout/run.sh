#!/usr/bin/env bash
# The scale-out test (tests/scaleout/scaleout.py): two APIs behind HAProxy and two workers
# on PostgreSQL and Redis, one of each killed with SIGKILL mid-run. Builds the binary,
# installs HAProxy, wrk and redis-server when missing, makes a fresh database, runs the
# test, drops the database. Loopback only; about a minute.
#
#   tests/scaleout/run.sh                      # the debug build
#   CENTRALITA_BIN=target/release/centralita tests/scaleout/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need haproxy haproxy
need wrk wrk
need redis-server redis-server
need psql postgresql-client
if [ -z "${CENTRALITA_BIN:-}" ]; then
  cargo build -q
  export CENTRALITA_BIN="${CARGO_TARGET_DIR:-target}/debug/centralita"
fi
DB=centralita_scaleout
sql() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -q "$@"; }
sql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
status=0
python3 tests/scaleout/scaleout.py || status=$?
sql -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
exit "$status"
