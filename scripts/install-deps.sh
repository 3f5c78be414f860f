#!/usr/bin/env bash
# Installs everything pgveil needs to build, test, fuzz, benchmark and run its demo, from
# Debian 12's own package mirrors. Idempotent: when every package is already installed it
# only says so (no apt-get update), so reruns take a second.
#
#   scripts/install-deps.sh          as root (or through sudo when available)
#
# Debian's postgresql package may create and start a "main" cluster on port 5432. pgveil's
# tests and demo never use it: they start their own clusters on random ports (scripts/pg-cluster.sh,
# tests/support/pg_cluster.cc).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # libraries (README.md, "Dependencies", says why each is there)
  libasio-dev libpq-dev libssl-dev libre2-dev libyaml-cpp-dev libfmt-dev catch2
  libpg-query-dev libsqlite3-dev libcli11-dev nlohmann-json3-dev libspdlog-dev
  libcpp-httplib-dev libbenchmark-dev zlib1g-dev
  # libFuzzer and sanitizers
  clang-16 libclang-rt-16-dev
  # the database, its clients and the benchmark peer
  postgresql-15 postgresql-client-15 pgbouncer python3-psycopg python3-psycopg2
  # headless browser for the report screenshot test
  chromium
  # used by the scripts: openssl (random secrets), ps/pgrep, ss, runuser/mktemp
  openssl procps iproute2 util-linux
)

# One dpkg-query for all: packages it has never heard of are missing too.
declare -A status=()
while read -r pkg state; do
  status[$pkg]=$state
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for pkg in "${PACKAGES[@]}"; do
  [ "${status[$pkg]:-}" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root to install them" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
# env: sudo would drop an exported DEBIAN_FRONTEND. Errors still reach stderr.
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0
     -o DPkg::Lock::Timeout=600)
"${APT[@]}" update >/dev/null
"${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
