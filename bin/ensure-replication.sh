#!/usr/bin/env bash
# Lets the local PostgreSQL cluster stream to a replica on 127.0.0.1 (the
# read-replica test starts one; production: see README "Read replica").
# Idempotent: adds the pg_hba "replication" line only when missing, then
# reloads (no restart). wal_level and max_wal_senders need a restart to
# change, so they are only checked.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
q() { psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -Atqc "$1"; }

wal_level=$(q "show wal_level"); senders=$(q "show max_wal_senders")
if [ "$wal_level" = minimal ] || [ "$senders" -lt 2 ]; then
  echo "PostgreSQL needs wal_level=replica and max_wal_senders>=2 (has $wal_level, $senders); set them and restart" >&2
  exit 1
fi
hba=$(q "show hba_file")
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$hba"; then
  echo "==> allowing streaming replication from 127.0.0.1 ($hba)"
  printf '%s\n' "# read replica on this machine (ckanext-datagovernance bin/ensure-replication.sh)" \
    "host    replication     all             127.0.0.1/32            trust" >> "$hba"
  q "select pg_reload_conf()" >/dev/null
fi
