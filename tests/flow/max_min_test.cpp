// Max-min fair sharing by progressive filling, against allocations computed by hand.
#include "flow/max_min.hpp"

#include <gtest/gtest.h>

#include <map>

namespace aifabric::flow {
namespace {

struct Harness {
  std::multimap<core::TimePs, std::uint64_t> timers;
  MaxMinFluid fluid;
  explicit Harness(std::vector<double> capacity)
      : fluid(std::move(capacity), [this](core::TimePs at, std::uint64_t key) { timers.emplace(at, key); }) {}
  // Fires timers in time order until `n` flows completed; returns (user, time) pairs.
  std::vector<std::pair<std::uint64_t, core::TimePs>> finish(std::size_t n) {
    std::vector<std::pair<std::uint64_t, core::TimePs>> done;
    while (done.size() < n && !timers.empty()) {
      const auto [at, key] = *timers.begin();
      timers.erase(timers.begin());
      std::uint64_t user = 0;
      if (fluid.on_timer(at, key, user)) done.emplace_back(user, at);
    }
    return done;
  }
};

TEST(MaxMin, FlowsOnOneLinkShareItEqually) {
  Harness h({1.0});
  h.fluid.start(0, {0}, 1000, 1);
  h.fluid.start(0, {0}, 1000, 2);
  EXPECT_DOUBLE_EQ(h.fluid.rate(1), 0.5);
  EXPECT_DOUBLE_EQ(h.fluid.rate(2), 0.5);
}

TEST(MaxMin, ProgressiveFillingGivesTheClassicAllocation) {
  // Link 0 (capacity 1) carries f1 and f2; link 1 (capacity 2) carries f2 and f3. Link 0 is the
  // bottleneck: f1 = f2 = 1/2; f3 takes what link 1 has left: 2 - 1/2 = 3/2.
  Harness h({1.0, 2.0});
  h.fluid.start(0, {0}, 1e6, 1);
  h.fluid.start(0, {0, 1}, 1e6, 2);
  h.fluid.start(0, {1}, 1e6, 3);
  EXPECT_DOUBLE_EQ(h.fluid.rate(1), 0.5);
  EXPECT_DOUBLE_EQ(h.fluid.rate(2), 0.5);
  EXPECT_DOUBLE_EQ(h.fluid.rate(3), 1.5);
}

TEST(MaxMin, RatesFollowStartsAndEndsAndBytesAreConserved) {
  // A (1000 bytes) alone on a link of 1 byte/ps, B (1000 bytes) joins at t = 500: both at 1/2. A has 500
  // left, done at 500 + 1000 = 1500; B then has 500 left at full rate: done at 2000.
  Harness h({1.0});
  h.fluid.start(0, {0}, 1000, 1);
  h.fluid.start(500, {0}, 1000, 2);
  const auto done = h.finish(2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0], std::make_pair(std::uint64_t{1}, core::TimePs{1500}));
  EXPECT_EQ(done[1], std::make_pair(std::uint64_t{2}, core::TimePs{2000}));
  EXPECT_NEAR(h.fluid.carried_bytes(0), 2000.0, 1e-6);
  EXPECT_EQ(h.fluid.active(), 0u);
}

TEST(MaxMin, UnrelatedFlowsAreNotResolved) {
  // Two disjoint links: starting a flow on one leaves the other's flow and timer alone.
  Harness h({1.0, 1.0});
  h.fluid.start(0, {0}, 1000, 1);
  const std::size_t timers = h.timers.size();
  h.fluid.start(100, {1}, 1000, 2);
  EXPECT_EQ(h.timers.size(), timers + 1) << "only the new flow's component was re-solved";
  EXPECT_DOUBLE_EQ(h.fluid.rate(1), 1.0);
}

}  // namespace
}  // namespace aifabric::flow
