#!/usr/bin/env bash
# One PostgreSQL server, one database and one login role per service: ticketing_<service>, owned by <service>,
# which only that role may connect to. Each role's password comes from the service's own Secret
# (<service>-db, key `password`), passed to this container as <SERVICE>_DB_PASSWORD.
#
# The postgres image runs this once, when it initialises an empty data volume. It is idempotent and also
# (re)sets the passwords, so after adding a service or rotating a Secret run it again by hand:
#   kubectl -n ticketing exec postgres-0 -- bash /docker-entrypoint-initdb.d/init-databases.sh
set -euo pipefail

for service in auth tickets orders payments; do
  variable="${service^^}_DB_PASSWORD"
  password="${!variable:?$variable is not set: create the Secret ${service}-db (see infra/k8s/README.md)}"
  psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    --set=role="$service" --set=database="ticketing_$service" --set=password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'role', :'password')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database')
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'database')
\gexec
SQL
  echo "init-databases: ticketing_$service ready for role $service"
done
