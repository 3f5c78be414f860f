#!/usr/bin/env bash
# The five-minute tour: builds pgveil, starts a throwaway PostgreSQL 15 full of fake personal
# data, puts pgveil in front of it, then runs the access workflow: API tokens for alice and bob,
# alice requests 2 hours of role support, bob approves, alice collects the psql line.
# Stays in the foreground until Ctrl-C / SIGTERM, then stops everything and deletes its files.
#
#   scripts/demo.sh               as root on a fresh Debian 12 (installs packages first)
#   scripts/demo.sh --check       instead of waiting: queries through pgveil, exit 0 or 1
#   scripts/demo.sh --skip-deps   do not run scripts/install-deps.sh
#   scripts/demo.sh --port N      pgveil's port (default 6432, or a free one if that is taken);
#                                 the admin API takes 6433 or a free one
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
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
# it (store: ./state.db, password_file: secrets/support_ro, token_file: secrets/admin_token)
# resolve against WORK. The dba login uses roles.sql's non-superuser "dba" instead of the
# example's postgres.
if [ -z "$LISTEN_PORT" ]; then
  LISTEN_PORT=6432
  while port_in_use "$LISTEN_PORT"; do LISTEN_PORT=$((20000 + RANDOM % 40000)); done
elif port_in_use "$LISTEN_PORT"; then
  die "port $LISTEN_PORT is in use"
fi
ADMIN_PORT=6433
while port_in_use "$ADMIN_PORT" || [ "$ADMIN_PORT" = "$LISTEN_PORT" ]; do ADMIN_PORT=$((20000 + RANDOM % 40000)); done
mkdir -m 700 "$WORK/secrets"
(umask 077; printf '%s\n' "$SUPPORT_RO_PASSWORD" >"$WORK/secrets/support_ro"
           printf '%s\n' "$DBA_PASSWORD" >"$WORK/secrets/dba"
           openssl rand -hex 32 >"$WORK/secrets/pgveil_hmac"
           openssl rand -hex 32 >"$WORK/secrets/admin_token")
export PGVEIL_DEMO_DBA_PASSWORD=$DBA_PASSWORD
CONFIG=$WORK/pgveil.yaml
sed -e "s/^listen: .*/listen: 127.0.0.1:$LISTEN_PORT/" \
    -e "s/^  listen: 127.0.0.1:6433\b/  listen: 127.0.0.1:$ADMIN_PORT/" \
    -e "s/^\(    port: \)5433\b/\1$PG_PORT/" \
    -e "s/^\(        user: \)postgres\b/\1dba      /" \
    examples/pgveil.yaml >"$CONFIG"
grep -q "^listen: 127.0.0.1:$LISTEN_PORT" "$CONFIG" && grep -q "^    port: $PG_PORT" "$CONFIG" &&
  grep -q "^  listen: 127.0.0.1:$ADMIN_PORT" "$CONFIG" ||
  die "examples/pgveil.yaml changed shape: could not set listen/port/admin listen in $CONFIG"
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

# 5. The access workflow through the admin API. The bootstrap admin token issues personal API
# tokens; alice asks for role support with a reason, bob (an on-call lead) approves, and alice
# collects the connection secret, once. Every step is recorded in the grant's history.
export PGVEIL_SERVER=http://127.0.0.1:$ADMIN_PORT
ADMIN_TOKEN=$(cat "$WORK/secrets/admin_token")
json_field() { /usr/bin/python3 -c 'import json, sys; v = json.load(sys.stdin)
for k in sys.argv[1:]: v = v[k]
print(v)' "$@"; }
pgveil_as() { local token=$1; shift; PGVEIL_TOKEN=$token "$PGVEIL" "$@"; }
ALICE_TOKEN=$(pgveil_as "$ADMIN_TOKEN" token issue alice --json | json_field token)
BOB_TOKEN=$(pgveil_as "$ADMIN_TOKEN" token issue bob --json | json_field token)
step "issued API tokens for alice and bob (pgveil token issue, with the admin token in $WORK/secrets/admin_token)"
echo "    alice\$ pgveil request --db prod --role support --reason \"demo: ticket 1234\" --for 2h"
GRANT_ID=$(pgveil_as "$ALICE_TOKEN" request --db prod --role support --reason "demo: ticket 1234" --for 2h --json |
           json_field id) || die "pgveil request failed"
echo "    bob\$   pgveil approve $GRANT_ID"
APPROVED=$(pgveil_as "$BOB_TOKEN" approve "$GRANT_ID") || die "pgveil approve failed"
echo "    $APPROVED"
echo "    alice\$ pgveil connect $GRANT_ID --print"
CLAIMED=$(pgveil_as "$ALICE_TOKEN" connect "$GRANT_ID" --json) || die "pgveil connect failed"
SECRET=$(printf '%s' "$CLAIMED" | json_field secret)
PSQL_LINE=$(printf '%s' "$CLAIMED" | json_field psql)
NOT_AFTER=$(printf '%s' "$CLAIMED" | json_field grant not_after)
[ -n "${SECRET:-}" ] || die "pgveil connect printed no secret: $CLAIMED"
step "grant $GRANT_ID approved by bob: alice may use role support on prod until $NOT_AFTER"

CONNINFO="host=127.0.0.1 port=$LISTEN_PORT dbname=prod user=alice"

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
  STATE=$(pgveil_as "$BOB_TOKEN" grants --json | /usr/bin/python3 -c \
    'import json, sys; print(" ".join("%s:%s" % (g["id"], g["state"]) for g in json.load(sys.stdin)))')
  echo "    bob\$ pgveil grants -> $STATE"
  [ "$STATE" = "$GRANT_ID:active" ] || die "check failed: expected grant $GRANT_ID active"
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

The workflow, from another shell (each command has --help; README "Access workflow"):
  export PGVEIL_SERVER=$PGVEIL_SERVER
  PGVEIL_TOKEN=$BOB_TOKEN $PGVEIL grants
      # bob's view: the grant and its history
  PGVEIL_TOKEN=$BOB_TOKEN $PGVEIL revoke $GRANT_ID --reason done
      # alice's session ends within a second
  PGVEIL_TOKEN=$ALICE_TOKEN $PGVEIL request --db prod --role breakglass --reason INC-1 --for 30m
      # breakglass needs two on-call leads (bob and carol)
  PGVEIL_TOKEN=\$(cat $WORK/secrets/admin_token) $PGVEIL token issue carol

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
