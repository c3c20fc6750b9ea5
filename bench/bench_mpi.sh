#!/usr/bin/env bash
# `aifabric whatif --n-minus-1 links` on the README's cluster (example:llama70b_h100_256 at flow level: every
# switch-to-switch link failed in turn), as one process on one thread (the reference run) and as
# `mpirun -n 2` with one thread per process, in the same invocation; prints both wall times, the ratio, and
# whether the result folders are byte-identical. Then the same for `aifabric plan example:plan_h100_1024`
# (its designs spread over the processes), each run in a folder of its own so the designs' paths agree.
# Usage: bench/bench_mpi.sh [AIFABRIC]   (default build/release/apps/cli/aifabric)
set -euo pipefail
cli=$(realpath "${1:-build/release/apps/cli/aifabric}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(whatif example:llama70b_h100_256 --n-minus-1 links --fidelity flow --threads 1)
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); awk "BEGIN {print $t1 - $t0}"; }
one=$(seconds "$cli" "${args[@]}" --out "$work/one")
two=$(seconds mpirun --allow-run-as-root --oversubscribe -n 2 "$cli" "${args[@]}" --out "$work/two")
variants=$(find "$work/one" -mindepth 1 -maxdepth 1 -type d | wc -l)
same=$(diff -r "$work/one" "$work/two" > /dev/null && echo "byte-identical" || echo "DIFFERENT")
printf 'whatif --n-minus-1 links, %d variants (flow level)\n' "$variants"
printf '  reference: 1 process, 1 thread   %8.2f s\n' "$one"
printf '  mpirun -n 2, 1 thread each        %8.2f s   %.2fx faster   results %s\n' "$two" \
  "$(awk "BEGIN {print $one / $two}")" "$same"
plan=(plan example:plan_h100_1024)
mkdir -p "$work/p1" "$work/p2"
plan_one=$(cd "$work/p1" && seconds "$cli" "${plan[@]}" --threads 1 --out out)
plan_two=$(cd "$work/p2" && seconds mpirun --allow-run-as-root --oversubscribe -n 2 "$cli" "${plan[@]}" --threads 1 --out out)
designs=$(find "$work/p1/out/designs" -mindepth 1 -maxdepth 1 -type d | wc -l)
same=$(diff -r "$work/p1/out" "$work/p2/out" > /dev/null && echo "byte-identical" || echo "DIFFERENT")
printf 'plan example:plan_h100_1024, %d buildable designs\n' "$designs"
printf '  reference: 1 process, 1 thread   %8.2f s\n' "$plan_one"
printf '  mpirun -n 2, 1 thread each        %8.2f s   %.2fx faster   results %s\n' "$plan_two" \
  "$(awk "BEGIN {print $plan_one / $plan_two}")" "$same"
