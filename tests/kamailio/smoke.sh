#!/usr/bin/env bash
# Smoke test of Centralita's Kamailio edge node (deploy/kamailio/) against real peers:
# PostgreSQL (node DB), Kamailio 5.6 (Debian packages) and sipp playing the phones.
#
#   sudo bash tests/kamailio/smoke.sh          # as root on Debian 12; ~15 s after install
#
# Installs what is missing (kamailio, kamailio-postgres-modules, sip-tester, curl, psql),
# creates the node DB `centralita_kam_smoke`, starts Kamailio on its own loopback ports, runs
# the checks (one PASS/FAIL line each) and cleans up on exit: Kamailio stopped, DB dropped,
# work dir removed (SMOKE_KEEP=1 keeps the work dir with sipp traces and the Kamailio log).
# Exit status: 0 when every check passed.
#
# Needs PostgreSQL reachable with the libpq environment (default PGHOST=127.0.0.1 PGPORT=5432
# PGUSER=postgres, trust or PGPASSWORD) by a role that may CREATE DATABASE.
# Ports (loopback only): SMOKE_SIP_PORT (15060), SMOKE_RPC_PORT (15080), SMOKE_UAS_PORT (15072).
# Addresses: Kamailio 127.0.0.1; the test phones 127.0.0.2 (exempt from pike through the
# PIKE_TRUSTED_NETS define); the flooder 127.0.0.3 (not exempt: must get banned).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DEPLOY=$ROOT/deploy/kamailio
SCN=$HERE/scenarios

export PGHOST=${PGHOST:-127.0.0.1}
export PGPORT=${PGPORT:-5432}
export PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=5

DB=centralita_kam_smoke
KAM_IP=127.0.0.1
PHONE_IP=127.0.0.2
FLOOD_IP=127.0.0.3
SIP_PORT=${SMOKE_SIP_PORT:-15060}
RPC_PORT=${SMOKE_RPC_PORT:-15080}
UAS_PORT=${SMOKE_UAS_PORT:-15072}
RPC_URL="http://$KAM_IP:$RPC_PORT/RPC"
DEADLINE=${SMOKE_DEADLINE:-90}
WORK=${SMOKE_DIR:-/tmp/centralita-kam-smoke}
RUN=$WORK/run

passes=0
fails=0
started=$SECONDS
MAIN_PID=$$
WATCHDOG=""
UAS_PID=""

pass() { passes=$((passes + 1)); echo "PASS: $*"; }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
note() { echo "---- $*"; }

# ------------------------------------------------------------------------------------------
# Install (not counted in the deadline: apt may be slow on a fresh machine)
# ------------------------------------------------------------------------------------------
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

need=()
command -v kamailio >/dev/null || need+=(kamailio)
pkg_installed kamailio-postgres-modules || need+=(kamailio-postgres-modules)
# The edge's call routing (edge.lua): http_client, app_lua and lua-cjson.
pkg_installed kamailio-utils-modules || need+=(kamailio-utils-modules)
pkg_installed kamailio-lua-modules || need+=(kamailio-lua-modules)
pkg_installed lua-cjson || need+=(lua-cjson)
command -v sipp >/dev/null || need+=(sip-tester)
command -v curl >/dev/null || need+=(curl)
command -v psql >/dev/null || need+=(postgresql-client)
if [ ${#need[@]} -gt 0 ]; then
	note "installing ${need[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL: missing packages ${need[*]} and not root (apt-get install -y ${need[*]})"
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt_log=$(mktemp /tmp/centralita-kam-smoke-apt.XXXXXX)
	timeout 300 apt-get update -qq >"$apt_log" 2>&1 || true
	if ! timeout 600 apt-get install -y -qq "${need[@]}" >>"$apt_log" 2>&1; then
		echo "FAIL: apt-get install ${need[*]}"
		tail -n 20 "$apt_log"
		rm -f "$apt_log"
		exit 1
	fi
	rm -f "$apt_log"
	# On a systemd host the package enables and starts kamailio.service on :5060. We use our own
	# ports anyway, but a freshly installed packaged instance has no business running here.
	if [[ " ${need[*]} " == *" kamailio "* ]]; then
		if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
			timeout 30 systemctl disable --now kamailio.service >/dev/null 2>&1 || true
		elif [ -x /etc/init.d/kamailio ]; then
			timeout 30 /etc/init.d/kamailio stop >/dev/null 2>&1 || true
		fi
	fi
fi

# ------------------------------------------------------------------------------------------
# Bounded run, cleanup on every exit
# ------------------------------------------------------------------------------------------
start_sh() {
	KAM_RUN_DIR="$RUN" KAM_SIP_ADDR="$KAM_IP" KAM_SIP_PORT="$SIP_PORT" KAM_RPC_PORT="$RPC_PORT" \
		KAM_DB_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB" KAM_PIKE_TRUSTED_NETS="$PHONE_IP/32" \
		KAM_CHILDREN=2 KAM_WAIT=15 timeout 40 bash "$DEPLOY/start.sh" "$@"
}

cleanup() {
	local rc=$?
	trap - EXIT
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	[ -n "$UAS_PID" ] && kill "$UAS_PID" 2>/dev/null
	if [ "$fails" -gt 0 ] && [ -s "$RUN/kamailio.log" ]; then
		echo "---- last lines of the Kamailio log:"
		grep -v ' INFO: ' "$RUN/kamailio.log" | tail -n 25
	fi
	start_sh stop >/dev/null 2>&1
	timeout 30 bash "$DEPLOY/node-db.sh" --drop "$DB" >/dev/null 2>&1
	if [ "${SMOKE_KEEP:-0}" = 1 ]; then
		echo "---- work dir kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	echo "==== kamailio smoke: $passes passed, $fails failed, $((SECONDS - started)) s"
	if [ "$fails" -gt 0 ] && [ "$rc" = 0 ]; then rc=1; fi
	exit "$rc"
}

# A stale instance from an aborted earlier run (its pid file is in our fixed work dir) would hold
# the ports: stop exactly that pid, then start from a clean work dir.
if [ -s "$RUN/kamailio.pid" ]; then
	start_sh stop >/dev/null 2>&1
fi
rm -rf "$WORK"
mkdir -p "$RUN"
cd "$WORK" || exit 1

trap cleanup EXIT
trap 'fail "interrupted"; exit 130' INT
trap 'fail "smoke test exceeded ${DEADLINE}s (watchdog)"; exit 124' TERM

watchdog() {
	sleep "$DEADLINE" &
	local s=$!
	trap 'kill $s 2>/dev/null; exit 0' TERM
	wait "$s"
	kill -TERM "$MAIN_PID" 2>/dev/null
}
watchdog &
WATCHDOG=$!

# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------
md5() { printf '%s' "$1" | md5sum | cut -d' ' -f1; }

# psql on the node DB; values only through -v, expanded by psql as :'literal'.
nodesql() { timeout 15 psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

add_domain() {
	nodesql -v d="$1" <<'SQL'
INSERT INTO domain (domain) VALUES (:'d') ON CONFLICT (domain) DO NOTHING;
SQL
}

# set_subscriber USER DOMAIN PASSWORD: what Centralita does — only HA1/HA1B reach the node.
set_subscriber() {
	local u=$1 d=$2 p=$3
	nodesql -v u="$u" -v d="$d" -v ha1="$(md5 "$u:$d:$p")" -v ha1b="$(md5 "$u@$d:$d:$p")" <<'SQL'
INSERT INTO subscriber (username, domain, ha1, ha1b) VALUES (:'u', :'d', :'ha1', :'ha1b')
ON CONFLICT (username, domain) DO UPDATE SET ha1 = EXCLUDED.ha1, ha1b = EXCLUDED.ha1b;
SQL
}

# rpc METHOD [JSON-PARAMS] -> the JSON-RPC reply on stdout
rpc() {
	local params=${2:-[]}
	curl -sS -m 5 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"params\":$params,\"id\":1}" "$RPC_URL"
}

# sipp_run NAME [sipp args...] -> sipp's exit status; traces in $WORK/NAME.*
sipp_run() {
	local name=$1
	shift
	timeout 15 sipp -nostdin -m 1 -timeout 10s -timeout_error \
		-trace_msg -message_file "$WORK/$name.msg" -trace_err -error_file "$WORK/$name.err" \
		"$@" "$KAM_IP:$SIP_PORT" >"$WORK/$name.out" 2>&1
}

show_sipp() {
	local name=$1
	{
		[ -s "$WORK/$name.err" ] && tail -n 5 "$WORK/$name.err"
		[ -s "$WORK/$name.msg" ] && grep -E '^(SIP/2.0 |[A-Z]+ sip:)' "$WORK/$name.msg" | head -n 12
		[ -s "$WORK/$name.out" ] && grep -iE 'error|fail|unable' "$WORK/$name.out" | head -n 5
	} | sed 's/^/      /'
}

# expect_sipp NAME DESCRIPTION [sipp args...]: PASS when sipp exits 0 (scenario fully met)
expect_sipp() {
	local name=$1 desc=$2
	shift 2
	if sipp_run "$name" "$@"; then
		pass "$desc"
	else
		fail "$desc (sipp exit $?)"
		show_sipp "$name"
	fi
}

register_ok() { # NAME DESC USER DOMAIN AUTHUSER PASSWORD [extra sipp args]
	local n=$1 d=$2 u=$3 dom=$4 au=$5 pw=$6
	shift 6
	expect_sipp "$n" "$d" -sf "$SCN/register_ok.xml" -i "$PHONE_IP" -s "$u" -key domain "$dom" -au "$au" -ap "$pw" "$@"
}
register_fail() { # NAME DESC USER DOMAIN AUTHUSER PASSWORD: the authenticated retry gets 401 again
	expect_sipp "$1" "$2" -sf "$SCN/register_fail.xml" -i "$PHONE_IP" -s "$3" -key domain "$4" -au "$5" -ap "$6"
}

# ------------------------------------------------------------------------------------------
# 0. The config as shipped
# ------------------------------------------------------------------------------------------
note "config"
if out=$(timeout 20 kamailio -c -f "$DEPLOY/kamailio.cfg" 2>&1); then
	pass "kamailio -c accepts deploy/kamailio/kamailio.cfg"
else
	fail "kamailio -c rejects deploy/kamailio/kamailio.cfg"
	echo "$out" | grep -E 'ERROR|CRITICAL' | head -n 10 | sed 's/^/      /'
fi
# Pike is on by default: without PIKE_TRUSTED_NETS the preprocessed config calls the antiflood
# route unconditionally and has no exemption.
printed=$(timeout 20 kamailio --cfg-print -f "$DEPLOY/kamailio.cfg" 2>/dev/null)
if grep -qE '^[[:space:]]*route\(ANTIFLOOD\);' <<<"$printed" &&
	grep -qE '^[[:space:]]*if \(!pike_check_req\(\)\)' <<<"$printed" &&
	! grep -q 'is_in_subnet("\$si", PIKE_TRUSTED_NETS)' <<<"$printed"; then
	pass "pike antiflood is active in the default config (no exemption compiled in)"
else
	fail "pike antiflood is not unconditional in the default config"
fi

# ------------------------------------------------------------------------------------------
# 1. Node database
# ------------------------------------------------------------------------------------------
note "node database $DB on $PGHOST:$PGPORT"
if ! timeout 10 psql -X -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
	fail "PostgreSQL not reachable at $PGHOST:$PGPORT as $PGUSER"
	exit 1
fi
if timeout 60 bash "$DEPLOY/node-db.sh" --recreate "$DB" >"$WORK/node-db.out" 2>&1; then
	pass "node-db.sh creates $DB"
else
	fail "node-db.sh creates $DB"
	sed 's/^/      /' "$WORK/node-db.out"
	exit 1
fi
if out=$(timeout 30 bash "$DEPLOY/node-db.sh" "$DB" 2>&1) && [[ "$out" == *"nothing to do"* ]]; then
	pass "node-db.sh is idempotent on an existing node DB"
else
	fail "node-db.sh rerun: $out"
fi
if ! timeout 10 bash "$DEPLOY/node-db.sh" 'x;drop database postgres' >/dev/null 2>&1; then
	pass "node-db.sh rejects an unsafe database name"
else
	fail "node-db.sh accepted an unsafe database name"
fi

PW_A1001=Secret-a-1001
PW_A1002=Secret-a-1002
PW_B1001=Secret-b-1001
PW_B1002=Secret-b-1002
PW_C1001=Secret-c-1001
seed_ok=1
add_domain a.example.test || seed_ok=0
add_domain b.example.test || seed_ok=0
set_subscriber 1001 a.example.test "$PW_A1001" || seed_ok=0
set_subscriber 1002 a.example.test "$PW_A1002" || seed_ok=0
set_subscriber 1001 b.example.test "$PW_B1001" || seed_ok=0
set_subscriber 1002 b.example.test "$PW_B1002" || seed_ok=0
if [ "$seed_ok" = 1 ] && [ "$(nodesql -At -c "SELECT count(*) FROM subscriber WHERE password = ''")" = 4 ]; then
	pass "tenants a/b and their subscribers written as HA1/HA1B only (password column empty)"
else
	fail "seeding domains/subscribers"
fi

# ------------------------------------------------------------------------------------------
# 2. Start
# ------------------------------------------------------------------------------------------
note "start kamailio (SIP $KAM_IP:$SIP_PORT, JSON-RPC $RPC_URL)"
if KAM_PID=$(start_sh 2>"$WORK/start.err" | tail -n 1) && [[ "$KAM_PID" =~ ^[0-9]+$ ]]; then
	pass "start.sh started kamailio (pid $KAM_PID) and JSON-RPC answers"
else
	fail "start.sh"
	sed 's/^/      /' "$WORK/start.err" | tail -n 30
	exit 1
fi
ver=$(rpc core.version)
if [[ "$ver" == *'"result":"kamailio 5.'* ]]; then
	pass "core.version: $(sed -E 's/.*"result":"([^"]*)".*/\1/' <<<"$ver")"
else
	fail "core.version: $ver"
fi
code_path=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -d '{}' "http://$KAM_IP:$RPC_PORT/other")
code_sipport=$(curl -s -m 5 -o /dev/null -w '%{http_code}' \
	-d '{"jsonrpc":"2.0","method":"core.version","id":1}' "http://$KAM_IP:$SIP_PORT/RPC")
if [ "$code_path" = 404 ] && [ "$code_sipport" = 403 ]; then
	pass "HTTP answers JSON-RPC only at /RPC on the RPC port (other path 404, SIP port 403)"
else
	fail "HTTP guard: other path -> $code_path, SIP port -> $code_sipport"
fi

# ------------------------------------------------------------------------------------------
# 3. Registration, per tenant
# ------------------------------------------------------------------------------------------
note "REGISTER"
register_ok reg_a1001 "1001@a registers with its password (401 with qop=auth, then 200)" \
	1001 a.example.test 1001 "$PW_A1001"
register_fail reg_a1001_bad "1001@a with a wrong password is challenged again (401)" \
	1001 a.example.test 1001 "wrong-$PW_A1001"
register_ok reg_a1001_ha1b "1001@a registers with digest username 1001@a.example.test (ha1b)" \
	1001 a.example.test 1001@a.example.test "$PW_A1001"
register_ok reg_b1001 "1001@b registers with b's password" \
	1001 b.example.test 1001 "$PW_B1001"
register_fail reg_b1001_apw "1001@b with 1001@a's password fails (separate accounts)" \
	1001 b.example.test 1001 "$PW_A1001"
register_fail reg_a1002_as1001 "1001@a's credentials cannot register 1002@a" \
	1002 a.example.test 1001 "$PW_A1001"
expect_sipp reg_unknown_domain "REGISTER to a domain not in the domain table -> 404, no challenge" \
	-sf "$SCN/register_reject.xml" -i "$PHONE_IP" -s 1001 -key domain z.example.test

# ------------------------------------------------------------------------------------------
# 4. usrloc over JSON-RPC
# ------------------------------------------------------------------------------------------
note "ul.dump / ul.rm / ul.lookup"
dump=$(rpc ul.dump)
if grep -q '"AoR":"1001@a.example.test"' <<<"$dump" && grep -q '"AoR":"1001@b.example.test"' <<<"$dump"; then
	pass "ul.dump lists AoRs 1001@a.example.test and 1001@b.example.test"
else
	fail "ul.dump: $dump"
fi
look=$(rpc ul.lookup '["location","1001@a.example.test"]')
if [[ "$look" == *"\"Address\":\"sip:1001@$PHONE_IP:"* ]]; then
	pass "ul.lookup location 1001@a.example.test returns the phone's contact"
else
	fail "ul.lookup: $look"
fi
rm_out=$(rpc ul.rm '["location","1001@a.example.test"]')
dump=$(rpc ul.dump)
if [[ "$rm_out" == *'"result":{}'* ]] && ! grep -q '"AoR":"1001@a.example.test"' <<<"$dump" &&
	grep -q '"AoR":"1001@b.example.test"' <<<"$dump"; then
	pass "ul.rm location 1001@a.example.test removes only that AoR"
else
	fail "ul.rm: $rm_out / ul.dump: $dump"
fi

# ------------------------------------------------------------------------------------------
# 5. Password reset: subscriber is read per request, no reload
# ------------------------------------------------------------------------------------------
note "password reset"
PW_A1001_NEW=Reset-a-1001
if set_subscriber 1001 a.example.test "$PW_A1001_NEW"; then
	register_fail reg_a1001_oldpw "after a reset the old password fails" 1001 a.example.test 1001 "$PW_A1001"
	register_ok reg_a1001_newpw "after a reset the new password works (no reload)" 1001 a.example.test 1001 "$PW_A1001_NEW"
else
	fail "password reset update"
fi

# ------------------------------------------------------------------------------------------
# 6. New tenant domain: cached until domain.reload
# ------------------------------------------------------------------------------------------
note "new domain + domain.reload"
if add_domain c.example.test && set_subscriber 1001 c.example.test "$PW_C1001"; then
	expect_sipp reg_c_before "a new domain is not served before domain.reload (404)" \
		-sf "$SCN/register_reject.xml" -i "$PHONE_IP" -s 1001 -key domain c.example.test
	reload=$(rpc domain.reload)
	if [[ "$reload" == *'"result":{}'* ]]; then
		pass "domain.reload answers {}"
	else
		fail "domain.reload: $reload"
	fi
	register_ok reg_c1001 "after domain.reload 1001@c registers" 1001 c.example.test 1001 "$PW_C1001"
else
	fail "adding domain c.example.test"
fi

# ------------------------------------------------------------------------------------------
# 7. Calls
# ------------------------------------------------------------------------------------------
note "calls"
# The callee phone: register 1002@a with Contact PHONE_IP:UAS_PORT, then a sipp UAS on that port.
register_ok reg_a1002 "1002@a registers (contact $PHONE_IP:$UAS_PORT)" \
	1002 a.example.test 1002 "$PW_A1002" -p "$UAS_PORT"
timeout 20 sipp -nostdin -sf "$SCN/uas.xml" -i "$PHONE_IP" -p "$UAS_PORT" -m 1 -timeout 15s -timeout_error \
	-trace_msg -message_file "$WORK/uas.msg" -trace_err -error_file "$WORK/uas.err" \
	>"$WORK/uas.out" 2>&1 &
UAS_PID=$!
sleep 0.5
expect_sipp call_a1001_a1002 "1001@a calls 1002@a: 407, INVITE with credentials, 180/200, ACK, BYE via Record-Route" \
	-sf "$SCN/uac_auth.xml" -i "$PHONE_IP" -s 1002 -key domain a.example.test \
	-key caller 1001 -key caller_domain a.example.test -au 1001 -ap "$PW_A1001_NEW"
if wait "$UAS_PID"; then
	pass "callee 1002@a got the INVITE (Record-Routed, credentials consumed), ACK and BYE"
else
	fail "callee UAS (sipp exit $?)"
	show_sipp uas
fi
UAS_PID=""
expect_sipp call_b1001_a1002 "1001@b calling 1002@a.example.test is refused: 403 (cross-tenant)" \
	-sf "$SCN/uac_reject_403.xml" -i "$PHONE_IP" -s 1002 -key domain a.example.test \
	-key caller 1001 -key caller_domain b.example.test -au 1001 -ap "$PW_B1001"
expect_sipp call_a1001_a1009 "1001@a calling unknown 1009@a -> 404" \
	-sf "$SCN/uac_reject_404.xml" -i "$PHONE_IP" -s 1009 -key domain a.example.test \
	-key caller 1001 -key caller_domain a.example.test -au 1001 -ap "$PW_A1001_NEW"
expect_sipp call_b1001_b1002 "1001@b calling 1002@b (subscriber, not registered) -> 480" \
	-sf "$SCN/uac_reject_480.xml" -i "$PHONE_IP" -s 1002 -key domain b.example.test \
	-key caller 1001 -key caller_domain b.example.test -au 1001 -ap "$PW_B1001"

# ------------------------------------------------------------------------------------------
# 8. Antiflood
# ------------------------------------------------------------------------------------------
note "pike antiflood"
flood() { # NAME SOURCE_IP
	timeout 15 sipp -nostdin -sf "$SCN/options_flood.xml" -i "$2" -m 40 -r 100 -timeout 10s \
		"$KAM_IP:$SIP_PORT" >"$WORK/$1.out" 2>&1
}
flood flood_trusted "$PHONE_IP"
if [[ "$(rpc htable.get "[\"ipban\",\"$PHONE_IP\"]")" == *"doesn't exist"* ]]; then
	pass "a flood from the exempt test address $PHONE_IP is not banned"
else
	fail "the exempt test address $PHONE_IP got banned"
fi
flood flood_attacker "$FLOOD_IP"
ban=$(rpc htable.get "[\"ipban\",\"$FLOOD_IP\"]")
if [[ "$ban" == *"\"name\":\"$FLOOD_IP\""* ]]; then
	pass "a flood from $FLOOD_IP (40 OPTIONS at 100/s) puts it into ipban"
else
	fail "flood from $FLOOD_IP not banned: $ban"
fi
if timeout 10 sipp -nostdin -sf "$SCN/register_reject.xml" -i "$FLOOD_IP" -s 1001 -key domain z.example.test \
	-m 1 -timeout 2s -timeout_error "$KAM_IP:$SIP_PORT" >"$WORK/banned.out" 2>&1; then
	fail "the banned address still gets answers"
else
	pass "requests from the banned address are dropped (no answer)"
fi

exit 0
