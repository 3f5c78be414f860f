#!/usr/bin/env bash
# Builds pgveil with AddressSanitizer + UndefinedBehaviorSanitizer and runs every test: unit,
# integration (a real PostgreSQL 15 and real clients) and, when present, a short fuzzing pass.
# Exits non-zero on any failure. This is what .ci/run runs.
#
#   scripts/test.sh                  as root on Debian 12 (installs packages first)
#
# Environment:
#   PGVEIL_BUILD_DIR   build directory (default build-test)
#   PGVEIL_JOBS        parallel build and test jobs (default 2: the CI machine has 2 cores)
#   PGVEIL_FUZZ_SECONDS  seconds per fuzz target (default 30; 0 skips fuzzing)
#   PGVEIL_SKIP_DEPS=1 skip scripts/install-deps.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${PGVEIL_BUILD_DIR:-build-test}
JOBS=${PGVEIL_JOBS:-2}
FUZZ_SECONDS=${PGVEIL_FUZZ_SECONDS:-30}

step() { echo "==> $*"; }

if [ "${PGVEIL_SKIP_DEPS:-}" != 1 ]; then
  step "installing dependencies"
  scripts/install-deps.sh
fi

# Debug with -Og: GCC 12 at -O1 and above with ASan reports false -Wmaybe-uninitialized inside
# libstdc++'s <regex> (which Catch2 includes), and -Werror turns that into a failed build.
step "configuring $BUILD_DIR (ASan + UBSan, warnings are errors)"
cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-Og -g" \
  -DPGVEIL_SANITIZE=ON -DPGVEIL_WERROR=ON -DPGVEIL_TESTS=ON >/dev/null

step "building"
cmake --build "$BUILD_DIR" -j "$JOBS"

# Sanitizers: stop at the first error with a stack, and also fail on leaks (LSan is part of
# ASan on Linux). halt_on_error for UBSan matches -fno-sanitize-recover=undefined.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

step "running tests"
# --timeout bounds every test that sets none itself (the integration suite sets its own).
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 900 -j "$JOBS"

if [ -x tests/fuzz/run.sh ] && [ "$FUZZ_SECONDS" != 0 ]; then
  step "fuzzing ($FUZZ_SECONDS s per target)"
  tests/fuzz/run.sh build-fuzz "$FUZZ_SECONDS"
fi

step "all tests passed"
