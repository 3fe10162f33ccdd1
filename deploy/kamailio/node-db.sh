#!/usr/bin/env bash
# Create a Centralita edge node's Kamailio database on a PostgreSQL server.
#
# The schema comes from the Debian package's SQL files (kamailio-postgres-modules), loaded with
# psql in this order: standard (the `version` table), auth_db (subscriber), usrloc (location),
# domain (domain, domain_attrs), htable. Their `version` rows are kept: Kamailio modules check
# them at start-up.
#
# Usage: node-db.sh [--recreate] [--drop] [DBNAME]
#   DBNAME       database to create (default $KAM_DB_NAME or "kamailio"),
#                must match ^[a-z_][a-z0-9_]{0,62}$
#   --recreate   drop the database first if it exists, then create it
#   --drop       only drop the database (if it exists) and exit
#   --owner ROLE make ROLE (must exist, same name rule) owner of the DB and of its tables
#
# Connection (libpq environment, nothing else is read):
#   PGHOST (default 127.0.0.1)  PGPORT (default 5432)  PGUSER (default postgres)
#   PGPASSWORD or ~/.pgpass when the server asks for a password.
#   The connecting role must be allowed to CREATE DATABASE.
#
# Idempotent: when the database already exists and has a `version` table, nothing is changed
# and the script says so (exit 0). A database that exists without the schema is an error
# (use --recreate).
set -euo pipefail

SQL_DIR=${KAM_SQL_DIR:-/usr/share/kamailio/postgres}
export PGHOST=${PGHOST:-127.0.0.1}
export PGPORT=${PGPORT:-5432}
export PGUSER=${PGUSER:-postgres}
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}

recreate=0
drop_only=0
owner=""
db="${KAM_DB_NAME:-kamailio}"
while [ $# -gt 0 ]; do
	case "$1" in
		--recreate) recreate=1 ;;
		--drop) drop_only=1 ;;
		--owner) shift; owner="${1:-}" ;;
		-h|--help) sed -n '2,24p' "$0"; exit 0 ;;
		-*) echo "node-db.sh: unknown option $1" >&2; exit 2 ;;
		*) db="$1" ;;
	esac
	shift
done

ident_re='^[a-z_][a-z0-9_]{0,62}$'
if ! [[ "$db" =~ $ident_re ]]; then
	echo "node-db.sh: invalid database name '$db' (must match $ident_re)" >&2
	exit 2
fi
if [ -n "$owner" ] && ! [[ "$owner" =~ $ident_re ]]; then
	echo "node-db.sh: invalid owner role '$owner' (must match $ident_re)" >&2
	exit 2
fi

# psql on the maintenance DB; variables are passed with -v and expanded by psql itself with
# :'var' (literal) / :"var" (identifier) quoting, so nothing is pasted into SQL text here.
psql_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
}

exists=$(psql_admin -At -v db="$db" <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'db';
SQL
)

if [ "$exists" = "1" ] && { [ "$recreate" = 1 ] || [ "$drop_only" = 1 ]; }; then
	echo "node-db.sh: dropping database $db"
	psql_admin -v db="$db" <<'SQL'
DROP DATABASE :"db" WITH (FORCE);
SQL
	exists=0
fi
if [ "$drop_only" = 1 ]; then
	exit 0
fi

if [ "$exists" = "1" ]; then
	has_version=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'version';
SQL
)
	if [ "$has_version" = "1" ]; then
		echo "node-db.sh: database $db already exists with the Kamailio schema; nothing to do (use --recreate to start over)"
		exit 0
	fi
	echo "node-db.sh: database $db exists but has no Kamailio schema; use --recreate" >&2
	exit 1
fi

for f in standard auth_db usrloc domain htable; do
	if [ ! -r "$SQL_DIR/$f-create.sql" ]; then
		echo "node-db.sh: missing $SQL_DIR/$f-create.sql (apt-get install -y kamailio-postgres-modules)" >&2
		exit 1
	fi
done

echo "node-db.sh: creating database $db on $PGHOST:$PGPORT"
psql_admin -v db="$db" <<'SQL'
CREATE DATABASE :"db" ENCODING 'UTF8' TEMPLATE template0;
SQL

# All files in one psql session and one transaction: either the whole schema is there, or
# nothing is (then the empty DB is dropped so a rerun starts clean).
if ! psql -X -q -v ON_ERROR_STOP=1 -1 -d "$db" \
	-f "$SQL_DIR/standard-create.sql" \
	-f "$SQL_DIR/auth_db-create.sql" \
	-f "$SQL_DIR/usrloc-create.sql" \
	-f "$SQL_DIR/domain-create.sql" \
	-f "$SQL_DIR/htable-create.sql"; then
	echo "node-db.sh: schema load failed; dropping $db" >&2
	psql_admin -v db="$db" <<'SQL' || true
DROP DATABASE :"db";
SQL
	exit 1
fi

if [ -n "$owner" ]; then
	psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v db="$db" -v owner="$owner" <<'SQL'
ALTER DATABASE :"db" OWNER TO :"owner";
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'owner')
  FROM pg_tables WHERE schemaname = 'public' \gexec
SELECT format('ALTER SEQUENCE public.%I OWNER TO %I', sequencename, :'owner')
  FROM pg_sequences WHERE schemaname = 'public' \gexec
SQL
fi

echo "node-db.sh: database $db ready (tables: version subscriber location location_attrs domain domain_attrs htable)"
