#!/usr/bin/env bash
# Configures and builds the libFuzzer targets (clang, ASan + UBSan), then runs each one for a
# bounded time, starting from its committed seeds in tests/fuzz/corpus/<target>/ (when present).
#
#   tests/fuzz/run.sh [build dir, default build-fuzz] [seconds per target, default 30]
#
# New inputs go to <build dir>/fuzz-corpus/<target>/ and crashes to <build dir>/fuzz-artifacts/,
# never into the source tree. Exits non-zero if any target fails. Env: CXX_FUZZ (default
# clang++-16), JOBS (default 2), FUZZ_TARGETS (space-separated subset).
# The seeds come from the unit-test vectors: regenerate them with
#   <build dir>/tests/fuzz/make_corpus tests/fuzz/corpus
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-build-fuzz}
[[ $build == /* ]] || build=$src/$build
seconds=${2:-30}

cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++-16}" -DPGVEIL_FUZZ=ON >/dev/null

if [[ -n ${FUZZ_TARGETS:-} ]]; then
  targets=$FUZZ_TARGETS
else
  targets=$(cd "$src/tests/fuzz" && ls fuzz_*.cc | sed 's/\.cc$//' | tr '\n' ' ')
fi
# shellcheck disable=SC2086  # word splitting of the target list is intended
cmake --build "$build" -j"${JOBS:-2}" --target $targets

failed=()
for target in $targets; do
  corpus=$build/fuzz-corpus/$target
  artifacts=$build/fuzz-artifacts/$target/
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  [[ -d $src/tests/fuzz/corpus/$target ]] && seeds=("$src/tests/fuzz/corpus/$target")
  echo "== $target: ${seconds}s"
  if ! "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "${seeds[@]}" \
      2>"$build/fuzz-artifacts/$target.log"; then
    tail -n 40 "$build/fuzz-artifacts/$target.log"
    failed+=("$target")
  else
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "$build/fuzz-artifacts/$target.log" || true
  fi
done

if ((${#failed[@]})); then
  echo "fuzz targets failed: ${failed[*]} (inputs in $build/fuzz-artifacts/)" >&2
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without a failure"
