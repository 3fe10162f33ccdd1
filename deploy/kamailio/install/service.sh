#!/usr/bin/env bash
# Managed install, step 5: keep the node's kamailio running (and running the current config).
#
# Usage (piped into `timeout N bash -s -- ARGS`):
#   service.sh KEY
#
# Needs in NODE_DIR=/var/lib/centralita-node/KEY: kamailio.cfg start.sh stop.sh node.env
# (config.sh has checked them).
#
# systemd hosts (/run/systemd/system exists): unit /etc/systemd/system/centralita-node-KEY.service
#   (start.sh --foreground, Restart=on-failure), rewritten only when its text differs, enabled,
#   started when not active, restarted when the config changed.
# Other hosts: a supervisor, NODE_DIR/supervise.sh, started detached with setsid (pid in
#   NODE_DIR/supervisor.pid, log RUN_DIR/supervisor.log, kamailio's log RUN_DIR/kamailio.log).
#   It runs `start.sh --foreground` and starts kamailio again 2 s after it exits, until
#   RUN_DIR/stop-requested exists. No init system: it does not come back after a reboot.
#
# "The config changed" = sha256 of kamailio.cfg + node.env (config.sh's result.config_sha256)
# differs from NODE_DIR/running.sha256, which is written once the node answers with it.
# In every case the step waits (30 s at most) for JSON-RPC core.version to answer.
# Idempotent: running and unchanged => "already running, nothing to do", same pid.
#
# Output: result.init=systemd|supervised  result.boot=enabled|not-available
#         result.pid=<kamailio main pid>  result.action=started|restarted|none
#
# Exit codes:
#    0  ok
#    2  bad arguments
#    3  unexpected internal failure
#   11  not running as root
#   50  a node file is missing
#   51  node.env unusable (RPC port, run dir)
#   52  JSON-RPC did not answer within 30 s (last log lines on stderr)
#   53  systemctl failed (write/enable/start/restart of the unit)
#   54  the old kamailio did not stop
#   55  the supervisor did not start or died
set -euo pipefail
set -E

PROG=service.sh
RPC_WAIT=30    # seconds for core.version to answer after a (re)start
STOP_WAIT=15   # seconds for an old kamailio to exit after TERM before it is KILLed

die() {
	local code=$1
	shift
	echo "$PROG: $*" >&2
	exit "$code"
}
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] || echo "$PROG: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit 3' ERR

redact() { sed -E 's#postgres(ql)?://[^"[:space:]]*#postgres://<redacted>#g'; }

ensure_mode() {
	local mode=$1 path=$2
	if [ "$(stat -c '%a %u' "$path")" != "${mode#0} 0" ]; then
		chown root:root "$path"
		chmod "$mode" "$path"
		echo "fixed ownership/mode of $path to root $mode"
	fi
}

# Writes $2 to file $1 (mode $3) only when the content differs. Through a temp file and
# rename: a running bash reads its script while it runs, so supervise.sh must never be
# rewritten in place. Returns 0 when it wrote, 1 when the file was already so.
write_if_changed() {
	local path=$1 text=$2 mode=$3 tmp
	if [ -f "$path" ] && [ "$(cat "$path")" = "$text" ]; then
		return 1
	fi
	tmp=$(mktemp "$path.XXXXXX")
	printf '%s\n' "$text" >"$tmp"
	chmod "$mode" "$tmp"
	mv -f "$tmp" "$path"
	return 0
}

# The live kamailio main process of this node: pid file + comm check (a stale pid file or a
# recycled pid must not count).
kamailio_pid() {
	local p
	[ -s "$run_dir/kamailio.pid" ] || return 1
	p=$(head -c 20 "$run_dir/kamailio.pid" | tr -dc 0-9)
	[ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = kamailio ] || return 1
	echo "$p"
}

supervisor_pid() {
	local p
	[ -s "$node_dir/supervisor.pid" ] || return 1
	p=$(head -c 20 "$node_dir/supervisor.pid" | tr -dc 0-9)
	[ -n "$p" ] && [ -r "/proc/$p/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF "$node_dir/supervise.sh" || return 1
	echo "$p"
}

# Any process left in process group $1? (kamailio is started with setsid: pgid = main pid)
group_alive() {
	local pg=$1 f rest
	for f in /proc/[0-9]*/stat; do
		read -r rest 2>/dev/null <"$f" || continue
		rest=${rest##*) }
		# fields after "(comm) ": state ppid pgrp ...
		# shellcheck disable=SC2086
		set -- $rest
		[ "${3:-}" = "$pg" ] && return 0
	done
	return 1
}

# TERM kamailio and wait until it and its workers are gone (KILL after STOP_WAIT): start.sh
# refuses to start while anything answers on the RPC port, and the SIP ports must be free.
stop_kamailio() {
	local kp=$1 deadline
	kill -TERM "$kp" 2>/dev/null || true
	deadline=$((SECONDS + STOP_WAIT))
	while kill -0 "$kp" 2>/dev/null || group_alive "$kp"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "kamailio $kp did not stop within ${STOP_WAIT}s; killing its process group"
			kill -KILL -- "-$kp" 2>/dev/null || kill -KILL "$kp" 2>/dev/null || true
			sleep 1
			break
		fi
		sleep 0.2
	done
	! kill -0 "$kp" 2>/dev/null
}

rpc_version() {
	curl -sS -m 3 -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","method":"core.version","id":1}' "http://127.0.0.1:$rpc_port/RPC" 2>/dev/null
}

# Wait until kamailio (a pid other than $1, when given) runs and JSON-RPC answers.
wait_ready() {
	local old=${1:-} deadline=$((SECONDS + RPC_WAIT)) kp out
	while :; do
		if kp=$(kamailio_pid) && [ "$kp" != "$old" ] &&
			out=$(rpc_version) && [[ "$out" == *'"result"'* ]]; then
			ready_pid=$kp
			return 0
		fi
		if [ "$init" = supervised ] && ! supervisor_pid >/dev/null; then
			show_logs
			die 55 "the supervisor died while waiting for kamailio (see $run_dir/supervisor.log)"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			show_logs
			die 52 "kamailio's JSON-RPC (http://127.0.0.1:$rpc_port/RPC) did not answer within ${RPC_WAIT}s"
		fi
		sleep 0.5
	done
}

show_logs() {
	{
		if [ "$init" = systemd ]; then
			journalctl -u "$unit" -n 20 --no-pager 2>/dev/null || true
		else
			tail -n 20 "$run_dir/kamailio.log" 2>/dev/null || true
		fi
	} | grep -v ' INFO: ' | redact | tail -n 20 >&2
}

supervisor_text() {
	cat <<EOF
#!/usr/bin/env bash
# Supervisor of Centralita edge node $key (Kamailio), for hosts without systemd.
# Written by Centralita's managed install (deploy/kamailio/install/service.sh); rewritten on
# every install run: do not edit. Started detached (setsid) by service.sh; pid in
# $node_dir/supervisor.pid. To stop it: touch $run_dir/stop-requested, then stop
# kamailio (stop.sh) — or run the install's remove.sh.
#
# Loop: start.sh --foreground (execs kamailio) with node.env in its environment; when kamailio
# exits, kill what is left of its process group (its workers would hold the ports if the main
# process died hard) and start it again 2 s later, unless $run_dir/stop-requested exists.
set -u
node_dir=$node_dir
run_dir=$run_dir
echo \$\$ >"\$node_dir/supervisor.pid"
log() { echo "\$(date -u +%Y-%m-%dT%H:%M:%SZ) supervisor[\$\$]: \$*"; }
log "started"
while [ ! -e "\$run_dir/stop-requested" ]; do
	mkdir -p "\$run_dir"
	# /run is a tmpfs: keep one old log of at most 10 MiB (checked at each start only)
	if [ "\$(stat -c %s "\$run_dir/kamailio.log" 2>/dev/null || echo 0)" -gt 10485760 ]; then
		mv -f "\$run_dir/kamailio.log" "\$run_dir/kamailio.log.1"
	fi
	# setsid: kamailio gets its own process group (= its pid), like under start.sh or systemd,
	# so its leftover workers can be killed as a group below without hitting this loop.
	(
		set -a
		. "\$node_dir/node.env"
		set +a
		exec setsid "\$node_dir/start.sh" --foreground
	) </dev/null >>"\$run_dir/kamailio.log" 2>&1 &
	child=\$!
	log "started kamailio (pid \$child)"
	wait "\$child"
	rc=\$?
	log "kamailio (pid \$child) exited with status \$rc"
	if kill -TERM -- "-\$child" 2>/dev/null; then
		sleep 1
		kill -KILL -- "-\$child" 2>/dev/null || true
		log "cleaned up leftover processes of group \$child"
	fi
	[ -e "\$run_dir/stop-requested" ] && break
	sleep 2
done
log "stop requested; exiting"
# only our own pid file: a replacing supervisor may have written its pid already
[ "\$(cat "\$node_dir/supervisor.pid" 2>/dev/null)" != "\$\$" ] || rm -f "\$node_dir/supervisor.pid"
EOF
}

unit_text() {
	cat <<EOF
# Centralita edge node $key (Kamailio).
# Written by Centralita's managed install (deploy/kamailio/install/service.sh); rewritten on
# every install run: do not edit. Settings: $node_dir/node.env.
[Unit]
Description=Centralita edge node $key (Kamailio)
After=network-online.target postgresql.service
Wants=network-online.target
# keep retrying (e.g. the database comes up late), like the supervisor does without systemd
StartLimitIntervalSec=0

[Service]
Type=simple
EnvironmentFile=$node_dir/node.env
ExecStart=$node_dir/start.sh --foreground
ExecStop=$node_dir/stop.sh
Restart=on-failure
RestartSec=2
TimeoutStopSec=20

[Install]
WantedBy=multi-user.target
EOF
}

main() {
	cd /
	[ $# -eq 1 ] || die 2 "usage: service.sh KEY"
	key=$1
	[[ "$key" =~ ^[0-9a-f]{12}$ ]] || die 2 "bad KEY '$key' (12 lowercase hex chars)"
	[ "$(id -u)" = 0 ] || die 11 "must run as root (or through sudo -n)"

	node_dir=/var/lib/centralita-node/$key
	run_dir=/run/centralita-node-$key
	unit=centralita-node-$key.service
	local f
	for f in kamailio.cfg start.sh stop.sh node.env; do
		[ -s "$node_dir/$f" ] || die 50 "$node_dir/$f missing (run the configuration step first)"
	done
	ensure_mode 0700 "$node_dir"

	# Only the RPC port and run dir are needed here; read them without exporting the rest.
	rpc_port=$(
		set +u
		. "$node_dir/node.env"
		[ "${KAM_RUN_DIR:-}" = "$run_dir" ] || exit 1
		echo "${KAM_RPC_PORT:-}"
	) || die 51 "node.env: KAM_RUN_DIR must be $run_dir (run the configuration step)"
	[[ "$rpc_port" =~ ^[0-9]{1,5}$ ]] && [ "$rpc_port" -ge 1 ] && [ "$rpc_port" -le 65535 ] ||
		die 51 "node.env: bad KAM_RPC_PORT"

	local hash prev=""
	hash=$(cat "$node_dir/kamailio.cfg" "$node_dir/node.env" | sha256sum | cut -d' ' -f1)
	[ -s "$node_dir/running.sha256" ] && prev=$(head -n 1 "$node_dir/running.sha256")

	init=supervised
	[ -d /run/systemd/system ] && init=systemd
	local action kp="" old=""
	ready_pid=""
	kp=$(kamailio_pid || true)

	if [ "$init" = systemd ]; then
		local unit_file=/etc/systemd/system/$unit unit_changed=0
		if write_if_changed "$unit_file" "$(unit_text)" 0644; then
			unit_changed=1
			timeout 60 systemctl daemon-reload || die 53 "systemctl daemon-reload failed"
			echo "wrote $unit_file"
		fi
		if ! systemctl is-enabled --quiet "$unit" 2>/dev/null; then
			timeout 60 systemctl enable --quiet "$unit" || die 53 "systemctl enable $unit failed"
			echo "enabled $unit (starts on boot)"
		fi
		if ! systemctl is-active --quiet "$unit"; then
			if [ -n "$kp" ]; then
				# a kamailio of this node outside the unit (started by hand): the unit's
				# start.sh would only say "already running" and exit
				echo "kamailio $kp runs outside $unit; stopping it to start it under systemd"
				stop_kamailio "$kp" || die 54 "kamailio $kp did not stop"
			fi
			timeout 60 systemctl start "$unit" || { show_logs; die 53 "systemctl start $unit failed"; }
			action=started
		elif [ "$hash" != "$prev" ] || [ "$unit_changed" = 1 ]; then
			old=$kp
			echo "configuration changed since kamailio started; restarting $unit"
			timeout 60 systemctl restart "$unit" || { show_logs; die 53 "systemctl restart $unit failed"; }
			action=restarted
		else
			action=none
		fi
	else
		mkdir -p "$run_dir"
		chmod 0750 "$run_dir"
		local sup="" sup_changed=0
		if write_if_changed "$node_dir/supervise.sh" "$(supervisor_text)" 0700; then
			sup_changed=1
			echo "wrote $node_dir/supervise.sh"
		fi
		sup=$(supervisor_pid || true)
		if [ -n "$sup" ] && [ "$sup_changed" = 1 ]; then
			# A new supervisor script (upgrade): the running bash keeps the old one; replace it.
			echo "supervisor script changed; replacing supervisor $sup"
			touch "$run_dir/stop-requested"
			[ -z "$kp" ] || stop_kamailio "$kp" || die 54 "kamailio $kp did not stop"
			for _ in $(seq 1 50); do
				kill -0 "$sup" 2>/dev/null || break
				sleep 0.1
			done
			kill -TERM "$sup" 2>/dev/null || true
			for _ in $(seq 1 20); do
				kill -0 "$sup" 2>/dev/null || break
				sleep 0.1
			done
			sup="" kp=""
		fi
		if [ -n "$sup" ]; then
			if [ "$hash" != "$prev" ]; then
				echo "configuration changed since kamailio started; restarting kamailio"
				if [ -n "$kp" ]; then
					old=$kp
					# The supervisor sees it exit and starts start.sh again 2 s later, with the
					# new node.env; start.sh must find the RPC port free, hence the full stop.
					stop_kamailio "$kp" || die 54 "kamailio $kp did not stop"
				fi
				action=restarted
			else
				action=none
			fi
		else
			if [ -n "$kp" ]; then
				echo "kamailio $kp runs without its supervisor; restarting it supervised"
				old=$kp
				stop_kamailio "$kp" || die 54 "kamailio $kp did not stop"
			fi
			rm -f "$run_dir/stop-requested"
			# Detached for good: own session (setsid; the worker's `timeout` kills its process
			# group on expiry), stdin /dev/null, output to a log, and no inherited descriptor
			# (an inherited pipe would keep the SSH channel open after this step ends).
			(
				for f in /proc/$BASHPID/fd/*; do
					f=${f##*/}
					[ "$f" -gt 2 ] && { eval "exec $f>&-" 2>/dev/null || true; }
				done
				exec setsid bash "$node_dir/supervise.sh"
			) </dev/null >>"$run_dir/supervisor.log" 2>&1 &
			sleep 0.3
			supervisor_pid >/dev/null || {
				tail -n 5 "$run_dir/supervisor.log" >&2 2>/dev/null || true
				die 55 "the supervisor did not start"
			}
			action=started
		fi
	fi

	wait_ready "$old"
	case "$action" in
		none) echo "kamailio already running (pid $ready_pid) with this configuration; nothing to do" ;;
		started) echo "started kamailio (pid $ready_pid); JSON-RPC answers on 127.0.0.1:$rpc_port" ;;
		restarted) echo "restarted kamailio (pid ${old:-none} -> $ready_pid) with the new configuration" ;;
	esac
	if [ "$hash" != "$prev" ]; then
		local tmp
		tmp=$(mktemp "$node_dir/running.sha256.XXXXXX")
		echo "$hash" >"$tmp"
		chmod 0600 "$tmp"
		mv -f "$tmp" "$node_dir/running.sha256"
	fi

	echo "result.init=$init"
	if [ "$init" = systemd ]; then
		echo "result.boot=enabled"
	else
		echo "result.boot=not-available"
		[ "$action" = none ] || echo "no init system here: the supervisor does not survive a reboot; run the install's service step again after one"
	fi
	echo "result.pid=$ready_pid"
	echo "result.action=$action"
}

main "$@" </dev/null; exit $?
