#include "net/ideal.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/rng.hpp"

namespace aifabric::net {
namespace {

// Reference: the store-and-forward recurrence E(k,h) = max(E(k,h-1) + latency(h-1), E(k-1,h)) + ser(k,h),
// evaluated packet by packet.
core::TimePs brute_force(const std::vector<PathHop>& hops, std::uint64_t packets) {
  std::vector<core::TimePs> prev(hops.size(), 0), cur(hops.size(), 0);
  for (std::uint64_t k = 0; k < packets; ++k) {
    for (std::size_t h = 0; h < hops.size(); ++h) {
      const core::TimePs ser = k + 1 == packets ? hops[h].ser_last_ps : hops[h].ser_full_ps;
      const core::TimePs ready = h == 0 ? 0 : cur[h - 1] + hops[h - 1].latency_ps;
      cur[h] = std::max(ready, prev[h]) + ser;
    }
    prev = cur;
  }
  return prev.back() + hops.back().latency_ps;
}

TEST(IdealCompletion, MatchesTheRecurrenceOnRandomPaths) {
  core::Rng rng(7, 0);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<PathHop> hops(1 + rng.below(6));
    for (auto& h : hops) {
      h.ser_full_ps = static_cast<core::TimePs>(1000 + rng.below(400000));
      h.ser_last_ps = static_cast<core::TimePs>(1 + rng.below(static_cast<std::uint64_t>(h.ser_full_ps)));
      h.latency_ps = static_cast<core::TimePs>(rng.below(5'000'000));
    }
    const std::uint64_t packets = 1 + rng.below(300);
    ASSERT_EQ(ideal_completion_ps(hops, packets), brute_force(hops, packets)) << "trial " << trial;
  }
}

}  // namespace
}  // namespace aifabric::net
