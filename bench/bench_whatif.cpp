// `aifabric whatif --n-minus-1 links` on the README's cluster (256 H100s on rails, every switch-to-switch
// link failed in turn, the job assessed at flow level), on one thread (the reference) and then on every
// core in the same process: both wall times, their ratio, and whether the answers are identical (target
// of the issue: a 64-variant N-1 in at most 60 s with both cores; this one has 288 variants).
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "io/scenario_loader.hpp"
#include "whatif/changes.hpp"
#include "whatif/study.hpp"

using namespace aifabric;

int main() {
  const io::Node doc = io::scenario_document("example:llama70b_h100_256");
  const api::Scenario base = io::load_scenario_document(doc, "example:llama70b_h100_256");
  whatif::Changes changes;
  changes.n_minus_1 = "links";
  const auto variants = whatif::change_variants(doc, base, changes);
  auto timed = [&](unsigned threads) {
    const auto t0 = std::chrono::steady_clock::now();
    whatif::Study st = whatif::run_study(variants, "bench", std::nullopt, threads);
    return std::pair{whatif::study_csv(st),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
  };
  const auto [serial, serial_s] = timed(1);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto [parallel, parallel_s] = timed(cores);
  fmt::print("n-1 links: {} variants, 1 thread {:.2f} s, {} threads {:.2f} s, ratio {:.2f}{}\n",
             variants.size() - 1, serial_s, cores, parallel_s, parallel_s / serial_s,
             serial == parallel ? "" : "  MISMATCH");
  return serial == parallel ? 0 : 1;
}
