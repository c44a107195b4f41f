#!/bin/sh
# The entrypoint of the node's PostgreSQL image (hack/cluster.sh), doing what the official image's
# does for config/postgres: on an empty PGDATA, initdb with POSTGRES_USER (default postgres) and
# POSTGRES_PASSWORD, password authentication (scram-sha-256) from every address, the database
# POSTGRES_DB (default the user's name); then exec the server, so that it is PID 1 and the image's
# stop signal (SIGINT: fast shutdown) reaches it. Arguments starting with "-" are the server's.
set -eu

case "${1:-postgres}" in -*) set -- postgres "$@" ;; esac
[ $# -gt 0 ] || set -- postgres

if [ "$1" = postgres ] && [ ! -s "${PGDATA:?must name the data directory}/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres-entrypoint: POSTGRES_PASSWORD is empty: set the superuser's password (clients authenticate with it)" >&2
    exit 1
  fi
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # single-user mode: no socket, no port; a name with double quotes is quoted as an identifier
    quoted="$(printf '%s' "$db" | sed 's/"/""/g')"
    log="$(mktemp)"
    printf 'CREATE DATABASE "%s"\n' "$quoted" | postgres --single -D "$PGDATA" postgres >"$log" 2>&1 || {
      cat "$log" >&2
      exit 1
    }
    # single-user mode exits 0 after a failed statement
    if grep -q ERROR "$log"; then
      cat "$log" >&2
      exit 1
    fi
    rm -f "$log"
  fi
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db)"
fi

exec "$@"
