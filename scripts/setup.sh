#!/usr/bin/env bash
# Installs the Debian packages aifabric needs to build and test (clang: the loader's fuzz target;
# prometheus: promtool, which parses the OpenMetrics telemetry in a test; chromium: the headless browser that
# renders the HTML reports in a test; openmpi-bin and libopenmpi-dev: `mpirun aifabric sweep`;
# libcpp-httplib-dev and libsqlite3-dev: the HTTP service and its run records; zlib1g-dev: gzipped Chakra
# traces; curl: the README's service example and the service's restart test). Safe to run again: it installs only what
# is missing. Needs root (or sudo) when something is missing. `--bench` adds ns-3 (libns3-dev), which only
# the side-by-side benchmark bench/bench_ns3 uses.
set -euo pipefail
packages=(build-essential cmake ninja-build libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
          libgtest-dev libgmock-dev clang prometheus chromium libopenmpi-dev openmpi-bin
          libcpp-httplib-dev libsqlite3-dev zlib1g-dev curl)
if [ "${1:-}" = "--bench" ]; then packages+=(libns3-dev); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all build dependencies are installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
