// Event-queue benchmark: the classic "hold" model (pop the earliest event, schedule one at a random delay)
// with the delay mix of a packet simulation, on the engine's timing wheel and on the reference 4-ary heap,
// in the same process. Prints nanoseconds per hold and the ratio; checks both pop the same sequence.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

#include "core/event_queue.hpp"
#include "core/rng.hpp"
#include "reference_heap.hpp"

using namespace aifabric;

namespace {

// Delays as the engine produces them: mostly serialization (~0.1-1 us) and propagation (~1 us), some
// same-time hand-offs, a few timers (55 us) and timeouts (1 ms).
core::TimePs delay(core::Rng& rng) {
  const auto r = rng.below(100);
  if (r < 5) return 0;
  if (r < 50) return static_cast<core::TimePs>(80'000 + rng.below(700'000));
  if (r < 98) return static_cast<core::TimePs>(1'000'000 + rng.below(2'000'000));
  if (r < 99) return 55'000'000;
  return 1'000'000'000;
}

template <class Q>
std::pair<double, std::uint64_t> hold(std::size_t live, std::uint64_t holds) {
  Q q;
  core::Rng rng(1, 7);
  for (std::size_t i = 0; i < live; ++i) q.schedule(delay(rng), static_cast<std::uint32_t>(i), 0);
  std::uint64_t check = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < holds; ++i) {
    const core::Event e = q.pop();
    check = core::hash_combine(check, static_cast<std::uint64_t>(e.time) ^ e.target);
    q.schedule(e.time + delay(rng), e.target, 0);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {s * 1e9 / static_cast<double>(holds), check};
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint64_t holds = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 5'000'000;
  fmt::print("{:>10} {:>14} {:>14} {:>8}\n", "live", "wheel ns/hold", "heap ns/hold", "ratio");
  int status = 0;
  for (std::size_t live : {1'000u, 10'000u, 100'000u}) {
    const auto wheel = hold<core::EventQueue>(live, holds);
    const auto heap = hold<bench::ReferenceHeap>(live, holds);
    fmt::print("{:>10} {:>14.1f} {:>14.1f} {:>8.2f}\n", live, wheel.first, heap.first,
               wheel.first / heap.first);
    if (wheel.second != heap.second) {
      fmt::print("  MISMATCH: the two queues popped different sequences\n");
      status = 1;
    }
  }
  fmt::print("ratio < 1: the timing wheel is faster than the reference heap\n");
  return status;
}
