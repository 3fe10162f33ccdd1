#!/usr/bin/env bash
# Managed install, step 3: the node's PostgreSQL role and database on THIS host's PostgreSQL.
#
# Usage (piped into `timeout N bash -s -- ARGS`):
#   database.sh KEY
#
# Needs (uploaded before this step) in NODE_DIR=/var/lib/centralita-node/KEY:
#   db.password  the role's password (mode 0600; one line; characters [A-Za-z0-9._~+=-],
#                12..256 of them, because it also sits inside KAM_DB_URL)
#   node-db.sh   copy of deploy/kamailio/node-db.sh
#
# Role and database are both named centralita_node_KEY. Runs psql as the `postgres` OS user
# over the local socket (/var/run/postgresql; peer auth), so no admin password is needed.
# The role password never appears on a command line or in an environment: root opens
# db.password and hands the open file to psql as fd 3 (runuser keeps open fds), and psql reads
# it with `\set pw `cat <&3`` (the postgres user could not open the root-only file itself).
#
# Idempotent: an existing role gets its password set again (same value: no effective change),
# an existing node database is left alone by node-db.sh; its ownership is checked/repaired.
#
# Output: result.role=created|existing  result.database=centralita_node_KEY
#         result.database_state=created|existing
#
# Exit codes:
#    0  ok
#    2  bad arguments
#    3  unexpected internal failure
#   11  not running as root
#   30  node directory or node-db.sh missing
#   31  db.password missing or empty
#   32  db.password has characters outside [A-Za-z0-9._~+=-] or a bad length
#   33  psql/runuser or the postgres OS user missing
#   34  local PostgreSQL does not answer on /var/run/postgresql
#   35  creating/updating the role failed
#   36  creating the database (node-db.sh) failed
#   37  fixing the database's ownership failed
set -euo pipefail
set -E

PROG=database.sh
PGSOCK=/var/run/postgresql

die() {
	local code=$1
	shift
	echo "$PROG: $*" >&2
	exit "$code"
}
trap 'rc=$?; [ "$BASH_SUBSHELL" -gt 0 ] || echo "$PROG: unexpected failure (exit $rc) at line $LINENO: $BASH_COMMAND" >&2; exit 3' ERR

# Everything that talks to PostgreSQL runs as the postgres OS user over the socket.
# (cd / in main: runuser keeps the cwd, which the postgres user may not be able to read.)
as_postgres() {
	runuser -u postgres -- env PGHOST="$PGSOCK" PGUSER=postgres PGCONNECT_TIMEOUT=10 "$@"
}
psql_admin() {
	as_postgres psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# Tighten a path's mode (the upload uses `install -D`, whose created parent dirs are 0755).
ensure_mode() {
	local mode=$1 path=$2
	if [ "$(stat -c '%a %u' "$path")" != "${mode#0} 0" ]; then
		chown root:root "$path"
		chmod "$mode" "$path"
		echo "fixed ownership/mode of $path to root $mode"
	fi
}

main() {
	cd /
	[ $# -eq 1 ] || die 2 "usage: database.sh KEY"
	local key=$1
	[[ "$key" =~ ^[0-9a-f]{12}$ ]] || die 2 "bad KEY '$key' (12 lowercase hex chars)"
	[ "$(id -u)" = 0 ] || die 11 "must run as root (or through sudo -n)"

	local node_dir=/var/lib/centralita-node/$key
	local name=centralita_node_$key
	local pwfile=$node_dir/db.password
	[ -d "$node_dir" ] || die 30 "node directory $node_dir does not exist (upload the node files first)"
	[ -s "$node_dir/node-db.sh" ] || die 30 "$node_dir/node-db.sh missing"
	[ -s "$pwfile" ] || die 31 "$pwfile missing or empty"
	ensure_mode 0700 "$node_dir"
	ensure_mode 0600 "$pwfile"

	# Validate the password's shape without ever printing it. It is held in this shell's memory
	# only (a variable is not visible in ps or /proc/PID/environ unless exported).
	local pw lines
	lines=$(wc -l <"$pwfile")
	pw=$(head -n 1 "$pwfile")
	[ "$lines" -le 1 ] || die 32 "$pwfile must hold exactly one line"
	[[ "$pw" =~ ^[A-Za-z0-9._~+=-]{12,256}$ ]] ||
		die 32 "$pwfile: password must be 12..256 characters of [A-Za-z0-9._~+=-] (it is also embedded in KAM_DB_URL)"
	unset pw

	command -v psql >/dev/null || die 33 "psql not found (packages step: postgresql-client)"
	command -v runuser >/dev/null || die 33 "runuser not found (util-linux)"
	id -u postgres >/dev/null 2>&1 || die 33 "no postgres OS user: is PostgreSQL installed on this host?"
	as_postgres pg_isready -q -t 5 >/dev/null 2>&1 ||
		die 34 "PostgreSQL does not answer on the local socket $PGSOCK (packages step with LOCAL_DB=1 starts it)"

	# --- role. The SQL text is static (quoted heredoc); names come in as psql variables and are
	# quoted by psql (:"role" identifier, :'pw' literal). The session turns statement logging
	# off (it is superuser) so the PASSWORD literal does not land in the server log even with
	# log_statement=all, nor in pg_stat_statements.
	local out
	if ! out=$(psql_admin -d postgres -v role="$name" 3<"$pwfile" 2>&1 <<'SQL'
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_error_statement = 'panic';
SET pg_stat_statements.track_utility = off;
\set pw `cat <&3`
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') AS role_exists \gset
\if :role_exists
ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
\echo role=existing
\else
CREATE ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
\echo role=created
\endif
\unset pw
SQL
	); then
		# psql's error names the statement, never the literal; still, keep only ERROR lines.
		grep -E 'ERROR|FATAL|error' <<<"$out" | grep -v PASSWORD | tail -n 5 >&2 || true
		die 35 "could not create/update role $name"
	fi
	local role_state
	case "$out" in
		*role=created*) role_state=created; echo "created role $name" ;;
		*) role_state=existing; echo "role $name already exists (password set again, unchanged)" ;;
	esac
	echo "result.role=$role_state"

	# --- database, by node-db.sh (idempotent). It runs as postgres with the script on stdin:
	# root opens the 0700 node dir's file, postgres only reads the stream.
	if ! out=$(as_postgres bash -s -- --owner "$name" "$name" <"$node_dir/node-db.sh" 2>&1); then
		tail -n 15 <<<"$out" >&2
		die 36 "node-db.sh could not create database $name"
	fi
	local db_state
	case "$out" in
		*"nothing to do"*) db_state=existing; echo "database $name already exists with the Kamailio schema; nothing to do" ;;
		*) db_state=created; echo "created database $name (Kamailio schema loaded, owner $name)" ;;
	esac

	# node-db.sh hands DB and tables to the owner only when it creates the DB. If an earlier run
	# died between creating and handing over, a rerun would say "nothing to do" with tables the
	# node's role cannot write: check the owner and repair (same statements as node-db.sh).
	local owner
	owner=$(psql_admin -At -d postgres -v db="$name" <<'SQL'
SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :'db';
SQL
	)
	local bad_tables
	bad_tables=$(psql_admin -At -d "$name" -v role="$name" <<'SQL'
SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> :'role';
SQL
	)
	if [ "$owner" != "$name" ] || [ "$bad_tables" != 0 ]; then
		psql_admin -d "$name" -v db="$name" -v owner="$name" >/dev/null 2>&1 <<'SQL' ||
ALTER DATABASE :"db" OWNER TO :"owner";
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'owner')
  FROM pg_tables WHERE schemaname = 'public' \gexec
SELECT format('ALTER SEQUENCE public.%I OWNER TO %I', sequencename, :'owner')
  FROM pg_sequences WHERE schemaname = 'public' \gexec
SQL
			die 37 "could not hand database $name and its tables to role $name"
		echo "repaired ownership of database $name (was $owner, $bad_tables tables not owned by $name)"
	fi

	echo "result.database=$name"
	echo "result.database_state=$db_state"
}

main "$@" </dev/null; exit $?
