#!/usr/bin/env bash
# Managed install, step 6: is the node's kamailio alive and answering JSON-RPC?
#
# Usage (piped into `timeout N bash -s -- ARGS`):
#   health.sh KEY
#
# Checks that the pid in RUN_DIR/kamailio.pid is a live kamailio and that JSON-RPC
# core.version answers at http://127.0.0.1:KAM_RPC_PORT/RPC (KAM_RPC_PORT from node.env).
# Read-only. (Centralita additionally sends a SIP OPTIONS to the node from outside.)
#
# Output: result.version=<core.version, e.g. "kamailio 5.6.3 (x86_64/linux)">  result.pid=<pid>
#
# Exit codes:
#    0  healthy
#    2  bad arguments
#    3  unexpected internal failure
#   11  not running as root
#   60  node.env missing or without a usable KAM_RPC_PORT
#   61  kamailio is not running (no live kamailio in RUN_DIR/kamailio.pid)
#   62  JSON-RPC does not answer
#   63  JSON-RPC answered, but not with a core.version result
set -euo pipefail
set -E

PROG=health.sh

die() {
	local code=$1
	shift
	echo "$PROG: $*" >&2
	exit "$code"
}
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] || echo "$PROG: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit 3' ERR

main() {
	cd /
	[ $# -eq 1 ] || die 2 "usage: health.sh KEY"
	local key=$1
	[[ "$key" =~ ^[0-9a-f]{12}$ ]] || die 2 "bad KEY '$key' (12 lowercase hex chars)"
	[ "$(id -u)" = 0 ] || die 11 "must run as root (or through sudo -n)"
	local node_dir=/var/lib/centralita-node/$key
	local run_dir=/run/centralita-node-$key

	[ -s "$node_dir/node.env" ] || die 60 "$node_dir/node.env missing (node not installed?)"
	local rpc_port
	# a subshell: only the port leaves it (node.env also holds the DB URL)
	rpc_port=$(
		set +u
		. "$node_dir/node.env"
		echo "${KAM_RPC_PORT:-}"
	)
	[[ "$rpc_port" =~ ^[0-9]{1,5}$ ]] && [ "$rpc_port" -ge 1 ] && [ "$rpc_port" -le 65535 ] ||
		die 60 "node.env: bad or missing KAM_RPC_PORT"

	local pid=""
	[ -s "$run_dir/kamailio.pid" ] && pid=$(head -c 20 "$run_dir/kamailio.pid" | tr -dc 0-9)
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kamailio ] ||
		die 61 "kamailio is not running (no live kamailio process in $run_dir/kamailio.pid)"
	echo "kamailio running, pid $pid"

	local url=http://127.0.0.1:$rpc_port/RPC out
	out=$(curl -sS -m 3 -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","method":"core.version","id":1}' "$url" 2>&1) ||
		die 62 "JSON-RPC at $url does not answer: $(head -n 1 <<<"$out")"
	# {"jsonrpc":"2.0","result":"kamailio 5.6.3 (x86_64/linux) ","id":1}
	local version
	version=$(sed -nE 's/.*"result"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' <<<"$out" | head -n 1)
	version=${version%"${version##*[![:space:]]}"}
	[ -n "$version" ] || die 63 "JSON-RPC at $url answered without a version: $(head -c 200 <<<"$out")"
	echo "JSON-RPC core.version: $version"
	echo "result.version=$version"
	echo "result.pid=$pid"
}

main "$@" </dev/null; exit $?
