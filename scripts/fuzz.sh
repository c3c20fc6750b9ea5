#!/usr/bin/env bash
# Builds the loader's libFuzzer target (clang, ASan and UBSan) and fuzzes it for SECONDS (default 60),
# starting from the examples and the bad-input scenarios. Fails on any crash, leak, sanitizer report,
# timeout or memory blow-up; the offending input is left in build/fuzz/crash-* or leak-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake --preset fuzz
cmake --build --preset fuzz -j2 --target fuzz_scenario_loader
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
cd build/fuzz
./fuzz/fuzz_scenario_loader -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -seed=1 \
  -print_final_stats=1 "$corpus" ../../examples ../../tests/bad_input
