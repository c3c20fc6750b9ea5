#include "core/event_queue.hpp"

#include <gtest/gtest.h>

#include <set>

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

namespace aifabric::core {
namespace {

TEST(EventQueue, InterleavedScheduleAndPopMatchAReferenceAcrossWheelAndOverflow) {
  // Delays from 0 to 10 ms cover the same-time FIFO, the current bucket, the wheel (16.8 us) and the
  // overflow heap; the queue must agree with an ordered set of (time, seq) at every pop.
  EventQueue q;
  std::set<std::pair<TimePs, std::uint64_t>> ref;
  Rng rng(3, 1);
  std::uint64_t seq = 0;
  for (int round = 0; round < 20000; ++round) {
    const int adds = static_cast<int>(rng.below(3));
    for (int i = 0; i < adds; ++i) {
      static const TimePs kScales[] = {0, 1000, 100'000, 20'000'000, 10'000'000'000};
      const TimePs t =
          q.now() + static_cast<TimePs>(rng.below(static_cast<std::uint64_t>(kScales[rng.below(5)]) + 1));
      q.schedule(t, static_cast<std::uint32_t>(seq), 0);
      ref.emplace(t, seq++);
    }
    if (!ref.empty() && rng.below(2) == 0) {
      ASSERT_EQ(q.next_time(), ref.begin()->first);
      const Event e = q.pop();
      ASSERT_EQ(e.time, ref.begin()->first);
      ASSERT_EQ(e.target, ref.begin()->second);
      ref.erase(ref.begin());
    }
    ASSERT_EQ(q.size(), ref.size());
  }
  while (!ref.empty()) {
    ASSERT_EQ(q.pop().target, ref.begin()->second);
    ref.erase(ref.begin());
  }
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace aifabric::core
