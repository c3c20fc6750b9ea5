#include "core/event_queue.hpp"

#include <gtest/gtest.h>

#include "core/rng.hpp"

namespace aifabric::core {
namespace {

TEST(EventQueue, OrdersByTimeThenSchedulingOrder) {
  EventQueue q;
  q.schedule(30, 1, 0);
  q.schedule(10, 2, 0);
  q.schedule(10, 3, 0);
  q.schedule(20, 4, 0);
  std::vector<std::uint32_t> order;
  while (!q.empty()) order.push_back(q.pop().target);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{2, 3, 4, 1}));
}

TEST(EventQueue, SameTimeEventsScheduledDuringDispatchRunAfterEarlierOnes) {
  EventQueue q;
  q.schedule(5, 1, 0);
  q.schedule(5, 2, 0);
  EXPECT_EQ(q.pop().target, 1u);
  q.schedule(5, 3, 0);  // at now: goes to the FIFO, but target 2 was scheduled first
  EXPECT_EQ(q.pop().target, 2u);
  EXPECT_EQ(q.pop().target, 3u);
  EXPECT_TRUE(q.empty());
}

TEST(EventQueue, MatchesASortedReferenceOnRandomLoad) {
  EventQueue q;
  Rng rng(42, 0);
  std::vector<std::pair<TimePs, std::uint64_t>> expected;
  std::uint64_t seq = 0;
  for (int i = 0; i < 5000; ++i) {
    const auto t = static_cast<TimePs>(rng.below(1000));
    q.schedule(t, static_cast<std::uint32_t>(seq), 0);
    expected.emplace_back(t, seq++);
  }
  std::sort(expected.begin(), expected.end());
  for (const auto& [t, s] : expected) {
    const Event e = q.pop();
    ASSERT_EQ(e.time, t);
    ASSERT_EQ(e.target, s);
  }
}

}  // namespace
}  // namespace aifabric::core
