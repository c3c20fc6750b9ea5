#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan and UBSan) and fuzzes the scenario loader for SECONDS (default
# 60), starting from the examples and the bad-input scenarios, then the Chakra trace reader for half as long,
# starting from a trace of ASTRA-sim's shape. Fails on any crash, leak, sanitizer report,
# timeout or memory blow-up; the offending input is left in build/fuzz/crash-* or leak-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake --preset fuzz
cmake --build --preset fuzz -j2 --target fuzz_scenario_loader fuzz_chakra
corpus="$(mktemp -d)"
chakra_corpus="$(mktemp -d)"
trap 'rm -rf "$corpus" "$chakra_corpus"' EXIT
# GlobalMetadata{version: "0.0.4"}, then Node{id 3, type COMM_COLL_NODE, attr comm_type int64 0, attr
# comm_size int64 1048576}.
printf '\x07\x0a\x050.0.4\x24\x08\x03\x18\x07\x52\x0d\x0a\x09comm_type\x48\x00\x52\x0f\x0a\x09comm_size\x48\x80\x80\x40' \
  > "$chakra_corpus/seed.et"
cd build/fuzz
./fuzz/fuzz_scenario_loader -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -seed=1 \
  -print_final_stats=1 "$corpus" ../../examples ../../tests/bad_input
./fuzz/fuzz_chakra -max_total_time="$((seconds / 2))" -timeout=10 -rss_limit_mb=2048 -seed=1 \
  -print_final_stats=1 "$chakra_corpus"
