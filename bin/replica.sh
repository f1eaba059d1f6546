#!/usr/bin/env bash
# A streaming read replica of the local cluster, for tests and benchmarks:
#   bin/replica.sh start DIR PORT   pg_basebackup into DIR, start on 127.0.0.1:PORT, wait until it streams
#   bin/replica.sh stop DIR         stop it and remove DIR
# Runs PostgreSQL as the cluster's owner (postgres) when called as root.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/pg_ctl" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
  port=${3:?port}
  "$(dirname "$0")/ensure-replication.sh"
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_pg "$bindir/pg_basebackup" -h 127.0.0.1 -p "${PGPORT:-5432}" -U postgres -D "$dir/data" -X stream -R -c fast --no-sync
  # Debian keeps the configuration outside the data directory: write a small
  # one; a hot standby needs the primary's limits at least
  limits=$(psql -h 127.0.0.1 -p "${PGPORT:-5432}" -U postgres -d postgres -Atqc "select string_agg(name || ' = ' || setting, E'\n')
    from pg_settings where name in ('max_connections', 'max_worker_processes', 'max_wal_senders',
                                    'max_prepared_transactions', 'max_locks_per_transaction')")
  as_pg tee "$dir/data/postgresql.conf" >/dev/null <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
shared_buffers = 64MB
fsync = off
$limits
CONF
  as_pg tee "$dir/data/pg_hba.conf" >/dev/null <<'CONF'
local all all trust
host all all 127.0.0.1/32 trust
CONF
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null
  for _ in $(seq 1 100); do
    [ "$(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc 'select status from pg_stat_wal_receiver' 2>/dev/null)" = streaming ] && exit 0
    sleep 0.1
  done
  echo "replica in $dir does not stream (see $dir/log)" >&2; exit 1 ;;
stop)
  [ -d "$dir/data" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir" ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
