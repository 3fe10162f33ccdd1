#!/usr/bin/env bash
# Managed install: remove Centralita edge node KEY from this host.
#
# Usage (piped into `timeout N bash -s -- ARGS`, or run by an operator as root):
#   remove.sh KEY [--keep-db]
#     --keep-db  keep the node's database and role (e.g. the DB is not on this host, or the
#                registrations/accounts should survive a reinstall)
#
# Stops the node (systemd unit: disable --now, delete, daemon-reload; supervisor: stop-requested,
# stop kamailio, end the supervisor; any kamailio still in RUN_DIR/kamailio.pid), drops
# database and role centralita_node_KEY on the local PostgreSQL (unless --keep-db), deletes
# NODE_DIR=/var/lib/centralita-node/KEY and RUN_DIR=/run/centralita-node-KEY.
# Idempotent: on a host without the node it says "nothing to do".
#
# Output: result.removed=<what was removed, comma list | none>
#
# Exit codes:
#    0  removed (or nothing there)
#    2  bad arguments
#    3  unexpected internal failure
#   11  not running as root
#   70  kamailio or the supervisor did not stop
#   71  systemctl failed to disable/stop the unit
#   72  dropping the database or role failed (PostgreSQL not local/answering? use --keep-db)
set -euo pipefail
set -E

PROG=remove.sh
STOP_WAIT=15

die() {
	local code=$1
	shift
	echo "$PROG: $*" >&2
	exit "$code"
}
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] || echo "$PROG: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit 3' ERR

removed=()

live_pid() {
	# live_pid FILE EXPECT: the pid in FILE if alive and (EXPECT = comm, or a cmdline substring)
	local file=$1 expect=$2 p
	[ -s "$file" ] || return 1
	p=$(head -c 20 "$file" | tr -dc 0-9)
	[ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || return 1
	if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$expect" ] ||
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$expect"; then
		echo "$p"
		return 0
	fi
	return 1
}

group_alive() {
	local pg=$1 f rest
	for f in /proc/[0-9]*/stat; do
		read -r rest 2>/dev/null <"$f" || continue
		rest=${rest##*) }
		# shellcheck disable=SC2086
		set -- $rest
		[ "${3:-}" = "$pg" ] && return 0
	done
	return 1
}

# TERM, wait, KILL the process group (kamailio runs in its own group: pgid = main pid).
stop_pid() {
	local p=$1 what=$2 deadline
	kill -TERM "$p" 2>/dev/null || true
	deadline=$((SECONDS + STOP_WAIT))
	while kill -0 "$p" 2>/dev/null || group_alive "$p"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "$what $p did not stop within ${STOP_WAIT}s; killing it"
			kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
			sleep 1
			break
		fi
		sleep 0.2
	done
	! kill -0 "$p" 2>/dev/null
}

main() {
	cd /
	local keep_db=0 key=""
	while [ $# -gt 0 ]; do
		case "$1" in
			--keep-db) keep_db=1 ;;
			-*) die 2 "unknown option $1 (usage: remove.sh KEY [--keep-db])" ;;
			*) [ -z "$key" ] || die 2 "usage: remove.sh KEY [--keep-db]"; key=$1 ;;
		esac
		shift
	done
	# The key ends up in rm -rf paths and SQL names: nothing but 12 hex chars passes.
	[[ "$key" =~ ^[0-9a-f]{12}$ ]] || die 2 "bad KEY '$key' (12 lowercase hex chars)"
	[ "$(id -u)" = 0 ] || die 11 "must run as root (or through sudo -n)"

	local node_dir=/var/lib/centralita-node/$key
	local run_dir=/run/centralita-node-$key
	local unit=centralita-node-$key.service
	local unit_file=/etc/systemd/system/$unit
	local name=centralita_node_$key

	# --- systemd unit
	if [ -e "$unit_file" ]; then
		if [ -d /run/systemd/system ]; then
			timeout 60 systemctl disable --now "$unit" >/dev/null 2>&1 ||
				die 71 "systemctl disable --now $unit failed"
		fi
		rm -f "$unit_file"
		if [ -d /run/systemd/system ]; then
			timeout 60 systemctl daemon-reload || die 71 "systemctl daemon-reload failed"
			systemctl reset-failed "$unit" >/dev/null 2>&1 || true
		fi
		removed+=(unit)
		echo "removed $unit"
	fi

	# --- supervisor: ask it to stop first, so it does not restart the kamailio we stop next
	local sup kp
	sup=$(live_pid "$node_dir/supervisor.pid" "$node_dir/supervise.sh" || true)
	if [ -n "$sup" ]; then
		mkdir -p "$run_dir"
		touch "$run_dir/stop-requested"
	fi
	kp=$(live_pid "$run_dir/kamailio.pid" kamailio || true)
	if [ -n "$kp" ]; then
		stop_pid "$kp" kamailio || die 70 "kamailio $kp did not stop"
		removed+=(kamailio)
		echo "stopped kamailio $kp"
	fi
	if [ -n "$sup" ]; then
		# it exits by itself once kamailio is gone and stop-requested exists
		local i
		for i in $(seq 1 50); do
			kill -0 "$sup" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$sup" 2>/dev/null; then
			stop_pid "$sup" supervisor || die 70 "supervisor $sup did not stop"
		fi
		removed+=(supervisor)
		echo "stopped supervisor $sup"
		# a kamailio it may have started in between
		kp=$(live_pid "$run_dir/kamailio.pid" kamailio || true)
		[ -z "$kp" ] || stop_pid "$kp" kamailio || die 70 "kamailio $kp did not stop"
	fi

	# --- database and role
	if [ "$keep_db" = 1 ]; then
		echo "keeping database and role $name (--keep-db)"
	else
		command -v psql >/dev/null && id -u postgres >/dev/null 2>&1 ||
			die 72 "no local PostgreSQL (psql / postgres user missing); use --keep-db and drop $name where it lives"
		local psql=(runuser -u postgres -- env PGHOST=/var/run/postgresql PGUSER=postgres PGCONNECT_TIMEOUT=10
			psql -X -q -At -v ON_ERROR_STOP=1 -d postgres -v name="$name")
		local state
		state=$("${psql[@]}" 2>&1 <<'SQL'
SELECT (SELECT count(*) FROM pg_database WHERE datname = :'name') || ' ' ||
       (SELECT count(*) FROM pg_roles WHERE rolname = :'name');
SQL
		) || die 72 "cannot reach the local PostgreSQL on /var/run/postgresql: $(tail -n 1 <<<"$state"); use --keep-db to skip the database"
		if [ "${state% *}" != 0 ]; then
			# WITH (FORCE) ends leftover sessions (PostgreSQL >= 13)
			"${psql[@]}" <<'SQL' >/dev/null || die 72 "DROP DATABASE $name failed"
DROP DATABASE IF EXISTS :"name" WITH (FORCE);
SQL
			removed+=(database)
			echo "dropped database $name"
		fi
		if [ "${state#* }" != 0 ]; then
			"${psql[@]}" <<'SQL' >/dev/null || die 72 "DROP ROLE $name failed (does it own objects elsewhere?)"
DROP ROLE IF EXISTS :"name";
SQL
			removed+=(role)
			echo "dropped role $name"
		fi
	fi

	# --- files
	if [ -e "$node_dir" ]; then
		rm -rf -- "$node_dir"
		removed+=(node_dir)
		echo "deleted $node_dir"
	fi
	if [ -e "$run_dir" ]; then
		rm -rf -- "$run_dir"
		removed+=(run_dir)
		echo "deleted $run_dir"
	fi

	if [ ${#removed[@]} -eq 0 ]; then
		echo "node $key is not on this host; nothing to do"
		echo "result.removed=none"
	else
		local IFS=,
		echo "result.removed=${removed[*]}"
	fi
}

main "$@" </dev/null; exit $?
