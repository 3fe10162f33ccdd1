#!/usr/bin/env bash
# Managed install, step 2: the Debian packages a Centralita edge node needs.
#
# Usage (piped into `timeout N bash -s -- ARGS`):
#   packages.sh LOCAL_DB
#     LOCAL_DB  1 = the node keeps its database in a PostgreSQL on this host (127.0.0.1:5432),
#               0 = the database is elsewhere
#
# Needs: kamailio kamailio-postgres-modules postgresql-client curl, and postgresql when
# LOCAL_DB=1 and nothing answers on 127.0.0.1:5432. If everything is there, apt is not touched
# ("nothing to do"). Otherwise: apt-get update + install --no-install-recommends of the missing
# ones, with a policy-rc.d that forbids service starts during the install (the packaged
# kamailio would grab :5060). On systemd hosts the packaged kamailio.service is disabled and
# stopped. With LOCAL_DB=1 an installed but stopped PostgreSQL is started (bounded wait).
#
# Output: result.kamailio_version=<dpkg version>  result.installed=<pkg,pkg|none>
#
# Exit codes:
#    0  ok
#    2  bad arguments
#    3  unexpected internal failure
#   11  not running as root
#   20  apt-get update failed
#   21  apt-get install failed
#   22  a package is still missing after the install
#   23  PostgreSQL installed but could not be started / does not answer on 127.0.0.1:5432
#   24  could not disable the packaged kamailio.service
#   25  dpkg/apt is locked by another process (timed out waiting)
set -euo pipefail
set -E

PROG=packages.sh
APT_LOCK_WAIT=120   # seconds apt waits for another apt/dpkg (unattended-upgrades) to finish
PG_WAIT=30          # seconds to wait for a freshly started PostgreSQL

die() {
	local code=$1
	shift
	echo "$PROG: $*" >&2
	exit "$code"
}
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] || echo "$PROG: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit 3' ERR

installed() {
	# "install ok installed" only; "rc" (removed, config left) and half-installed don't count.
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# Any installed package matching a pattern (e.g. postgresql-client-15 satisfies
# postgresql-client: the versioned package is what provides psql).
installed_like() {
	{ dpkg-query -W -f='${Package} ${Status}\n' "$1" 2>/dev/null || true; } |
		awk '$2 == "install" && $3 == "ok" && $4 == "installed" { found = 1 } END { exit !found }'
}

pg_answers() {
	if command -v pg_isready >/dev/null; then
		pg_isready -q -h 127.0.0.1 -p 5432 -t 3
	else
		# no client yet: "something accepts TCP on 5432" is the best we can tell
		timeout 3 bash -c ': </dev/tcp/127.0.0.1/5432' 2>/dev/null
	fi
}

policy_rc_d=/usr/sbin/policy-rc.d
policy_backup=""
policy_ours=0
restore_policy() {
	if [ "$policy_ours" = 1 ]; then
		rm -f "$policy_rc_d"
		[ -z "$policy_backup" ] || mv -f "$policy_backup" "$policy_rc_d"
		policy_ours=0
	fi
}
trap restore_policy EXIT

apt_run() {
	# stdin from /dev/null: a conffile prompt must fail, not hang or eat our script.
	DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a \
		apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" "$@" </dev/null
}

main() {
	cd /
	[ $# -eq 1 ] || die 2 "usage: packages.sh LOCAL_DB (1 or 0)"
	local local_db=$1
	[[ "$local_db" =~ ^[01]$ ]] || die 2 "bad LOCAL_DB '$local_db' (1 or 0)"
	[ "$(id -u)" = 0 ] || die 11 "must run as root (or through sudo -n)"
	local systemd=0
	[ -d /run/systemd/system ] && systemd=1

	local -a missing=()
	local p
	for p in kamailio kamailio-postgres-modules curl; do
		installed "$p" || missing+=("$p")
	done
	installed postgresql-client || installed_like 'postgresql-client-[0-9]*' || missing+=(postgresql-client)

	local want_server=0
	if [ "$local_db" = 1 ] && ! pg_answers; then
		want_server=1
		if installed postgresql || installed_like 'postgresql-[0-9]*'; then
			echo "PostgreSQL is installed but does not answer on 127.0.0.1:5432; will start it"
		else
			missing+=(postgresql)
		fi
	fi

	if [ ${#missing[@]} -eq 0 ]; then
		echo "all packages present, nothing to do"
	else
		echo "missing: ${missing[*]}"
		local out
		if ! out=$(apt_run update -qq 2>&1); then
			grep -qi 'could not get lock\|is locked\|lock-frontend' <<<"$out" &&
				die 25 "apt is locked by another process (waited ${APT_LOCK_WAIT}s): $(tail -n 1 <<<"$out")"
			echo "$out" | tail -n 15 >&2
			die 20 "apt-get update failed"
		fi

		# policy-rc.d (exit 101 = "action forbidden") keeps invoke-rc.d/deb-systemd-invoke from
		# starting services from the maintainer scripts: the packaged kamailio would start on
		# :5060 with the stock config. An existing policy-rc.d (containers) is restored after.
		if [ -e "$policy_rc_d" ]; then
			policy_backup=$(mktemp "$policy_rc_d.centralita.XXXXXX")
			cp -a "$policy_rc_d" "$policy_backup"
		fi
		policy_ours=1
		printf '#!/bin/sh\n# temporary, written by centralita packages.sh\nexit 101\n' >"$policy_rc_d"
		chmod 0755 "$policy_rc_d"

		if ! out=$(apt_run install -y -qq --no-install-recommends "${missing[@]}" 2>&1); then
			restore_policy
			grep -qi 'could not get lock\|is locked\|lock-frontend' <<<"$out" &&
				die 25 "apt is locked by another process (waited ${APT_LOCK_WAIT}s): $(tail -n 1 <<<"$out")"
			echo "$out" | grep -v '^debconf: ' | tail -n 20 >&2
			die 21 "apt-get install ${missing[*]} failed"
		fi
		restore_policy
		for p in "${missing[@]}"; do
			case "$p" in
				postgresql-client) installed "$p" || installed_like 'postgresql-client-[0-9]*' ||
					die 22 "$p still not installed after apt-get install" ;;
				*) installed "$p" || die 22 "$p still not installed after apt-get install" ;;
			esac
		done
		echo "installed: ${missing[*]}"
	fi

	# The packaged kamailio.service (stock config on :5060) must never run beside the node.
	# Checked on every run, not only after an install: it may have been enabled by hand.
	if [ "$systemd" = 1 ] && systemctl cat kamailio.service >/dev/null 2>&1; then
		if systemctl is-enabled --quiet kamailio.service 2>/dev/null ||
			systemctl is-active --quiet kamailio.service 2>/dev/null; then
			timeout 60 systemctl disable --now kamailio.service >/dev/null 2>&1 ||
				die 24 "systemctl disable --now kamailio.service failed"
			echo "disabled and stopped the packaged kamailio.service"
		else
			echo "packaged kamailio.service already disabled"
		fi
	fi
	# (sysvinit hosts: /etc/init.d/kamailio only starts with RUN_KAMAILIO=yes in
	# /etc/default/kamailio, which the package ships as "no".)

	if [ "$want_server" = 1 ]; then
		if pg_answers; then
			echo "PostgreSQL answers on 127.0.0.1:5432"
		else
			if [ "$systemd" = 1 ]; then
				timeout 60 systemctl start postgresql >/dev/null 2>&1 ||
					die 23 "systemctl start postgresql failed"
			else
				# Without systemd: the cluster on port 5432 (pg_lsclusters: ver name port status ...).
				local ver
				ver=$(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 { print $1 " " $2; exit }')
				[ -n "$ver" ] || die 23 "no PostgreSQL cluster configured on port 5432 (pg_lsclusters)"
				# shellcheck disable=SC2086
				timeout 60 pg_ctlcluster --skip-systemctl-redirect $ver start >/dev/null 2>&1 ||
					pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 && $4 == "online" { ok = 1 } END { exit !ok }' ||
					die 23 "pg_ctlcluster $ver start failed"
			fi
			local deadline=$((SECONDS + PG_WAIT))
			until pg_answers; do
				[ "$SECONDS" -lt "$deadline" ] ||
					die 23 "PostgreSQL does not answer on 127.0.0.1:5432 after ${PG_WAIT}s"
				sleep 1
			done
			echo "started PostgreSQL; it answers on 127.0.0.1:5432"
		fi
	fi

	local kver
	kver=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null || true)
	echo "result.kamailio_version=${kver:-unknown}"
	if [ ${#missing[@]} -eq 0 ]; then
		echo "result.installed=none"
	else
		local IFS=,
		echo "result.installed=${missing[*]}"
	fi
}

main "$@" </dev/null; exit $?
