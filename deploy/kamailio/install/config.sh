#!/usr/bin/env bash
# Managed install, step 4: validate the node's configuration.
#
# Usage (piped into `timeout N bash -s -- ARGS`):
#   config.sh KEY
#
# Needs in NODE_DIR=/var/lib/centralita-node/KEY: kamailio.cfg, start.sh, node.env (and, when
# present, db.password is cross-checked against the password inside KAM_DB_URL).
# Sources node.env and runs `NODE_DIR/start.sh check`, which writes RUN_DIR/kamailio-node.cfg
# (mode 0600) and runs `kamailio -c` on it. Changes nothing else; safe to repeat.
#
# Output: result.config_sha256=<sha256 of kamailio.cfg + node.env, concatenated in that order>
# (service.sh uses the same hash to decide whether the running kamailio must be restarted).
#
# Exit codes:
#    0  ok
#    2  bad arguments
#    3  unexpected internal failure
#   11  not running as root
#   40  a node file is missing (kamailio.cfg, start.sh, node.env)
#   41  node.env is incomplete or does not belong to this node (paths, DB name/role, password)
#   42  the config check (start.sh check / kamailio -c) failed; last lines on stderr
set -euo pipefail
set -E

PROG=config.sh

die() {
	local code=$1
	shift
	echo "$PROG: $*" >&2
	exit "$code"
}
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] || echo "$PROG: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit 3' ERR

ensure_mode() {
	local mode=$1 path=$2
	if [ "$(stat -c '%a %u' "$path")" != "${mode#0} 0" ]; then
		chown root:root "$path"
		chmod "$mode" "$path"
		echo "fixed ownership/mode of $path to root $mode"
	fi
}

# Kamailio/start.sh output may quote the generated config, which holds the DB URL: blank out
# anything that looks like one before showing it.
redact() { sed -E 's#postgres(ql)?://[^"[:space:]]*#postgres://<redacted>#g'; }

main() {
	cd /
	[ $# -eq 1 ] || die 2 "usage: config.sh KEY"
	local key=$1
	[[ "$key" =~ ^[0-9a-f]{12}$ ]] || die 2 "bad KEY '$key' (12 lowercase hex chars)"
	[ "$(id -u)" = 0 ] || die 11 "must run as root (or through sudo -n)"

	local node_dir=/var/lib/centralita-node/$key
	local run_dir=/run/centralita-node-$key
	local name=centralita_node_$key
	local f
	for f in kamailio.cfg start.sh node.env; do
		[ -s "$node_dir/$f" ] || die 40 "$node_dir/$f missing (upload the node files first)"
	done
	ensure_mode 0700 "$node_dir"
	ensure_mode 0600 "$node_dir/node.env"

	# node.env is written by Centralita (KEY=value lines). Sourced in this shell only; exported
	# so start.sh sees it, but never printed: KAM_DB_URL carries the DB password.
	set -a
	# shellcheck disable=SC1091
	. "$node_dir/node.env"
	set +a
	for f in KAM_SIP_ADDR KAM_SIP_PORT KAM_RPC_ADDR KAM_RPC_PORT KAM_DB_URL KAM_RUN_DIR KAM_CFG; do
		[ -n "${!f:-}" ] || die 41 "node.env: $f is not set"
	done
	# The install scripts find the node by these paths; a node.env for another node (or with
	# other paths) would make service/health/remove look in the wrong place.
	[ "$KAM_RUN_DIR" = "$run_dir" ] || die 41 "node.env: KAM_RUN_DIR must be $run_dir"
	[ "$KAM_CFG" = "$node_dir/kamailio.cfg" ] || die 41 "node.env: KAM_CFG must be $node_dir/kamailio.cfg"
	[ "$KAM_RPC_ADDR" = 127.0.0.1 ] || die 41 "node.env: KAM_RPC_ADDR must be 127.0.0.1"
	[ -z "${KAM_PID_FILE:-}" ] || [ "$KAM_PID_FILE" = "$run_dir/kamailio.pid" ] ||
		die 41 "node.env: KAM_PID_FILE must be unset or $run_dir/kamailio.pid"
	# postgres://USER:PASSWORD@HOST:PORT/DB — compare the parts without echoing them.
	local re='^postgres://([^:@/]+):([^@/]*)@([^/]+)/([^/?]+)$'
	[[ "$KAM_DB_URL" =~ $re ]] || die 41 "node.env: KAM_DB_URL is not postgres://USER:PASSWORD@HOST:PORT/DB"
	[ "${BASH_REMATCH[1]}" = "$name" ] || die 41 "node.env: KAM_DB_URL user must be $name"
	[ "${BASH_REMATCH[4]}" = "$name" ] || die 41 "node.env: KAM_DB_URL database must be $name"
	if [ -s "$node_dir/db.password" ]; then
		[ "${BASH_REMATCH[2]}" = "$(head -n 1 "$node_dir/db.password")" ] ||
			die 41 "node.env: the password in KAM_DB_URL differs from db.password"
	fi
	echo "node.env ok (SIP $KAM_SIP_ADDR:$KAM_SIP_PORT udp+tcp, JSON-RPC 127.0.0.1:$KAM_RPC_PORT)"

	local out
	if ! out=$(timeout 60 bash "$node_dir/start.sh" check 2>&1); then
		# start.sh already dropped kamailio's INFO/NOTICE lines; show the tail.
		redact <<<"$out" | tail -n 20 >&2
		die 42 "config check failed (start.sh check / kamailio -c)"
	fi
	echo "config ok: kamailio -c accepts $run_dir/kamailio-node.cfg"

	local sum
	sum=$(cat "$node_dir/kamailio.cfg" "$node_dir/node.env" | sha256sum | cut -d' ' -f1)
	echo "result.config_sha256=$sum"
}

main "$@" </dev/null; exit $?
