#!/usr/bin/env bash
# A service killed with SIGKILL in the middle of a run, then started again on the same --data-dir: the run is
# listed as failed (never as running or complete), its results are refused, and the service takes new runs.
# $1: the aifabric binary. Uses curl over loopback.
set -euo pipefail
aifabric="$1"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
start() {
  "$aifabric" serve --port 0 --data-dir "$work/runs" > "$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    port="$(sed -n 's|^serving on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/serve.log")"
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "FAIL: the service did not start"; cat "$work/serve.log"; exit 1
}
start
"$aifabric" show-example llama70b_h100_256_packet > "$work/long.yaml"
curl -sf -X POST --data-binary @"$work/long.yaml" "localhost:$port/v1/runs?command=assess"
echo
# Wait until the run has started (a loaded machine may take a moment), then kill the service under it.
status=""
for _ in $(seq 50); do
  status="$(curl -s "localhost:$port/v1/runs/r1" || true)"
  echo "$status" | grep -q '"status":"running"' && break
  sleep 0.2
done
echo "$status" | grep -q '"status":"running"' || { echo "FAIL: r1 is not running: $status"; exit 1; }
sleep 0.5
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
start
after="$(curl -sf "localhost:$port/v1/runs/r1")"
echo "after restart: $after"
echo "$after" | grep -q '"status":"failed"' || { echo "FAIL: r1 is not failed"; exit 1; }
echo "$after" | grep -q 'the service stopped while the run was in progress' || { echo "FAIL: no reason"; exit 1; }
code="$(curl -s -o /dev/null -w '%{http_code}' "localhost:$port/v1/runs/r1/results/assess.json")"
[ "$code" = 409 ] || { echo "FAIL: results of the killed run answered $code"; exit 1; }
[ ! -e "$work/runs/r1/manifest.json" ] || { echo "FAIL: the killed run left a manifest"; exit 1; }
"$aifabric" show-example dumbbell_explicit > "$work/short.yaml"
curl -sf -X POST --data-binary @"$work/short.yaml" "localhost:$port/v1/runs?command=simulate" | grep -q '"id":"r2"' \
  || { echo "FAIL: the next run is not r2"; exit 1; }
echo "service restart: ok"
