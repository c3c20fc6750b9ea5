// Incast properties: lossless with PFC, bottleneck busy, DCQCN fair; lossy without PFC, yet complete.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/scenario.hpp"

namespace aifabric {
namespace {

std::string incast_yaml(int senders, const std::string& fabric, const std::string& sw) {
  return fmt::format(R"(
name: incast
fabric: {}
topology:
  kind: leaf_spine
  leaves: 1
  hosts_per_leaf: {}
  link: {{rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}
  switch: {}
telemetry: {{check_interval_us: 200}}
traffic:
  - {{kind: incast, receiver: 0, senders: {}, size_bytes: {}}}
)",
                     fabric, senders + 1, sw, senders, 400'000'000 / senders);
}

class LosslessIncast : public ::testing::TestWithParam<int> {};

TEST_P(LosslessIncast, NoLossBusyBottleneckFairShare) {
  const int n = GetParam();
  const auto sc = testing::scenario(incast_yaml(n, "{kind: roce}", "{buffer_bytes: 32MiB}"));
  auto sim = testing::make_simulation(sc);
  // The senders carry 400 MB in all through one 100 Gbit/s port, so the run lasts at least T = 32 ms.
  // DCQCN needs a few milliseconds to converge from the line-rate start; the window [0.3 T, 0.6 T] is past
  // that and, when the senders share fairly, before any of them finishes.
  const double total_bytes = static_cast<double>(sc.flows.size() * sc.flows.front().size_bytes);
  const auto T = static_cast<core::TimePs>(total_bytes * 8.0 / 100e9 * 1e12);
  sim.run_until(3 * T / 10);
  const auto flows0 = sim.flow_results();
  const auto ports0 = sim.port_reports();
  sim.run_until(6 * T / 10);
  const auto flows1 = sim.flow_results();
  const auto ports1 = sim.port_reports();
  std::vector<double> share;
  for (std::size_t i = 0; i < flows1.size(); ++i) {
    ASSERT_FALSE(flows1[i].completed()) << "flow " << i << " finished inside the steady-state window";
    share.push_back(static_cast<double>(flows1[i].delivered_bytes - flows0[i].delivered_bytes));
  }
  const auto bottleneck = testing::port_index(ports1, "leaf0->host0");
  ASSERT_LT(bottleneck, ports1.size());
  const double sent =
      static_cast<double>(ports1[bottleneck].counters.tx_bytes - ports0[bottleneck].counters.tx_bytes);
  const double busy = sent * 8.0 / (100e9 * core::ps_to_sec(6 * T / 10 - 3 * T / 10));
  std::printf("incast %d: busy %.4f jain %.4f\n", n, busy, testing::jain(share));
  EXPECT_GE(busy, 0.95) << "bottleneck busy fraction in the steady state";
  EXPECT_GE(testing::jain(share), 0.95) << "Jain's index of the senders' steady-state throughput";

  const auto stats = sim.run();
  EXPECT_TRUE(stats.all_completed);
  std::uint64_t drops = 0, pauses = 0;
  for (const auto& p : sim.port_reports()) {
    drops += p.counters.drops[0] + p.counters.drops[1];
    pauses += p.counters.pause_sent;
  }
  EXPECT_EQ(drops, 0u) << "a lossless fabric never drops";
  EXPECT_EQ(sim.ledger().dropped, 0u);
  EXPECT_EQ(sim.invariants().violations, 0u) << sim.invariants().first_violation;
  EXPECT_GT(sim.invariants().checks, 10u);
  for (const auto& f : sim.flow_results()) EXPECT_EQ(f.delivered_bytes, f.size_bytes);
  RecordProperty("pause_frames", static_cast<int>(pauses));
}

INSTANTIATE_TEST_SUITE_P(Senders, LosslessIncast, ::testing::Values(2, 4, 8, 16, 32, 64));

}  // namespace
}  // namespace aifabric
