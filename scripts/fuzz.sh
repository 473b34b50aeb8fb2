#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (preset `fuzz`: clang, ASan, UBSan) and runs each for
# SECONDS (default 20) from its seed corpus tests/fuzz/corpus/<name>/. Fails (exit 1) on the first
# crash, leak, sanitizer report or invariant trap; the input that did it is left in
# <build>/fuzz/artifacts/. New inputs found go to <build>/fuzz/corpus/<name>/ (kept between runs;
# the seeds in the source tree are never written).
#
#   scripts/fuzz.sh [SECONDS] [NAME ...]      e.g. scripts/fuzz.sh 600 fire_command
#   BITTEN_FUZZ_BUILD=build/myfuzz scripts/fuzz.sh 20
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(fire_command result_line heartbeat tick_batch request_signature)
fi
build=${BITTEN_FUZZ_BUILD:-build/fuzz}

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found; libFuzzer needs clang (apt-get install clang)" >&2
  exit 1
fi
test -f "$build/build.ninja" || cmake --preset fuzz -B "$build" >/dev/null
cmake --build "$build" --target fuzzers -j2 >/dev/null

mkdir -p "$build/fuzz/artifacts"
for name in "${names[@]}"; do
  bin="$build/fuzz/${name}_fuzz"
  seeds="tests/fuzz/corpus/$name"
  work="$build/fuzz/corpus/$name"
  [ -x "$bin" ] || { echo "fuzz: no target $name" >&2; exit 2; }
  mkdir -p "$work"
  log="$build/fuzz/$name.log"
  echo "fuzz: $name for ${seconds}s"
  if ! nice "$bin" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$name-" "$work" "$seeds" \
      >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz: $name FAILED (log $log, input in $build/fuzz/artifacts/)" >&2
    exit 1
  fi
  { grep -E ' cov: ' "$log" | tail -n 1; grep -E '^Done |^stat::(number_of_executed_units|peak_rss)' "$log"; } |
    sed "s/^/fuzz: $name: /"
done
