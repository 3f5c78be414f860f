#!/usr/bin/env bash
# The five-minute tour: builds pgveil, starts a throwaway PostgreSQL 15 full of fake personal
# data, puts pgveil in front of it, issues a 2-hour grant for alice and prints the psql line.
# Stays in the foreground until Ctrl-C / SIGTERM, then stops everything and deletes its files.
#
#   scripts/demo.sh               as root on a fresh Debian 12 (installs packages first)
#   scripts/demo.sh --check       instead of waiting: one query through pgveil, exit 0 or 1
#   scripts/demo.sh --skip-deps   do not run scripts/install-deps.sh
#   scripts/demo.sh --port N      pgveil's port (default 6432, or a free one if that is taken)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

CHECK=
SKIP_DEPS=
LISTEN_PORT=
while [ $# -gt 0 ]; do
  case "$1" in
    --check) CHECK=1 ;;
    --skip-deps) SKIP_DEPS=1 ;;
    --port) LISTEN_PORT=${2:?--port needs a number}; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

step() { echo "==> $*"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

port_in_use() { [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]; }

# Waits until 127.0.0.1:$1 accepts TCP, while process $2 lives; at most $3 seconds.
wait_for_port() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$2" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

WORK=
PGVEIL_PID=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$PGVEIL_PID" ] && kill -0 "$PGVEIL_PID" 2>/dev/null; then
    echo "==> stopping pgveil"
    kill -TERM "$PGVEIL_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$PGVEIL_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$PGVEIL_PID" 2>/dev/null || true
    wait "$PGVEIL_PID" 2>/dev/null || true
  fi
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    echo "==> stopping PostgreSQL and deleting $WORK"
    scripts/pg-cluster.sh stop "$WORK/pg" || true
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Packages and build.
if [ -z "$SKIP_DEPS" ]; then
  step "installing Debian packages (scripts/install-deps.sh)"
  scripts/install-deps.sh | sed 's/^/    /'
fi
step "building pgveil (Release, into build/; the first build takes a few minutes)"
mkdir -p build
if ! { cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release &&
       cmake --build build --target pgveil -j "$(nproc)"; } >build/demo-build.log 2>&1; then
  tail -n 40 build/demo-build.log >&2
  die "build failed (full log: build/demo-build.log)"
fi
PGVEIL=$REPO/build/proxy/pgveil
[ -x "$PGVEIL" ] || die "$PGVEIL was not built (see build/demo-build.log)"

# 2. A throwaway PostgreSQL with the example shop. The cluster's directory belongs to an
# unprivileged user when we are root, so WORK must be traversable (not listable) by others.
WORK=$(mktemp -d /tmp/pgveil-demo.XXXXXX)
chmod 711 "$WORK"
eval "$(scripts/pg-cluster.sh start "$WORK/pg")"
PG_PORT=$PGVEIL_PG_PORT
step "started PostgreSQL 15 on 127.0.0.1:$PG_PORT (data in $WORK/pg)"

pg() { scripts/pg-cluster.sh psql "$WORK/pg" -q -v ON_ERROR_STOP=1 "$@"; }
pg -c "CREATE DATABASE shop" >/dev/null
step "loading examples/schema.sql into database shop (10,000 fake customers)"
pg -d shop -f examples/schema.sql >/dev/null
SUPPORT_RO_PASSWORD=$(openssl rand -hex 24)
DBA_PASSWORD=$(openssl rand -hex 24)
pg -d shop -v support_ro_password="$SUPPORT_RO_PASSWORD" -v dba_password="$DBA_PASSWORD" \
   -f examples/roles.sql >/dev/null
step "created upstream logins support_ro (read-only) and dba (examples/roles.sql)"

# 3. pgveil's config: examples/pgveil.yaml with this run's ports and secrets. Relative paths in
# it (store: ./state.db, password_file: secrets/support_ro) resolve against WORK. The dba login
# uses roles.sql's non-superuser "dba" instead of the example's postgres.
if [ -z "$LISTEN_PORT" ]; then
  LISTEN_PORT=6432
  while port_in_use "$LISTEN_PORT"; do LISTEN_PORT=$((20000 + RANDOM % 40000)); done
elif port_in_use "$LISTEN_PORT"; then
  die "port $LISTEN_PORT is in use"
fi
mkdir -m 700 "$WORK/secrets"
(umask 077; printf '%s\n' "$SUPPORT_RO_PASSWORD" >"$WORK/secrets/support_ro"
           printf '%s\n' "$DBA_PASSWORD" >"$WORK/secrets/dba"
           openssl rand -hex 32 >"$WORK/secrets/pgveil_hmac")
export PGVEIL_DEMO_DBA_PASSWORD=$DBA_PASSWORD
CONFIG=$WORK/pgveil.yaml
sed -e "s/^listen: .*/listen: 127.0.0.1:$LISTEN_PORT/" \
    -e "s/^\(    port: \)5433\b/\1$PG_PORT/" \
    -e "s/^\(        user: \)postgres\b/\1dba      /" \
    examples/pgveil.yaml >"$CONFIG"
grep -q "^listen: 127.0.0.1:$LISTEN_PORT" "$CONFIG" && grep -q "^    port: $PG_PORT" "$CONFIG" ||
  die "examples/pgveil.yaml changed shape: could not set listen/port in $CONFIG"
if ! "$PGVEIL" --config "$CONFIG" check-config >"$WORK/check-config.log" 2>&1; then
  cat "$WORK/check-config.log" >&2
  die "the demo config does not validate"
fi

# 4. pgveil itself.
"$PGVEIL" --config "$CONFIG" serve 2>"$WORK/pgveil.log" &
PGVEIL_PID=$!
if ! wait_for_port "$LISTEN_PORT" "$PGVEIL_PID" 20; then
  tail -n 30 "$WORK/pgveil.log" >&2
  die "pgveil did not start listening on 127.0.0.1:$LISTEN_PORT"
fi
step "started pgveil on 127.0.0.1:$LISTEN_PORT (log: $WORK/pgveil.log)"

# 5. A grant for alice, as an operator would issue it.
GRANT_JSON=$("$PGVEIL" --config "$CONFIG" grant create --user alice --db prod --role support \
              --for 2h --reason "demo" --json)
read -r GRANT_ID SECRET NOT_AFTER < <(printf '%s' "$GRANT_JSON" | /usr/bin/python3 -c \
  'import json, sys; g = json.load(sys.stdin); print(g["id"], g["secret"], g["not_after"])')
[ -n "${SECRET:-}" ] || die "pgveil grant create printed no secret: $GRANT_JSON"
step "grant $GRANT_ID issued: alice may use role support on prod until $NOT_AFTER"

CONNINFO="host=127.0.0.1 port=$LISTEN_PORT dbname=prod user=alice"
PSQL_LINE="PGPASSWORD='$SECRET' psql \"$CONNINFO\""

if [ -n "$CHECK" ]; then
  step "checking: one query through pgveil as alice"
  if ! OUT=$(PGPASSWORD=$SECRET psql -X -At -v ON_ERROR_STOP=1 -d "$CONNINFO connect_timeout=10" \
               -c "SELECT current_user, count(*) FROM customers" 2>&1); then
    echo "$OUT" >&2
    tail -n 20 "$WORK/pgveil.log" >&2
    die "check failed: the query through pgveil did not succeed"
  fi
  echo "    $PSQL_LINE -c 'SELECT current_user, count(*) FROM customers'"
  echo "    -> $OUT   (alice is logged in upstream as the brokered login support_ro)"
  [ "$OUT" = "support_ro|10000" ] || die "check failed: expected support_ro|10000"
  MASKED=$(PGPASSWORD=$SECRET psql -X -At -v ON_ERROR_STOP=1 -d "$CONNINFO connect_timeout=10" \
             -c "SELECT email FROM customers WHERE id = 2" 2>&1) || die "check failed: $MASKED"
  echo "    -> email of customer 2 through pgveil: $MASKED   (masked by profile pii-strict)"
  [ "$MASKED" = "***@example.com" ] || die "check failed: expected the masked email ***@example.com"
  step "check passed"
  exit 0
fi

cat <<EOF

Connect as alice (the secret is shown once; it works until the grant ends):

  $PSQL_LINE

Then try:  SELECT first_name, last_name, email, ssn, iban FROM customers LIMIT 5;
           (role support masks them: profile pii-strict in examples/pgveil.yaml)
           SELECT upper(email) FROM customers;   -- refused: ERROR 42501
           DELETE FROM orders;                   -- refused: role support is read-only
Without a grant (e.g. user=bob) pgveil refuses the login and says how to ask for access.
More grants (the config wants the dba login's password in PGVEIL_DEMO_DBA_PASSWORD):
  PGVEIL_DEMO_DBA_PASSWORD=\$(cat $WORK/secrets/dba) \\
    $PGVEIL --config $CONFIG grant create --user bob --db prod --role support --for 1h --reason "..."

Press Ctrl-C to stop pgveil and PostgreSQL and delete $WORK.
EOF

set +e
wait "$PGVEIL_PID"
status=$?
set -e
PGVEIL_PID=
echo "demo.sh: pgveil exited with status $status; last log lines:" >&2
tail -n 20 "$WORK/pgveil.log" >&2
exit 1
