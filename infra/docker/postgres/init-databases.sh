#!/bin/bash
# Runs once, when the postgres:16 container initialises an empty data volume
# (/docker-entrypoint-initdb.d). Creates two non-superuser roles with their own databases:
#   lienthong       read models, checkpoints (LIENTHONG_DATABASE_URL)
#   lienthong_keys  the key store, apart from the log (LIENTHONG_KEYSTORE_URL; ARCHITECTURE rule 5)
# Passwords come from the environment (.env); nothing is defaulted here.
set -euo pipefail

: "${LIENTHONG_DB_PASSWORD:?set LIENTHONG_DB_PASSWORD}"
: "${KEYSTORE_DB_PASSWORD:?set KEYSTORE_DB_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v app_pw="$LIENTHONG_DB_PASSWORD" -v keys_pw="$KEYSTORE_DB_PASSWORD" <<'SQL'
CREATE ROLE lienthong WITH LOGIN NOSUPERUSER NOCREATEROLE PASSWORD :'app_pw';
CREATE DATABASE lienthong OWNER lienthong;
REVOKE ALL ON DATABASE lienthong FROM PUBLIC;

CREATE ROLE lienthong_keys WITH LOGIN NOSUPERUSER NOCREATEROLE PASSWORD :'keys_pw';
CREATE DATABASE lienthong_keys OWNER lienthong_keys;
REVOKE ALL ON DATABASE lienthong_keys FROM PUBLIC;
SQL
