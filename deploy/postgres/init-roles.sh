#!/bin/sh
# First start of the compose PostgreSQL only: one role for Temporal (it creates its own databases) and one role and
# database for dondoc's read model (dondoc creates its tables). Passwords come from the container's environment.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v temporal_password="$TEMPORAL_DB_PASSWORD" -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE dondoc LOGIN PASSWORD :'app_password';
CREATE DATABASE dondoc OWNER dondoc;
SQL
