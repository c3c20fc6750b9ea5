#!/usr/bin/env bash
# The README's Chakra commands as written (with the binary given as $1), in a fresh folder: export the 70B
# example's job as traces, assess them as a `kind: chakra` job, and check the iteration equals the built-in
# job's; then a trace with a defect, which must be refused naming the rank, node and what is wrong (exit 2).
set -euo pipefail
aifabric="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p build/release/apps/cli
ln -s "$aifabric" build/release/apps/cli/aifabric
build/release/apps/cli/aifabric export-chakra example:llama70b_h100_256 --out trace
printf 'name: traced\nfidelity: flow\nfabric: {kind: roce}\ntopology: {kind: rail_optimized, servers_per_unit: 32, gpus_per_server: 8, link: {rate_gbps: 400, latency_ns: 500}}\ncluster: {gpu: h100}\njobs:\n  - {name: llama70b, kind: chakra, trace: trace/llama70b}\n' > traced.yaml
traced="$(build/release/apps/cli/aifabric assess traced.yaml | grep '^  iteration')"
builtin="$(build/release/apps/cli/aifabric assess example:llama70b_h100_256 | grep '^  iteration')"
echo "traced:   $traced"
echo "built-in: $builtin"
[ "$traced" = "$builtin" ] || { echo "FAIL: the traced job's iteration differs"; exit 1; }
ls trace | grep -c '\.et$'
# Rank 1's file cut short: the error names the file and node, and the exit code is 2.
head -c 1000 trace/llama70b.1.et > cut.et && mv cut.et trace/llama70b.1.et
set +e
build/release/apps/cli/aifabric assess traced.yaml 2> err.txt
rc=$?
set -e
cat err.txt
[ "$rc" -eq 2 ] || { echo "FAIL: exit $rc, expected 2"; exit 1; }
grep -q 'trace/llama70b.1.et: node\[[0-9]*\]: malformed protobuf at byte' err.txt || { echo "FAIL: message"; exit 1; }
echo "chakra cli: ok"
