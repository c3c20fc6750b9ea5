#!/usr/bin/env bash
# Runs an aifabric command once as one process and once under `mpirun -n 2`, and compares the result folders
# byte for byte. Usage: mpi_identical.sh MPIRUN AIFABRIC WORK_DIR COMMAND ARGS...
set -uo pipefail
mpirun=$1 cli=$2 work=$3
shift 3
# Each run writes `out` in a folder of its own, so results that name their folder (a plan's designs) agree.
rm -rf "$work" && mkdir -p "$work/one" "$work/two" || exit 1
(cd "$work/one" && "$cli" "$@" --out out) > "$work/one.log" 2>&1 || { cat "$work/one.log"; exit 1; }
(cd "$work/two" && "$mpirun" --allow-run-as-root --oversubscribe -n 2 "$cli" "$@" --out out) > "$work/two.log" 2>&1 \
  || { cat "$work/two.log"; exit 1; }
diff -r "$work/one/out" "$work/two/out" || { echo "FAIL: the folders differ"; exit 1; }
echo "identical: $(find "$work/one/out" -type f | wc -l) files"
