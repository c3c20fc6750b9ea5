// Both cores: 16 what-if variants (seeds of a 128-host fat-tree permutation) run one after another, then in
// parallel in the same process. Prints both wall times and their ratio (target: at most 0.6 on 2 cores).
#include <fmt/format.h>

#include <chrono>

#include "api/parallel.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"

using namespace aifabric;

int main() {
  std::vector<api::Scenario> variants;
  for (int seed = 1; seed <= 16; ++seed)
    variants.push_back(io::load_scenario_text(
        "fabric: {kind: roce}\n"
        "topology: {kind: fat_tree, k: 8, link: {rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}\n"
        "traffic: [{kind: permutation, size_bytes: 2MB}]\n",
        "variant", seed));
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t serial_events = 0;
  for (const auto& v : variants) serial_events += api::run(v).stats.events;
  const double serial = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  t0 = std::chrono::steady_clock::now();
  const auto results = api::run_all(variants, 0);
  const double parallel = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::uint64_t parallel_events = 0;
  for (const auto& r : results) parallel_events += r.stats.events;
  fmt::print("16 variants, {} events: serial {:.3f} s, parallel {:.3f} s, ratio {:.2f}{}\n", serial_events,
             serial, parallel, parallel / serial, parallel_events == serial_events ? "" : "  MISMATCH");
  return parallel_events == serial_events ? 0 : 1;
}
