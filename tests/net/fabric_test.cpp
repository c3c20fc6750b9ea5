// Fabric-level properties: lossy recovery, buffer bounds, ECMP collisions vs spraying, oversubscription,
// InfiniBand credits and adaptive routing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "support/scenario.hpp"

namespace aifabric {
namespace {

struct Totals {
  std::uint64_t drops = 0, pauses = 0, retransmitted = 0;
};
Totals totals(const net::Simulation& sim) {
  Totals t;
  for (const auto& p : sim.port_reports()) {
    t.drops += p.counters.drops[0] + p.counters.drops[1];
    t.pauses += p.counters.pause_sent;
  }
  for (const auto& f : sim.flow_results()) t.retransmitted += f.retransmitted_packets;
  return t;
}

TEST(Fabric, LossyIncastDropsRetransmitsAndDeliversEveryByte) {
  for (const char* fabric : {"{kind: roce, pfc: {enabled: false}}", "{kind: ethernet}"}) {
    const auto sc = testing::scenario(fmt::format(R"(
fabric: {}
topology:
  kind: leaf_spine
  leaves: 1
  hosts_per_leaf: 17
  switch: {{buffer_bytes: 100KB, buffer_mode: per_port}}
telemetry: {{check_interval_us: 10}}
traffic: [{{kind: incast, receiver: 0, senders: 16, size_bytes: 500KB}}]
)",
                                                  fabric));
    auto sim = testing::make_simulation(sc);
    ASSERT_TRUE(sim.run().all_completed) << fabric;
    const Totals t = totals(sim);
    EXPECT_GT(t.drops, 0u) << fabric;
    EXPECT_GT(t.retransmitted, 0u) << fabric;
    EXPECT_EQ(t.pauses, 0u) << fabric;
    for (const auto& f : sim.flow_results()) EXPECT_EQ(f.delivered_bytes, f.size_bytes) << fabric;
    const auto l = sim.ledger();
    EXPECT_GT(l.dropped, 0u);
    EXPECT_TRUE(l.balanced());
    EXPECT_EQ(sim.invariants().violations, 0u) << sim.invariants().first_violation;
    // A per-port buffer of 100 KB is never exceeded.
    for (const auto& p : sim.port_reports())
      EXPECT_LE(p.counters.max_queue_bytes[0] + p.counters.max_queue_bytes[1], 100'000u) << p.name;
  }
}

// Chains of flows added as earlier ones finish: each of 8 senders sends 60 flows in turn to receivers
// behind an oversubscribed spine, in a lossy fabric with small buffers (drops, retransmissions, late
// acknowledgements).
class Chains : public net::FlowListener {
 public:
  explicit Chains(net::Simulation& sim) : sim_(sim) {}
  void start() {
    for (std::uint32_t s = 0; s < 8; ++s) add(s);
  }
  void flow_done(std::uint32_t flow) override {
    if (flow >= sender_.size() || sender_[flow] == kNone) return;  // the scenario's own flow
    const std::uint32_t s = sender_[flow];
    finished_.push_back(sim_.now());
    if (sent_[s] < 60) add(s);
  }
  void timer(std::uint32_t) override {}
  std::vector<core::TimePs> finished_;

 private:
  void add(std::uint32_t s) {
    const std::uint64_t n = sent_[s]++;
    const std::uint32_t flow = sim_.add_flow(
        {s, 8 + static_cast<std::uint32_t>((s + n) % 8), 20'000 + 1'000 * (n % 7), sim_.now(), s * 1000 + n});
    if (flow >= sender_.size()) sender_.resize(flow + 1, kNone);
    sender_[flow] = s;
  }
  static constexpr std::uint32_t kNone = 0xffffffffu;
  net::Simulation& sim_;
  std::uint64_t sent_[8] = {};
  std::vector<std::uint32_t> sender_;
};

TEST(Fabric, RecycledFlowRecordsChangeNothing) {
  // The same chains with and without recycling finished flows' records: identical completion times and
  // bytes (the event fingerprints differ: events name flows by record), and with recycling the records
  // number about the flows in flight, not the 481 added.
  const auto sc = testing::scenario(R"(
fabric: {kind: ethernet}
topology:
  kind: leaf_spine
  leaves: 2
  spines: 1
  hosts_per_leaf: 8
  switch: {buffer_bytes: 30KB, buffer_mode: per_port}
traffic: [{kind: incast, receiver: 15, senders: 1, size_bytes: 1KB}]
)");
  std::vector<core::TimePs> finished[2];
  net::ByteLedger ledger[2];
  std::size_t records[2] = {};
  for (int recycle = 0; recycle < 2; ++recycle) {
    auto sim = testing::make_simulation(sc);
    if (recycle) sim.recycle_finished_flows();
    Chains chains(sim);
    sim.set_listener(&chains);
    chains.start();
    const auto stats = sim.run();
    EXPECT_TRUE(sim.ledger().balanced());
    EXPECT_GT(sim.ledger().dropped, 0u);
    finished[recycle] = chains.finished_;
    ledger[recycle] = sim.ledger();
    EXPECT_TRUE(stats.all_completed);
    records[recycle] = sim.flow_records();
  }
  EXPECT_EQ(finished[0].size(), 480u);
  EXPECT_EQ(finished[0], finished[1]);
  EXPECT_EQ(ledger[0].delivered, ledger[1].delivered);
  EXPECT_EQ(ledger[0].dropped, ledger[1].dropped);
  EXPECT_EQ(records[0], 481u);
  EXPECT_LE(records[1], 24u);
}

TEST(Fabric, ProgressIsReportedEveryMillionEventsWithoutChangingTheRun) {
  // The progress hook sees the simulated time rise, once per 2^20 events; the run is the same as without.
  auto sc = io::load_scenario("example:fat_tree_permutation");
  const auto plain = testing::make_simulation(sc).run();
  std::vector<std::pair<core::TimePs, std::uint64_t>> calls;
  sc.run.progress = [&](core::TimePs t, std::uint64_t events) { calls.emplace_back(t, events); };
  const auto watched = testing::make_simulation(sc).run();
  EXPECT_EQ(watched.fingerprint, plain.fingerprint);
  ASSERT_EQ(calls.size(), plain.events / net::RunOptions::kProgressEvents);
  ASSERT_GE(calls.size(), 2u);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].second, (i + 1) * net::RunOptions::kProgressEvents);
    if (i > 0) {
      EXPECT_GE(calls[i].first, calls[i - 1].first);
    }
  }
  EXPECT_LE(calls.back().first, watched.end_ps);
}

TEST(Fabric, SharedBufferIsNeverExceeded) {
  // 31-to-1 incast into a lossy 4 MB shared buffer, and a lossless one: peaks stay within the buffer.
  for (const char* fabric : {"{kind: ethernet}", "{kind: roce}"}) {
    const auto sc = testing::scenario(fmt::format(R"(
fabric: {}
topology: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: 32, switch: {{buffer_bytes: 4MB}}}}
traffic: [{{kind: incast, receiver: 0, senders: 31, size_bytes: 300KB}}]
)",
                                                  fabric));
    auto sim = testing::make_simulation(sc);
    ASSERT_TRUE(sim.run().all_completed);
    for (const auto& b : sim.buffer_peaks()) EXPECT_LE(b.peak_bytes, b.buffer_bytes) << b.name;
  }
}

std::string permutation_yaml(const std::string& fabric, int k, const std::string& size) {
  return fmt::format(R"(
fabric: {}
topology: {{kind: fat_tree, k: {}, link: {{rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}}}
traffic: [{{kind: permutation, size_bytes: {}}}]
)",
                     fabric, k, size);
}

double worst_over_ideal(const net::Simulation& sim) {
  // The permutation finishes when its last flow does; every flow alone would finish by max(ideal).
  core::TimePs finish = 0, ideal = 0;
  for (const auto& f : sim.flow_results()) {
    finish = std::max(finish, f.finish_ps - f.start_ps);
    ideal = std::max(ideal, f.ideal_ps);
  }
  return static_cast<double>(finish) / static_cast<double>(ideal);
}

TEST(Fabric, EcmpCollidesOnAPermutationAndSprayingDoesNot) {
  // Non-blocking k=8 fat-tree, 128 hosts. Per-flow ECMP hashes some flows onto the same uplink, so they get
  // half the line rate or less: the slowest flow takes at least 1.8x its ideal time. Per-packet spraying
  // spreads every flow over all paths and finishes within 10% of the ideal.
  auto ecmp = testing::make_simulation(
      testing::scenario(permutation_yaml("{kind: roce, load_balancing: ecmp}", 8, "2MB")));
  ASSERT_TRUE(ecmp.run().all_completed);
  double worst = 0;
  int slow = 0;
  for (const auto& f : ecmp.flow_results()) {
    worst = std::max(worst, f.slowdown());
    slow += f.slowdown() > 1.8 ? 1 : 0;
  }
  EXPECT_GE(worst, 1.8);
  EXPECT_GE(slow, 5) << "flows below about half the line rate";
  std::printf("ECMP: %d of 128 flows below half rate, worst slowdown %.2f\n", slow, worst);

  auto spray = testing::make_simulation(
      testing::scenario(permutation_yaml("{kind: roce, load_balancing: spray}", 8, "10MB")));
  ASSERT_TRUE(spray.run().all_completed);
  const double ratio = worst_over_ideal(spray);
  std::printf("spray: completion / ideal = %.4f\n", ratio);
  EXPECT_LE(ratio, 1.10);
  EXPECT_EQ(totals(spray).drops, 0u);
}

TEST(Fabric, OversubscribedLeafSpineCarriesNoMoreThanItsUplinks) {
  // 4 leaves x 8 hosts at 100G with 2:1 oversubscription: 4 x 100G uplinks per leaf. In an all-to-all of
  // 1 MB messages each leaf sends 8 x 24 x 1 MB = 192 MB to other leaves through 400 Gbit/s of uplinks
  // (391.6 Gbit/s of payload after 82 bytes of framing per 4,096), so the exchange takes at least
  // 192e6 x 8 / 391.6e9 = 3.92 ms, and the leaf-to-spine payload rate can never exceed the uplinks.
  const auto sc = testing::scenario(R"(
fabric: {kind: roce}
topology: {kind: leaf_spine, leaves: 4, hosts_per_leaf: 8, oversubscription: 2}
traffic: [{kind: all_to_all, size_bytes: 1MB}]
)");
  ASSERT_EQ(sc.topology.switch_count(), 8u);
  auto sim = testing::make_simulation(sc);
  const auto stats = sim.run();
  ASSERT_TRUE(stats.all_completed);
  const double payload_capacity_bps = 400e9 * 4096.0 / 4178.0;
  const double seconds = core::ps_to_sec(stats.end_ps);
  std::uint64_t worst_leaf_up = 0;
  for (int leaf = 0; leaf < 4; ++leaf) {
    std::uint64_t up = 0;
    for (const auto& p : sim.port_reports())
      if (p.from == fmt::format("leaf{}", leaf) && p.to.rfind("spine", 0) == 0)
        up += p.counters.tx_data_bytes;
    EXPECT_EQ(up, 192'000'000u) << "leaf" << leaf << " sends every inter-leaf byte up exactly once";
    worst_leaf_up = std::max(worst_leaf_up, up);
  }
  const double bound_s = 192e6 * 8.0 / payload_capacity_bps;
  EXPECT_GE(seconds, bound_s);
  std::printf("oversubscribed all-to-all: %.3f ms vs uplink bound %.3f ms\n", seconds * 1e3, bound_s * 1e3);
  EXPECT_LE(static_cast<double>(worst_leaf_up) * 8.0 / seconds, payload_capacity_bps);
}

TEST(Fabric, InfinibandIncastNeverDropsAndCreditsStayInBounds) {
  const auto sc = testing::scenario(R"(
fabric: {kind: infiniband}
topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 16, switch: {buffer_bytes: 2MiB}}
telemetry: {check_interval_us: 5}
traffic: [{kind: incast, receiver: 0, senders: 24, size_bytes: 1MB}]
)");
  auto sim = testing::make_simulation(sc);
  ASSERT_TRUE(sim.run().all_completed);
  const Totals t = totals(sim);
  EXPECT_EQ(t.drops, 0u);
  EXPECT_EQ(t.pauses, 0u) << "InfiniBand sends no pause frames";
  EXPECT_EQ(t.retransmitted, 0u);
  EXPECT_GT(sim.invariants().checks, 50u);
  EXPECT_EQ(sim.invariants().violations, 0u) << sim.invariants().first_violation;
  for (const auto& p : sim.port_reports()) EXPECT_GE(p.counters.min_credits, 0) << p.name;
  // The bottleneck stayed busy: 24 MB through one 100G port takes 24e6 x 8 x (4122/4096) / 1e11 = 1.93 ms.
  const auto f = sim.flow_results();
  core::TimePs last = 0;
  for (const auto& x : f) last = std::max(last, x.finish_ps);
  EXPECT_NEAR(core::ps_to_sec(last) / (24e6 * 8 * 4122.0 / 4096.0 / 1e11), 1.0, 0.02);
}

TEST(Fabric, InfinibandAdaptiveRoutingNearsTheIdealOnAPermutation) {
  auto ar = testing::make_simulation(testing::scenario(permutation_yaml("{kind: infiniband}", 8, "10MB")));
  ASSERT_TRUE(ar.run().all_completed);
  const double ratio = worst_over_ideal(ar);
  std::printf("InfiniBand adaptive routing: completion / ideal = %.4f\n", ratio);
  EXPECT_LE(ratio, 1.10);
  auto static_routes = testing::make_simulation(
      testing::scenario(permutation_yaml("{kind: infiniband, load_balancing: ecmp}", 8, "10MB")));
  ASSERT_TRUE(static_routes.run().all_completed);
  EXPECT_GT(worst_over_ideal(static_routes), ratio) << "adaptive routing beats static hashing";
}

}  // namespace
}  // namespace aifabric

namespace aifabric {
namespace {

TEST(Fabric, DwrrServesBothClassesAndDeliversEverything) {
  // The same incast under strict priority and under DWRR with equal quanta: control packets (ACKs, CNPs)
  // are a small share of the bytes, so DWRR never runs out of control work to interleave and both
  // schedulers finish every flow with the same bytes delivered and nothing dropped.
  for (const char* scheduler : {"strict", "dwrr"}) {
    const auto sc = testing::scenario(fmt::format(R"(
fabric: {{kind: roce, scheduler: {}, dwrr_control_quantum_bytes: 9000, dwrr_data_quantum_bytes: 9000}}
topology: {{kind: leaf_spine, leaves: 2, hosts_per_leaf: 8}}
telemetry: {{check_interval_us: 20}}
traffic: [{{kind: incast, receiver: 0, senders: 12, size_bytes: 1MB}}]
)",
                                                  scheduler));
    auto sim = testing::make_simulation(sc);
    ASSERT_TRUE(sim.run().all_completed) << scheduler;
    EXPECT_EQ(sim.invariants().violations, 0u) << scheduler << ": " << sim.invariants().first_violation;
    for (const auto& f : sim.flow_results()) EXPECT_EQ(f.delivered_bytes, f.size_bytes) << scheduler;
    EXPECT_EQ(totals(sim).drops, 0u) << scheduler;
  }
}

}  // namespace
}  // namespace aifabric
