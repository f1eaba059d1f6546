#!/usr/bin/env bash
# Creates the database role and a database (name in $1) if they do not exist.
# The role owns the database, so it may create the trusted pg_trgm extension
# in the search plugin's migration without being a superuser.
set -euo pipefail
db="$1"; role="${DG_DB_ROLE:-datagovernance}"; pass="${DG_DB_PASSWORD:-pass}"
psql_admin() {
  if id postgres >/dev/null 2>&1; then
    (cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@")
  else
    psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA "$@"
  fi
}
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='$role'")" != "1" ]; then
  psql_admin -c "CREATE ROLE $role LOGIN PASSWORD '$pass'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE $db OWNER $role ENCODING 'UTF8' TEMPLATE template0"
fi
