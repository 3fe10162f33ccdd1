#!/usr/bin/env bash
# Managed install, step 1: can this host run Centralita edge node KEY?
#
# Usage (the worker pipes this file into `timeout N bash -s -- ARGS`):
#   preflight.sh KEY SIP_ADDR SIP_PORT RPC_PORT
#     KEY       node key, 12 lowercase hex chars
#     SIP_ADDR  IPv4 address SIP will listen on (UDP+TCP); 0.0.0.0 = all addresses
#     SIP_PORT  SIP port, checked free on UDP and TCP
#     RPC_PORT  JSON-RPC port on 127.0.0.1, checked free on TCP
#
# Changes nothing on the host; safe to run any number of times. Ports held by THIS node's own
# running kamailio (RUN_DIR/kamailio.pid, its children/process group) count as free, so a
# re-run on an installed node passes.
#
# Output: short lines for humans, plus
#   result.os=<ID>  result.os_version=<VERSION_ID or codename>  result.disk_free_mib=<n>
#   result.init=systemd|none
#
# Exit codes:
#    0  ok
#    2  bad arguments
#    3  unexpected internal failure (the failing line is on stderr)
#   10  unsupported OS (needs Debian 12+ or a Debian-12-era derivative)
#   11  not running as root
#   12  less than 1024 MiB free on /var/lib
#   13  a port is already in use (port, protocol and the holder's name on stderr)
#   14  apt-get/dpkg missing
#   15  another required tool is missing (ss, ip from iproute2)
#   16  SIP_ADDR is not an address of this host (a NAT'd address: Kamailio cannot bind it)
set -euo pipefail
set -E

PROG=preflight.sh
MIN_FREE_MIB=1024

die() {
	local code=$1
	shift
	echo "$PROG: $*" >&2
	exit "$code"
}
# Unexpected failures (set -e) get one readable line instead of a silent exit.
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] || echo "$PROG: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit 3' ERR

valid_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

# --- OS -------------------------------------------------------------------------------------
# Debian 12+ by ID/VERSION_ID; derivatives (ID_LIKE=debian) by their Debian base, which
# /etc/debian_version gives as "12.x" (Devuan, LMDE, ...) or "bookworm/sid" (Ubuntu 22.04+).
debian_base_ok() {
	local v=$1
	if [[ "$v" =~ ^([0-9]+) ]]; then
		[ "${BASH_REMATCH[1]}" -ge 12 ]
		return
	fi
	case "${v%%/*}" in
		bookworm | trixie | forky | duke) return 0 ;;
	esac
	return 1
}

check_os() {
	[ -r /etc/os-release ] || die 10 "no /etc/os-release: unsupported OS (needs Debian 12 or later)"
	local ID="" VERSION_ID="" VERSION_CODENAME="" ID_LIKE="" PRETTY_NAME=""
	# os-release is shell-compatible KEY=value; read it in this function's scope only.
	# shellcheck disable=SC1091
	. /etc/os-release
	local debver=""
	[ -r /etc/debian_version ] && debver=$(head -n 1 /etc/debian_version)
	os_id=${ID:-unknown}
	os_version=${VERSION_ID:-${VERSION_CODENAME:-${debver:-unknown}}}
	if [ "$os_id" = debian ]; then
		# Testing/sid have no VERSION_ID; fall back to the codename / debian_version.
		if [ -n "$VERSION_ID" ]; then
			[[ "$VERSION_ID" =~ ^[0-9]+$ ]] && [ "$VERSION_ID" -ge 12 ] ||
				die 10 "unsupported OS: Debian $VERSION_ID (needs Debian 12 or later)"
		else
			debian_base_ok "${VERSION_CODENAME:-$debver}" ||
				die 10 "unsupported OS: Debian ${VERSION_CODENAME:-$debver} (needs Debian 12 or later)"
		fi
		return 0
	fi
	case " $ID_LIKE " in
		*" debian "*)
			debian_base_ok "$debver" ||
				die 10 "unsupported OS: ${PRETTY_NAME:-$os_id} (Debian base '${debver:-unknown}', needs a Debian 12 (bookworm) era base or later)"
			return 0
			;;
	esac
	die 10 "unsupported OS: ${PRETTY_NAME:-$os_id} (needs Debian 12 or later, or a Debian-based distribution of that era)"
}

# --- ports ----------------------------------------------------------------------------------
# Fields of /proc/PID/stat after the command name (which may contain spaces): state ppid pgrp.
proc_ppid_pgrp() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo "$2 $3"
}

# A socket is "ours" when every process holding it is this node's kamailio main process, one of
# its children (kamailio forks all workers from main) or in its process group (start.sh and the
# supervisor start it with setsid, systemd does the same, so pgrp = main pid).
all_own() {
	local p pp pg
	[ -n "$own_pid" ] || return 1
	[ $# -gt 0 ] || return 1
	for p in "$@"; do
		[ "$p" = "$own_pid" ] && continue
		read -r pp pg < <(proc_ppid_pgrp "$p" || echo "- -") || return 1
		[ "$pp" = "$own_pid" ] || [ "$pg" = "$own_pid" ] || return 1
	done
	return 0
}

# check_port PROTO PORT ADDR: returns 1 and sets $conflict when something else listens there.
# `ss -H -l -n -t|-u -p 'sport = :PORT'` lines (single protocol => no Netid column):
#   LISTEN 0 511 127.0.0.1:5060 0.0.0.0:* users:(("kamailio",pid=123,fd=9),("kamailio",...))
#   UNCONN 0 0   [::ffff:127.0.0.1]:5060 *:* ...       (also `*:5060`, `0.0.0.0%lo:5060`)
# A listener on another specific address does not block ours; wildcard ones (0.0.0.0, *, ::)
# always do (we cannot tell whether a [::] socket is v6only), and SIP_ADDR 0.0.0.0 clashes
# with everything.
check_port() {
	local proto=$1 port=$2 want=$3 line laddr users addr names
	local -a pids
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		read -r _ _ _ laddr _ users <<<"$line"
		addr=${laddr%:*}
		addr=${addr#[}
		addr=${addr%]}
		addr=${addr%%\%*}
		if [ "$want" != 0.0.0.0 ]; then
			case "$addr" in
				"$want" | "::ffff:$want" | 0.0.0.0 | '*' | :: | ::ffff:0.0.0.0) ;;
				*) continue ;;
			esac
		fi
		mapfile -t pids < <(grep -oE 'pid=[0-9]+' <<<"$users" | cut -d= -f2 | sort -u)
		if all_own "${pids[@]}"; then
			continue
		fi
		names=$(grep -oE '\("[^"]*"' <<<"$users" | tr -d '("' | sort -u | paste -sd, - || true)
		if [ -n "$names" ]; then
			# a few pids are enough (kamailio, asterisk... hold a socket in every worker)
			local shown="${pids[*]:0:3}"
			[ ${#pids[@]} -le 3 ] || shown="$shown ..."
			conflict="port $port/$proto on $addr is already in use by $names (pid $shown)"
		else
			conflict="port $port/$proto on $addr is already in use (holder not visible to ss -p)"
		fi
		return 1
	done < <(ss -H -l -n "--$proto" -p "sport = :$port" 2>/dev/null)
	return 0
}

main() {
	cd /
	[ $# -eq 4 ] || die 2 "usage: preflight.sh KEY SIP_ADDR SIP_PORT RPC_PORT"
	local key=$1 sip_addr=$2 sip_port=$3 rpc_port=$4
	[[ "$key" =~ ^[0-9a-f]{12}$ ]] || die 2 "bad KEY '$key' (12 lowercase hex chars)"
	[[ "$sip_addr" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die 2 "bad SIP_ADDR '$sip_addr' (IPv4 address)"
	valid_port "$sip_port" || die 2 "bad SIP_PORT '$sip_port' (1..65535)"
	valid_port "$rpc_port" || die 2 "bad RPC_PORT '$rpc_port' (1..65535)"
	[ "$sip_port" != "$rpc_port" ] || die 2 "SIP_PORT and RPC_PORT must differ"

	local run_dir=/run/centralita-node-$key
	local init=none
	[ -d /run/systemd/system ] && init=systemd

	os_id="" os_version=""
	check_os
	echo "OS: $os_id $os_version (ok)"
	echo "result.os=$os_id"
	echo "result.os_version=$os_version"
	echo "result.init=$init"

	[ "$(id -u)" = 0 ] || die 11 "must run as root (or through sudo -n); running as uid $(id -u)"

	command -v apt-get >/dev/null && command -v dpkg >/dev/null && command -v dpkg-query >/dev/null ||
		die 14 "apt-get/dpkg not found: not a Debian package-managed system"

	local free_mib
	free_mib=$(df -Pm /var/lib | awk 'NR == 2 { print $4 }')
	[[ "$free_mib" =~ ^[0-9]+$ ]] || die 3 "could not read free disk space of /var/lib"
	echo "result.disk_free_mib=$free_mib"
	[ "$free_mib" -ge "$MIN_FREE_MIB" ] ||
		die 12 "only $free_mib MiB free on /var/lib, need at least $MIN_FREE_MIB MiB"
	echo "disk: $free_mib MiB free on /var/lib (ok)"

	command -v ss >/dev/null || die 15 "ss not found (apt-get install iproute2)"
	command -v ip >/dev/null || die 15 "ip not found (apt-get install iproute2)"
	# Kamailio binds SIP_ADDR: it must be one of this host's own addresses. A cloud VM
	# behind 1:1 NAT has a private address; the public one cannot be bound.
	if [ "$sip_addr" != 0.0.0.0 ] &&
		! ip -o -4 addr show | awk '{ split($4, a, "/"); print a[1] }' | grep -Fxq -- "$sip_addr"; then
		die 16 "$sip_addr is not an address of this host (behind NAT? the node listens on an address it has)"
	fi
	# This node's own kamailio, if it runs: its sockets do not count as conflicts.
	own_pid=""
	local p
	if [ -s "$run_dir/kamailio.pid" ]; then
		p=$(head -c 20 "$run_dir/kamailio.pid" | tr -dc 0-9)
		if [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = kamailio ]; then
			own_pid=$p
			echo "this node's kamailio runs (pid $own_pid): its own ports count as free"
		fi
	fi
	conflict=""
	check_port udp "$sip_port" "$sip_addr" || die 13 "$conflict"
	check_port tcp "$sip_port" "$sip_addr" || die 13 "$conflict"
	check_port tcp "$rpc_port" 127.0.0.1 || die 13 "$conflict"
	echo "ports: SIP $sip_addr:$sip_port udp+tcp and JSON-RPC 127.0.0.1:$rpc_port tcp are free (ok)"
	echo "preflight ok"
}

# Everything runs inside main, called on the last line with stdin from /dev/null: bash has
# parsed the whole script before anything runs (a truncated upload runs nothing), and no
# command can swallow the rest of the script from stdin.
main "$@" </dev/null; exit $?
