#!/usr/bin/env bash
# A throwaway PostgreSQL server for the PostgreSQL journal's tests: installs the server when it
# is missing (Debian's `postgresql`), makes a cluster in a temporary directory owned by the
# `postgres` user (trust authentication, loopback only, a port of its own) and starts it.
# Prints the line to export, which the tests read:
#     eval "$(tests/pg/start.sh)"      # as root, or as the postgres user
# PGPORT_TEST picks the port (55432 by default); a server already answering there is reused.
set -euo pipefail
port="${PGPORT_TEST:-55432}"
dir="${PGDATA_TEST:-/tmp/avatar-cli-pg}"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

# initdb refuses to run as root: the cluster belongs to the postgres user.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust --no-sync >'$dir/initdb.log' 2>&1"
    fi
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w \
        -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off\" start" >&2
fi
echo "export AVATAR_TEST_PG=postgres://postgres@127.0.0.1:$port/"
