// Closed-form properties of an empty network: exact per-packet delay, line-rate goodput, ideal FCT.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/time.hpp"
#include "io/scenario_loader.hpp"
#include "support/scenario.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric {
namespace {

// A chain host0 - sw1 - sw2 - ... - swN - host1 with the given per-link (rate Gbit/s, latency ns), one flow
// of `size_bytes` from host0 to host1 at time 0, built in code: the engine alone, without the loader.
net::Simulation chain(const std::vector<std::pair<double, double>>& links, std::uint64_t size_bytes,
                      const net::FabricConfig& fabric) {
  topo::TopologySpec t;
  t.kind = "explicit";
  const std::uint32_t h0 = t.add_node("h0", topo::NodeKind::kHost, "host");
  const std::uint32_t h1 = t.add_node("h1", topo::NodeKind::kHost, "host");
  std::uint32_t prev = h0;
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::uint32_t next =
        i + 1 == links.size()
            ? h1
            : t.add_node(fmt::format("s{}", i + 1), topo::NodeKind::kSwitch, "switch", {32u << 20, {}});
    t.add_link(prev, next, topo::LinkParams{links[i].first, links[i].second, 4096}, "explicit");
    prev = next;
  }
  topo::validate(t, "topology");
  net::RunOptions run;
  run.stop_ps = core::us_to_ps(3.6e9);
  return net::Simulation(t, fabric, {{0, 1, size_bytes, 0}}, run);
}

net::FabricConfig without_cc(net::FabricConfig f) {
  f.cc = net::CongestionControl::kNone;
  return f;
}

TEST(Analytic, OnePacketAcrossHopsIsSumOfSerializationAndPropagation) {
  // A 1,000-byte RoCEv2 packet is 1000 + 62 header + 20 preamble/gap = 1,082 bytes on the wire. Over links
  // of 100, 400, 25 and 200 Gbit/s it serializes in 1082 x (80, 20, 320, 40) ps = 86,560 + 21,640 +
  // 346,240 + 43,280 ps; the latencies add 1,000 + 250 + 3,000 + 125 ns. Store-and-forward: the total is
  // exactly the sum, 497,720 + 4,375,000 = 4,872,720 ps.
  const std::vector<std::pair<double, double>> links = {{100, 1000}, {400, 250}, {25, 3000}, {200, 125}};
  for (const auto kind : {net::FabricKind::kRoce, net::FabricKind::kEthernet}) {
    auto sim = chain(links, 1000, io::fabric_defaults(kind));
    ASSERT_TRUE(sim.run().all_completed);
    const auto f = sim.flow_results().at(0);
    EXPECT_EQ(f.finish_ps - f.start_ps, 4'872'720) << net::name(kind);
    EXPECT_EQ(f.ideal_ps, 4'872'720) << net::name(kind);
  }
  // InfiniBand: 1000 + 26 header bytes, no preamble: 1026 x (80 + 20 + 320 + 40) = 471,960 ps.
  auto sim = chain(links, 1000, io::fabric_defaults(net::FabricKind::kInfiniband));
  ASSERT_TRUE(sim.run().all_completed);
  const auto f = sim.flow_results().at(0);
  EXPECT_EQ(f.finish_ps - f.start_ps, 471'960 + 4'375'000);
}

TEST(Analytic, LongFlowReachesLineRateTimesPayloadFraction) {
  // 100 MB over four 100 Gbit/s hops of 1 us. Goodput must be 100 Gbit/s x 4096 / (4096 + 82) = 98.037
  // Gbit/s. The FCT's closed form: n = ceil(1e8 / 4096) = 24,415 packets, the last of 256 bytes; at 80 ps
  // per wire byte a full packet serializes in s = 4178 x 80 = 334,240 ps and the last in s' = 338 x 80 =
  // 27,040 ps. With equal hops the longest path through the (packet, hop) grid takes the first packet
  // over 4 hops, the other full ones on one hop and the last packet's final hop: 4 latencies + (n + 2) s +
  // s' = 4,000,000 + 24,417 x 334,240 + 27,040 ps (docs/models/ideal_fct.md).
  const std::uint64_t size = 100'000'000;
  const std::vector<std::pair<double, double>> links(4, {100, 1000});
  const core::TimePs closed_form = 4'000'000 + 24'417ll * 334'240 + 27'040;
  const auto roce = io::fabric_defaults(net::FabricKind::kRoce);
  for (const auto& [fabric, config] :
       {std::pair{"roce", roce}, std::pair{"roce without dcqcn", without_cc(roce)}}) {
    auto sim = chain(links, size, config);
    ASSERT_TRUE(sim.run().all_completed);
    const auto f = sim.flow_results().at(0);
    const double fct = static_cast<double>(f.finish_ps - f.start_ps);
    EXPECT_NEAR(fct / static_cast<double>(closed_form), 1.0, 0.005) << fabric;
    EXPECT_EQ(f.ideal_ps, closed_form);
    // Goodput over the transfer, excluding the one-way latency of the path (4 x 1 us + 3 store-and-forward).
    const double transfer_s = core::ps_to_sec(f.finish_ps - f.start_ps - 4'000'000 - 3 * 334'240);
    const double goodput = static_cast<double>(size) * 8.0 / transfer_s;
    EXPECT_NEAR(goodput / (100e9 * 4096.0 / 4178.0), 1.0, 0.005) << fabric;
  }
}

TEST(Analytic, BytesAreConservedAtEveryCheck) {
  // Permutation plus incast on a small fat-tree with periodic checks: injected = delivered + dropped + in
  // flight at every check, for lossless, lossy and credit-based fabrics. The 1 MB shared buffer holds the
  // PFC thresholds and headroom of the 4-port switches (4 x (64 KB + about 38 KB)) so RoCE stays lossless;
  // the lossy fabric drops in the incast.
  for (const char* fabric :
       {"{kind: roce, pfc: {xoff_bytes: 64KB}}", "{kind: ethernet}", "{kind: infiniband}"}) {
    const auto sc = testing::scenario(fmt::format(R"(
fabric: {}
topology: {{kind: fat_tree, k: 4, switch: {{buffer_bytes: 1MB}}}}
telemetry: {{check_interval_us: 5}}
traffic: [{{kind: permutation, size_bytes: 1MB}}, {{kind: incast, receiver: 3, senders: 8, size_bytes: 500KB}}]
)",
                                                  fabric));
    auto sim = testing::make_simulation(sc);
    ASSERT_TRUE(sim.run().all_completed) << fabric;
    EXPECT_GT(sim.invariants().checks, 20u) << fabric;
    EXPECT_EQ(sim.invariants().violations, 0u) << fabric << ": " << sim.invariants().first_violation;
    const auto l = sim.ledger();
    EXPECT_TRUE(l.balanced());
    EXPECT_EQ(l.in_flight, 0u);
    for (const auto& f : sim.flow_results()) EXPECT_EQ(f.delivered_bytes, f.size_bytes);
  }
}

}  // namespace
}  // namespace aifabric
