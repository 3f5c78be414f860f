#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the demo and the benchmarks (the C++ integration tests
# have the same logic in tests/support/pg_cluster.cc).
#
#   scripts/pg-cluster.sh start [DIR]    initdb + start; prints shell assignments:
#                                        PGVEIL_PG_DIR=... PGVEIL_PG_PORT=... PGVEIL_PG_PASSWORD=...
#   scripts/pg-cluster.sh stop DIR       stop the server and delete DIR
#   scripts/pg-cluster.sh psql DIR ...   psql as the superuser (extra arguments passed on)
#
# initdb refuses to run as root, so as root the cluster belongs to the OS user
# $PGVEIL_PG_OSUSER (default "pgveiltest", created with useradd when missing) and the server
# commands run through runuser. The server listens on 127.0.0.1 only, on a random free port,
# with its unix socket in the data directory: it never touches Debian's own "main" cluster.
# The superuser is "postgres" with password $PGVEIL_PG_PASSWORD (default: random).
# DIR/env holds PGHOST/PGPORT/PGUSER/PGPASSWORD for `set -a; . DIR/env`.
set -euo pipefail

PG_BINDIR=${PGVEIL_PG_BINDIR:-/usr/lib/postgresql/15/bin}
OS_USER=${PGVEIL_PG_OSUSER:-pgveiltest}

die() { echo "pg-cluster.sh: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

as_owner() {
  if is_root; then runuser -u "$OS_USER" -- "$@"; else "$@"; fi
}

ensure_os_user() {
  is_root || return 0
  id -u "$OS_USER" >/dev/null 2>&1 && return 0
  # Several scripts may race here: a failed useradd is fine if the user exists afterwards.
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    "$OS_USER" 2>/dev/null || true
  id -u "$OS_USER" >/dev/null 2>&1 || die "cannot create OS user $OS_USER"
}

# A port nobody listens on now (the start loop retries if another process takes it first).
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Htan "sport = :$port" 2>/dev/null)" ]; then
      echo "$port"
      return 0
    fi
  done
  die "no free port found"
}

cmd_start() {
  local dir=${1:-}
  [ -x "$PG_BINDIR/initdb" ] || die "$PG_BINDIR/initdb not found (install postgresql-15: scripts/install-deps.sh)"
  if [ -z "$dir" ]; then
    dir=$(mktemp -d /tmp/pgveil-pg.XXXXXX)
  else
    mkdir -p "$dir"
  fi
  dir=$(cd "$dir" && pwd)
  [ ! -e "$dir/data" ] || die "$dir/data already exists"
  chmod 700 "$dir"
  ensure_os_user
  is_root && chown "$OS_USER:" "$dir"

  local password=${PGVEIL_PG_PASSWORD:-$(openssl rand -hex 16)}
  (umask 077; printf '%s\n' "$password" >"$dir/pwfile")
  is_root && chown "$OS_USER:" "$dir/pwfile"
  # cd: the server commands run as another user, who may not be able to read our cwd.
  if ! (cd "$dir" && as_owner "$PG_BINDIR/initdb" -D "$dir/data" -U postgres \
          --pwfile="$dir/pwfile" --auth=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
          --no-sync --no-instructions) >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb failed"
  fi
  rm -f "$dir/pwfile"

  cat >>"$dir/data/postgresql.conf" <<EOF

# --- pgveil scripts/pg-cluster.sh ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/data'
password_encryption = 'scram-sha-256'
fsync = off                 # a throwaway cluster: speed over durability
synchronous_commit = off
full_page_writes = off
max_connections = 600
shared_buffers = 128MB
timezone = 'UTC'
log_timezone = 'UTC'
include 'pgveil_port.conf'
EOF
  cat >"$dir/data/pg_hba.conf" <<EOF
# pgveil scripts/pg-cluster.sh: password (SCRAM) logins over loopback and the socket only
local all all              scram-sha-256
host  all all 127.0.0.1/32 scram-sha-256
EOF

  local port started=
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    echo "port = $port" >"$dir/data/pgveil_port.conf"
    is_root && chown "$OS_USER:" "$dir/data/pgveil_port.conf" "$dir/data/pg_hba.conf"
    if (cd "$dir" && as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
          start) >/dev/null 2>&1; then
      started=1
      break
    fi
    # Only a lost race for the port is worth another try.
    grep -q -e 'could not bind' -e 'could not create any TCP/IP sockets' "$dir/server.log" 2>/dev/null || break
  done
  if [ -z "$started" ]; then
    tail -n 30 "$dir/server.log" >&2 || true
    die "PostgreSQL did not start (log: $dir/server.log)"
  fi

  (umask 077; cat >"$dir/env" <<EOF
PGHOST=127.0.0.1
PGPORT=$port
PGUSER=postgres
PGPASSWORD=$password
PGDATABASE=postgres
EOF
)
  echo "PGVEIL_PG_DIR=$dir"
  echo "PGVEIL_PG_PORT=$port"
  echo "PGVEIL_PG_PASSWORD=$password"
}

cmd_stop() {
  local dir=${1:?usage: pg-cluster.sh stop DIR}
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    (cd / && as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop) >/dev/null 2>&1 ||
      (cd / && as_owner "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop) >/dev/null 2>&1 ||
      true
  fi
  rm -rf "$dir"
}

cmd_psql() {
  local dir=${1:?usage: pg-cluster.sh psql DIR [psql args]}
  shift
  [ -f "$dir/env" ] || die "$dir/env not found: is $dir a cluster made by pg-cluster.sh start?"
  (set -a; . "$dir/env"; set +a; exec "$PG_BINDIR/psql" -X "$@")
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  psql) shift; cmd_psql "$@" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
