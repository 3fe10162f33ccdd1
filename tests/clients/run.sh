#!/usr/bin/env bash
# What a partner does with openapi/centralita.json, against a live server (issue 8, items 7-8):
#  1. the committed document passes openapi-spec-validator;
#  2. openapi-python-client generates a client from it (no operation lost but the two whose
#     bodies it cannot express: CSV import and audio upload), and walkthrough.py drives the
#     README walkthrough with that client;
#  3. openapi-typescript generates types, and `tsc --strict` compiles snippet.ts against them;
#  4. schemathesis runs over the whole served document with fixtures (fixtures.py), as the
#     tenant admin, the platform admin and a switch node: no server error and no status-code,
#     content-type or response-schema conformance failure.
# Tools come pinned from PyPI (requirements.txt) and npm (package-lock.json) into
# $TARGET/clients. The server is the debug binary the test suite built,
# on a free loopback port with a temporary data directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$TARGET/clients
HERE=$ROOT/tests/clients
mkdir -p "$WORK"
started=$SECONDS
lap() { printf '  [%s: %ss]\n' "$1" $((SECONDS - started)); started=$SECONDS; }

# Tools, reinstalled only when the pins change.
VENV=$WORK/venv
if ! cmp -s "$HERE/requirements.txt" "$VENV/requirements.txt" 2>/dev/null; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/requirements.txt"
fi
if ! cmp -s "$HERE/package-lock.json" "$WORK/package-lock.json" 2>/dev/null \
  || [ ! -x "$WORK/node_modules/.bin/tsc" ]; then
  cp "$HERE/package.json" "$HERE/package-lock.json" "$WORK/"
  (cd "$WORK" && npm ci --silent --no-audit --no-fund)
fi
lap "tools"

echo "openapi-spec-validator"
"$VENV/bin/openapi-spec-validator" openapi/centralita.json

echo "openapi-python-client"
rm -rf "$WORK/python"
"$VENV/bin/openapi-python-client" generate --path openapi/centralita.json \
  --output-path "$WORK/python" --overwrite >"$WORK/python-client.log" 2>&1 \
  || { cat "$WORK/python-client.log"; exit 1; }
operations=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(v) for v in d["paths"].values()))' openapi/centralita.json)
# The generator skips operations whose body is only CSV or audio (imports, greeting uploads).
skippable=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = 0
for item in d["paths"].values():
    for op in item.values():
        types = list(op.get("requestBody", {}).get("content", {}))
        if types and all(t == "text/csv" or t.startswith("audio/") for t in types):
            n += 1
print(n)' openapi/centralita.json)
generated=$(find "$WORK/python/centralita_client/api" -name '*.py' ! -name '__init__.py' | wc -l)
echo "  $generated of $operations operations generated ($skippable take only CSV or audio)"
if [ "$generated" -ne $((operations - skippable)) ]; then
  cat "$WORK/python-client.log"
  echo "the generated client lost operations (only CSV imports and audio uploads may be missing)"
  exit 1
fi
lap "python client"

echo "openapi-typescript + tsc --strict"
mkdir -p "$WORK/ts"
"$WORK/node_modules/.bin/openapi-typescript" openapi/centralita.json -o "$WORK/ts/centralita.d.ts" >/dev/null 2>&1
cp "$HERE/snippet.ts" "$HERE/tsconfig.json" "$WORK/ts/"
"$WORK/node_modules/.bin/tsc" -p "$WORK/ts/tsconfig.json"
lap "typescript"

# A live server.
# CLIENTS_SERVER_BIN names another binary (a shared target directory may hold another branch's).
BIN=${CLIENTS_SERVER_BIN:-$TARGET/debug/centralita}
[ -n "${CLIENTS_SERVER_BIN:-}" ] || cargo build -q --bin centralita # a no-op after the test suite
DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
ADMIN_EMAIL=ci-admin@centralita.localhost
ADMIN_PASSWORD=ci-admin-password-$RANDOM$RANDOM
CENTRALITA_LISTEN=127.0.0.1:$PORT CENTRALITA_DATA_DIR=$DATA \
  CENTRALITA_BOOTSTRAP_ADMIN_EMAIL=$ADMIN_EMAIL CENTRALITA_BOOTSTRAP_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  CENTRALITA_ACCESS_TOKEN_TTL_SECS=3600 \
  CENTRALITA_TRUNK_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))') \
  RUST_LOG=warn "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do
  curl -sf "$BASE/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$BASE/readyz" >/dev/null || { cat "$WORK/server.log"; exit 1; }

echo "walkthrough with the generated Python client"
PYTHONPATH=$WORK/python "$VENV/bin/python" "$HERE/walkthrough.py" "$BASE" "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
lap "walkthrough"

echo "schemathesis"
"$VENV/bin/python" "$HERE/fixtures.py" "$BASE" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$WORK"
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
st() {
  local who=$1
  shift
  echo "  as $who"
  # From $WORK: schemathesis keeps a `.schemathesis/` cache in its working directory.
  (cd "$WORK" && PYTHONPATH=$HERE SCHEMATHESIS_HOOKS=st_hooks "$VENV/bin/st" --config-file "$WORK/$who.toml" run "$BASE/openapi.json" \
    --checks "$CHECKS" --phases examples,coverage,fuzzing --max-examples "${ST_MAX_EXAMPLES:-5}" \
    --workers 2 --seed 8 --no-color --generation-database none \
    --report junit --report-junit-path "$WORK/schemathesis-$who.xml" "$@" \
    >"$WORK/schemathesis-$who.log" 2>&1) || { cat "$WORK/schemathesis-$who.log"; exit 1; }
  grep -E "Operations:|passed|failed|error|test cases generated" "$WORK/schemathesis-$who.log" | sed 's/^ */    /'
}
# The platform admin last: it may suspend the fixture tenant and rotate the node's token.
# Nobody deletes the fixture tenant (everything else would be a 404 after it) or logs out.
st tenant --exclude-path-regex '^/v1/switch/' --exclude-operation-id logout
st switch --include-path-regex '^/v1/switch/'
st platform --exclude-path-regex '^/v1/switch/' --exclude-operation-id delete_tenant --exclude-operation-id logout
lap "schemathesis"
if grep -q "panicked" "$WORK/server.log"; then
  grep -B2 -A5 "panicked" "$WORK/server.log"
  exit 1
fi
echo "clients ok"
