#!/usr/bin/env bash
# Runs an aifabric command once as one process and once under `mpirun -n 2`, and compares the result folders
# byte for byte. Usage: mpi_identical.sh MPIRUN AIFABRIC WORK_DIR COMMAND ARGS...
set -uo pipefail
mpirun=$1 cli=$2 work=$3
shift 3
rm -rf "$work" && mkdir -p "$work" || exit 1
"$cli" "$@" --out "$work/one" > "$work/one.log" 2>&1 || { cat "$work/one.log"; exit 1; }
"$mpirun" --allow-run-as-root --oversubscribe -n 2 "$cli" "$@" --out "$work/two" > "$work/two.log" 2>&1 \
  || { cat "$work/two.log"; exit 1; }
diff -r "$work/one" "$work/two" || { echo "FAIL: the folders differ"; exit 1; }
echo "identical: $(find "$work/one" -type f | wc -l) files"
