#!/bin/sh
# One pg_auto_failover node: `pgaf-node monitor` or `pgaf-node postgres`. Creates it on the first start (its data and
# pg_autoctl's configuration live under $HOME, a volume) and runs it on every start.
#
#   PGAF_HOSTNAME        how the other nodes reach this one (default: the container's host name)
#   PGAF_MONITOR_HOST    the monitor's host name (data nodes)
#   PGAF_NODE_NAME       the node's name in `pg_autoctl show state` (data nodes; default PGAF_HOSTNAME)
#   PGAF_MONITOR_PASSWORD   password of autoctl_node on the monitor, which every keeper uses
#   PGAF_REPLICATION_PASSWORD  password of pgautofailover_replicator (a standby's base backup, a demoted primary's rejoin)
#   PGAF_DATABASE, PGAF_APP_USER, PGAF_APP_PASSWORD   the hub's database and its login (data nodes; made on the primary)
#   PGAF_FAST_FAILOVER   "1": the monitor declares a primary dead after ~2 s and promotes at once (about 7 s from a
#                        machine's death to a writable standby, measured on loopback); default: pg_auto_failover's own
#                        timings (about 50 s), which tolerate a busy or briefly partitioned network better.
set -eu

role=${1:?usage: pgaf-node monitor|postgres}
host=${PGAF_HOSTNAME:-$(hostname)}
# The image's PostgreSQL puts its socket here.
socket=${PGAF_SOCKET_DIR:-/var/run/postgresql}
: "${PGDATA:?}" "${PGPORT:=5432}" "${PGAF_MONITOR_PASSWORD:?}"
export PGPORT

psql_local() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$socket" -p "$PGPORT" "$@"
}

wait_for_postgres() {
    until pg_isready -q -h "$socket" -p "$PGPORT"; do sleep 1; done
}

if [ "$role" = monitor ]; then
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        pg_autoctl create monitor --pgdata "$PGDATA" --pgport "$PGPORT" --hostname "$host" \
            --auth scram-sha-256 --ssl-self-signed
    fi
    pg_autoctl run --pgdata "$PGDATA" &
    keeper=$!
    trap 'kill -TERM $keeper' TERM INT
    wait_for_postgres
    # pg_autoctl does not set passwords itself; set them (again) on every start so a changed secret takes effect.
    psql_local -d pg_auto_failover -c "ALTER USER autoctl_node PASSWORD '$PGAF_MONITOR_PASSWORD'"
    if [ "${PGAF_FAST_FAILOVER:-0}" = 1 ]; then
        psql_local -d postgres \
            -c "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" \
            -c "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" \
            -c "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" \
            -c "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" \
            -c "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 2000" \
            -c "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 2000" \
            -c "SELECT pg_reload_conf()"
    fi
    wait $keeper
    exit
fi

[ "$role" = postgres ] || { echo "pgaf-node: unknown role '$role'" >&2; exit 64; }
: "${PGAF_MONITOR_HOST:?}" "${PGAF_REPLICATION_PASSWORD:?}" "${PGAF_DATABASE:?}" "${PGAF_APP_USER:?}" "${PGAF_APP_PASSWORD:?}"
if [ ! -f "$PGDATA/PG_VERSION" ]; then
    # A second node starts as a standby with pg_basebackup, which needs the replication password already (PGPASSWORD).
    PGPASSWORD=$PGAF_REPLICATION_PASSWORD pg_autoctl create postgres --pgdata "$PGDATA" --pgport "$PGPORT" \
        --hostname "$host" --name "${PGAF_NODE_NAME:-$host}" --dbname "$PGAF_DATABASE" \
        --auth scram-sha-256 --ssl-self-signed --pg-hba-lan \
        --monitor "postgres://autoctl_node:$PGAF_MONITOR_PASSWORD@$PGAF_MONITOR_HOST:${PGAF_MONITOR_PORT:-5432}/pg_auto_failover?sslmode=require"
    pg_autoctl config set --pgdata "$PGDATA" replication.password "$PGAF_REPLICATION_PASSWORD"
fi
pg_autoctl run --pgdata "$PGDATA" &
keeper=$!
trap 'kill -TERM $keeper' TERM INT
wait_for_postgres
# --pg-hba-lan lets in only pg_autoctl's own users; the hub's nodes log in as the app user from the same network, over TLS
# with a password. pg_hba.conf is not replicated, so every node adds the rule for itself.
rule="hostssl \"$PGAF_DATABASE\" \"$PGAF_APP_USER\" samenet scram-sha-256 # the hub's nodes (pgaf-node)"
if ! grep -qxF "$rule" "$PGDATA/pg_hba.conf"; then
    echo "$rule" >> "$PGDATA/pg_hba.conf"
    psql_local -d postgres -c "SELECT pg_reload_conf()" >/dev/null
fi
# The hub's login, made (or its password refreshed) on whichever node is primary; the standby gets it by replication.
if [ "$(psql_local -d postgres -Atc 'SELECT pg_is_in_recovery()')" = f ]; then
    psql_local -d "$PGAF_DATABASE" -v user="$PGAF_APP_USER" -v password="$PGAF_APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'user', :'password') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'user') \gexec
SELECT format('ALTER SCHEMA public OWNER TO %I', :'user') \gexec
SQL
fi
wait $keeper
