#!/usr/bin/env bash
# The HTML reports in a real browser: every command that writes results makes its report (--report), Debian's
# chromium renders each headless, and the test checks that the DOM holds the expected charts, that the page
# logged nothing to its console and fetched nothing, and saves a PNG screenshot of each beside the results.
# Usage: browser_test.sh AIFABRIC WORK_DIR SOURCE_DIR
set -uo pipefail
cli=$1 work=$2 src=$3
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium not found: run scripts/setup.sh (Debian package chromium)"
  exit 1
fi
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail=0
run() {  # NAME COMMAND...: makes the results of one command with its report
  local name=$1
  shift
  if ! "$cli" "$@" --out "$name" --report > "$name.log" 2>&1; then
    echo "FAIL $name: aifabric $* exited non-zero"
    cat "$name.log"
    fail=1
  fi
}
run simulate simulate "$src/tests/report/incast_sampled.yaml"
run assess assess example:two_jobs_shared_spine --fidelity flow
run collective collective example:nccl_allreduce_h100 --network ideal
run sweep sweep example:two_jobs_shared_spine --vary fabric.load_balancing=ecmp,spray --fidelity flow
run flowsweep sweep example:dumbbell_explicit --vary fabric.load_balancing=ecmp,spray
run whatif whatif example:two_jobs_shared_spine --n-minus-1 switches --fidelity flow
run plan plan example:plan_h100_1024
run diagnose diagnose simulate/telemetry.csv
# name: the charts and texts its report must hold (in the DOM as the browser built it).
declare -A expect=(
  [simulate]='class="chart-heatmap" class="chart-line" Queue.depth PFC.paused Flow.completion.time Slowdown'
  [assess]='class="chart-bars" Iteration.time waits.for.dp ideal.network'
  [collective]='class="chart-line" Bus.bandwidth.against.size busbw'
  [sweep]='class="chart-bars" fabric.load_balancing=spray'
  [flowsweep]='class="chart-bars" p99.flow.completion.time'
  [whatif]='class="chart-bars" fail.leaf0 Links.whose.load.changed'
  [plan]='class="chart-scatter" Pareto.set recommended'
  [diagnose]='Diagnosis incast'
)
for name in simulate assess collective sweep flowsweep whatif plan diagnose; do
  report="$work/$name/report.html"
  if [ ! -s "$report" ]; then
    echo "FAIL $name: no report.html"
    fail=1
    continue
  fi
  # Self-contained: no script, and no URL other than the SVG namespace.
  if grep -q '<script' "$report" || grep -o 'https\?://[^"]*' "$report" | grep -vq '^http://www.w3.org/2000/svg$'; then
    echo "FAIL $name: the report loads something (a script or a URL)"
    fail=1
  fi
  flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-extensions
         --no-first-run --hide-scrollbars --enable-logging=stderr --v=0 --user-data-dir="$work/profile")
  timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$report" > "$name.dom" 2> "$name.browser.log"
  timeout 120 "$browser" "${flags[@]}" --window-size=1200,2400 --screenshot="$work/$name.png" "file://$report" \
    > /dev/null 2>> "$name.browser.log"
  if ! grep -q '</svg>\|Diagnosis' "$name.dom"; then
    echo "FAIL $name: the browser gave no DOM"
    fail=1
  fi
  for want in ${expect[$name]}; do
    if ! grep -Eq "$want" "$name.dom"; then
      echo "FAIL $name: the rendered page lacks '$want'"
      fail=1
    fi
  done
  if grep -E 'CONSOLE|Uncaught|Failed to load resource|net::ERR_' "$name.browser.log"; then
    echo "FAIL $name: the page logged errors"
    fail=1
  fi
  if [ ! -s "$work/$name.png" ]; then
    echo "FAIL $name: no screenshot"
    fail=1
  else
    echo "ok   $name: $(grep -o '<svg class="chart-[a-z]*"' "$name.dom" | sort | uniq -c | tr -s ' ' | tr '\n' ';') screenshot $work/$name.png"
  fi
done
exit $fail
