#!/usr/bin/env bash
# Start (or stop) a Centralita edge Kamailio without systemd.
#
# Usage: start.sh [options] [start|stop|status|check]     (default: start)
#
#   start    check the config, start kamailio in the background, wait until JSON-RPC
#            core.version answers, print the pid
#   stop     TERM the pid from the pid file, KILL after a bounded wait (same as stop.sh)
#   status   print the pid and core.version if running; exit 1 if not
#   check    only generate the node config and run `kamailio -c` on it
#
# Options (each has an environment variable; options win):
#   --sip-addr ADDR      KAM_SIP_ADDR       SIP listen address (UDP+TCP)       127.0.0.1
#   --sip-port PORT      KAM_SIP_PORT       SIP port                            5060
#   --rpc-addr ADDR      KAM_RPC_ADDR       JSON-RPC listen address (loopback!) 127.0.0.1
#   --rpc-port PORT      KAM_RPC_PORT       JSON-RPC port (http://ADDR:PORT/RPC) 5080
#   --db-url URL         KAM_DB_URL         postgres://user[:pass]@host:port/db
#                                           (default postgres://kamailio@127.0.0.1:5432/kamailio)
#   --run-dir DIR        KAM_RUN_DIR        runtime dir (node cfg, pid, log)   /run/centralita-kamailio
#   --pid-file FILE      KAM_PID_FILE       default RUN_DIR/kamailio.pid
#   --log FILE           KAM_LOG            stderr of kamailio; default RUN_DIR/kamailio.log
#   --children N         KAM_CHILDREN       SIP UDP workers                      4
#   --pike-trusted NETS  KAM_PIKE_TRUSTED_NETS  comma list of CIDRs exempt from the antiflood
#                                           ban (tests only; unset = pike applies to everyone)
#   --api-url URL        KAM_API_URL        Centralita's base URL (http://host:port). Set, the
#                                           node routes calls by asking it (edge.lua); unset,
#                                           it only connects registered phones of one tenant
#   --api-token-file F   KAM_API_TOKEN_FILE file holding the node's token (sn_…), read by
#                                           Kamailio; keep it 0600, owned by the node's user
#   --media-uri URI      KAM_MEDIA_URI      media server for voicemail/IVR/queues/conferences
#                                           (sip:host:port)
#   --carrier-nets NETS  KAM_CARRIER_NETS   comma list of carriers' CIDRs: their INVITEs are
#                                           inbound calls to DIDs (no digest)
#   --async-workers N    KAM_ASYNC_WORKERS  processes that ask Centralita                   4
#   --user U --group G   KAM_USER KAM_GROUP run as this user/group (kamailio -u/-g)
#   --wait SECONDS       KAM_WAIT           bounded wait for JSON-RPC readiness  20
#   --foreground                            run kamailio in the foreground (exec), no wait
#   KAM_SHM_MB (64), KAM_PKG_MB (32)        kamailio -m / -M
#   KAM_CFG                                 the main config (default: kamailio.cfg beside this script)
#
# The settings are written as `#!define`s into RUN_DIR/kamailio-node.cfg (mode 0600, because the
# DB URL may hold a password), which then includes the main config. Nothing goes on the
# command line, so the DB password does not show up in `ps`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

cfg=${KAM_CFG:-$here/kamailio.cfg}
sip_addr=${KAM_SIP_ADDR:-127.0.0.1}
sip_port=${KAM_SIP_PORT:-5060}
rpc_addr=${KAM_RPC_ADDR:-127.0.0.1}
rpc_port=${KAM_RPC_PORT:-5080}
db_url=${KAM_DB_URL:-postgres://kamailio@127.0.0.1:5432/kamailio}
run_dir=${KAM_RUN_DIR:-/run/centralita-kamailio}
pid_file=${KAM_PID_FILE:-}
log_file=${KAM_LOG:-}
children=${KAM_CHILDREN:-4}
pike_trusted=${KAM_PIKE_TRUSTED_NETS:-}
kam_user=${KAM_USER:-}
kam_group=${KAM_GROUP:-}
wait_s=${KAM_WAIT:-20}
shm_mb=${KAM_SHM_MB:-64}
pkg_mb=${KAM_PKG_MB:-32}
api_url=${KAM_API_URL:-}
api_token_file=${KAM_API_TOKEN_FILE:-}
media_uri=${KAM_MEDIA_URI:-}
carrier_nets=${KAM_CARRIER_NETS:-}
async_workers=${KAM_ASYNC_WORKERS:-4}
foreground=0
action=start

die() { echo "start.sh: $*" >&2; exit 1; }
need_arg() { [ $# -ge 2 ] || die "option $1 needs a value"; }

while [ $# -gt 0 ]; do
	case "$1" in
		--sip-addr) need_arg "$@"; sip_addr=$2; shift ;;
		--sip-port) need_arg "$@"; sip_port=$2; shift ;;
		--rpc-addr) need_arg "$@"; rpc_addr=$2; shift ;;
		--rpc-port) need_arg "$@"; rpc_port=$2; shift ;;
		--db-url) need_arg "$@"; db_url=$2; shift ;;
		--run-dir) need_arg "$@"; run_dir=$2; shift ;;
		--pid-file) need_arg "$@"; pid_file=$2; shift ;;
		--log) need_arg "$@"; log_file=$2; shift ;;
		--children) need_arg "$@"; children=$2; shift ;;
		--pike-trusted) need_arg "$@"; pike_trusted=$2; shift ;;
		--api-url) need_arg "$@"; api_url=$2; shift ;;
		--api-token-file) need_arg "$@"; api_token_file=$2; shift ;;
		--media-uri) need_arg "$@"; media_uri=$2; shift ;;
		--carrier-nets) need_arg "$@"; carrier_nets=$2; shift ;;
		--async-workers) need_arg "$@"; async_workers=$2; shift ;;
		--user) need_arg "$@"; kam_user=$2; shift ;;
		--group) need_arg "$@"; kam_group=$2; shift ;;
		--wait) need_arg "$@"; wait_s=$2; shift ;;
		--foreground) foreground=1 ;;
		start|stop|status|check) action=$1 ;;
		-h|--help) sed -n '2,48p' "$0"; exit 0 ;;
		*) die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done

pid_file=${pid_file:-$run_dir/kamailio.pid}
log_file=${log_file:-$run_dir/kamailio.log}
node_cfg=$run_dir/kamailio-node.cfg
rpc_url="http://$rpc_addr:$rpc_port/RPC"

# --- validation: every value ends up inside the generated config, so only safe shapes pass.
ipv4_re='^([0-9]{1,3}\.){3}[0-9]{1,3}$'
port_re='^[0-9]{1,5}$'
[[ "$sip_addr" =~ $ipv4_re ]] || die "--sip-addr must be an IPv4 address: $sip_addr"
[[ "$rpc_addr" =~ $ipv4_re ]] || die "--rpc-addr must be an IPv4 address: $rpc_addr"
case "$rpc_addr" in 127.*) ;; *) die "--rpc-addr must be a loopback address (127.0.0.0/8): $rpc_addr" ;; esac
for p in "$sip_port" "$rpc_port"; do
	[[ "$p" =~ $port_re ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "bad port: $p"
done
[ "$sip_port" != "$rpc_port" ] || die "SIP and RPC ports must differ"
[[ "$children" =~ ^[0-9]{1,3}$ ]] && [ "$children" -ge 1 ] || die "bad --children: $children"
[[ "$wait_s" =~ ^[0-9]{1,4}$ ]] || die "bad --wait: $wait_s"
[[ "$shm_mb" =~ ^[0-9]{1,5}$ && "$pkg_mb" =~ ^[0-9]{1,5}$ ]] || die "bad KAM_SHM_MB/KAM_PKG_MB"
[[ "$db_url" =~ ^postgres://[^\"\\[:space:]]+$ ]] || die "--db-url must be postgres://... without quotes, backslashes or spaces"
[ -z "$pike_trusted" ] || [[ "$pike_trusted" =~ ^[0-9a-fA-F:./,]+$ ]] || die "bad --pike-trusted: $pike_trusted"
[[ "$run_dir" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--run-dir must be an absolute path of [A-Za-z0-9._/-]"
if [ -n "$api_url" ]; then
	[[ "$api_url" =~ ^https?://[A-Za-z0-9.:-]+(/[A-Za-z0-9._/-]*)?$ ]] || die "bad --api-url: $api_url"
	api_url=${api_url%/}
	[[ "$api_token_file" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--api-token-file must be an absolute path of [A-Za-z0-9._/-]"
	[ -r "$api_token_file" ] || die "token file not readable: $api_token_file"
	[ -z "$media_uri" ] || [[ "$media_uri" =~ ^sips?:[A-Za-z0-9.:-]+(;[A-Za-z0-9=]+)*$ ]] || die "bad --media-uri: $media_uri"
	[ -z "$carrier_nets" ] || [[ "$carrier_nets" =~ ^[0-9a-fA-F:./,]+$ ]] || die "bad --carrier-nets: $carrier_nets"
	[[ "$async_workers" =~ ^[0-9]{1,3}$ ]] && [ "$async_workers" -ge 1 ] || die "bad --async-workers: $async_workers"
	edge_lua=$(dirname "$cfg")/edge.lua
	[ -r "$edge_lua" ] || die "edge.lua not found beside $cfg"
fi
[ -r "$cfg" ] || die "config not found: $cfg"
cfg=$(cd "$(dirname "$cfg")" && pwd)/$(basename "$cfg")
[[ "$cfg" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "config path must be [A-Za-z0-9._/-]: $cfg"
command -v kamailio >/dev/null || die "kamailio not installed (apt-get install -y kamailio kamailio-postgres-modules)"

running_pid() {
	# The pid from the pid file, if that process is alive and is a kamailio.
	[ -s "$pid_file" ] || return 1
	local pid
	pid=$(cat "$pid_file")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "kamailio" ] || return 1
	echo "$pid"
}

rpc() {
	curl -sS -m 3 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"method\":\"$1\",\"id\":1}" "$rpc_url"
}

write_node_cfg() {
	mkdir -p "$run_dir"
	chmod 0750 "$run_dir"
	local tmp
	tmp=$(mktemp "$run_dir/.kamailio-node.XXXXXX")
	chmod 0600 "$tmp"
	{
		echo "#!KAMAILIO"
		echo "# Generated by deploy/kamailio/start.sh — do not edit; rerun start.sh instead."
		echo "#!define SIP_ADDR $sip_addr"
		echo "#!define SIP_PORT $sip_port"
		echo "#!define RPC_ADDR $rpc_addr"
		echo "#!define RPC_PORT $rpc_port"
		echo "#!define DBURL \"$db_url\""
		echo "#!define RUN_DIR \"$run_dir\""
		echo "#!define CHILDREN $children"
		if [ -n "$pike_trusted" ]; then
			echo "#!define PIKE_TRUSTED_NETS \"$pike_trusted\""
		fi
		if [ -n "$api_url" ]; then
			mkdir -p "$run_dir/spool"
			echo "#!define WITH_CALLS"
			echo "#!define EDGE_LUA \"$edge_lua\""
			echo "#!define EDGE_SHV_API \"api_url=s:$api_url\""
			echo "#!define EDGE_SHV_TOKEN \"api_token_file=s:$api_token_file\""
			echo "#!define EDGE_SHV_MEDIA \"media_uri=s:$media_uri\""
			echo "#!define EDGE_SHV_SPOOL \"cdr_spool=s:$run_dir/spool\""
			echo "#!define ASYNC_WORKERS $async_workers"
			if [ -n "$carrier_nets" ]; then
				echo "#!define CARRIER_NETS \"$carrier_nets\""
			fi
		fi
		echo "#!include_file \"$cfg\""
	} >"$tmp"
	mv -f "$tmp" "$node_cfg"
	if [ -n "$kam_user" ]; then
		chown "$kam_user${kam_group:+:$kam_group}" "$run_dir" "$node_cfg"
		[ ! -d "$run_dir/spool" ] || chown "$kam_user${kam_group:+:$kam_group}" "$run_dir/spool"
	fi
}

kam_args=(-f "$node_cfg" -m "$shm_mb" -M "$pkg_mb")
[ -z "$kam_user" ] || kam_args+=(-u "$kam_user")
[ -z "$kam_group" ] || kam_args+=(-g "$kam_group")

check_cfg() {
	local out
	if ! out=$(timeout 30 kamailio -c "${kam_args[@]}" 2>&1); then
		echo "$out" | grep -Ev '^ *[0-9]+\([0-9]+\) (INFO|NOTICE)' >&2 || true
		die "config check failed ($node_cfg -> $cfg)"
	fi
}

do_stop() {
	local pid
	if ! pid=$(running_pid); then
		echo "start.sh: not running (no live kamailio in $pid_file)"
		rm -f "$pid_file"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "start.sh: kamailio $pid ignored TERM for 10 s; sending KILL" >&2
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pid_file"
	echo "start.sh: stopped kamailio $pid"
}

case "$action" in
	stop)
		do_stop
		exit 0
		;;
	status)
		if pid=$(running_pid); then
			echo "running pid=$pid"
			rpc core.version && echo
			exit 0
		fi
		echo "not running"
		exit 1
		;;
	check)
		write_node_cfg
		check_cfg
		echo "start.sh: config ok ($node_cfg)"
		exit 0
		;;
esac

# --- start
if pid=$(running_pid); then
	echo "start.sh: already running, pid $pid (use stop first to apply new settings)"
	echo "$pid"
	exit 0
fi
if curl -s -m 2 -o /dev/null "$rpc_url" 2>/dev/null; then
	die "something already answers on $rpc_url; pick another --rpc-port"
fi

write_node_cfg
check_cfg

if [ "$foreground" = 1 ]; then
	echo "start.sh: kamailio in the foreground; SIP $sip_addr:$sip_port, JSON-RPC $rpc_url" >&2
	echo $$ >"$pid_file"
	exec kamailio -DD -E "${kam_args[@]}"
fi

mkdir -p "$(dirname "$log_file")" "$(dirname "$pid_file")"
# setsid: own session and process group, detached from the caller's terminal and signals;
# -DD: no daemonizing (the pid we get is the main process); -E: log to stderr = the log file.
setsid kamailio -DD -E "${kam_args[@]}" </dev/null >>"$log_file" 2>&1 &
pid=$!
echo "$pid" >"$pid_file"

deadline=$((SECONDS + wait_s))
while :; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "start.sh: kamailio exited during start-up; last log lines ($log_file):" >&2
		tail -n 30 "$log_file" >&2 || true
		rm -f "$pid_file"
		exit 1
	fi
	if out=$(rpc core.version 2>/dev/null) && [[ "$out" == *'"result"'* ]]; then
		break
	fi
	if [ "$SECONDS" -ge "$deadline" ]; then
		echo "start.sh: JSON-RPC $rpc_url did not answer within ${wait_s}s; stopping" >&2
		tail -n 30 "$log_file" >&2 || true
		do_stop >&2
		exit 1
	fi
	sleep 0.2
done

echo "start.sh: kamailio running, pid $pid; SIP udp/tcp $sip_addr:$sip_port; JSON-RPC $rpc_url; log $log_file" >&2
echo "$pid"
