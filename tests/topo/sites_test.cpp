// Fabrics of several sites joined by inter-site links (topo/sites.hpp, docs/models/sites.md): the joined
// structure, a transfer's time over a long link, the cross-site hierarchical all-reduce against its
// alpha-beta cost, and the flow level against the packet engine on it.
#include "topo/sites.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/collective_sweep.hpp"
#include "api/run.hpp"
#include "flow/flow_network.hpp"
#include "io/scenario_loader.hpp"
#include "topo/builders.hpp"
#include "workload/collectives.hpp"
#include "workload/executor.hpp"

namespace aifabric::topo {
namespace {

constexpr double kRateGbps = 400;
constexpr double kHostLatencyNs = 500;

// A site of `hosts` hosts on one leaf, with one border router on a fast link (3.2 Tbit/s) so the
// inter-site circuits are the slowest level.
SiteSpec one_leaf_site(const std::string& name, std::uint32_t hosts) {
  LeafSpineParams p;
  p.leaves = 1;
  p.hosts_per_leaf = hosts;
  p.leaf.link = {kRateGbps, kHostLatencyNs, 4096};
  p.leaf.sw.buffer_bytes = 64 << 20;
  SiteSpec s;
  s.name = name;
  s.fabric = build_leaf_spine(p, "topology");
  s.border_routers = 1;
  s.border_link = {3200, kHostLatencyNs, 4096};
  s.border_switch.buffer_bytes = 1ull << 32;
  s.field = "sites[" + name + "]";
  return s;
}

TEST(Sites, JoinedFabricNamesNodesPerSiteAndSpreadsCircuitsOverBorderRouters) {
  std::vector<SiteSpec> sites = {one_leaf_site("east", 4), one_leaf_site("west", 4)};
  sites[0].border_routers = 2;
  sites[1].border_routers = 3;
  InterSiteLink l;
  l.a = 0;
  l.b = 1;
  l.distance_km = 80;
  l.circuits = 6;
  l.circuit = {kRateGbps, 1000, 4096};
  l.field = "inter_site_links[0]";
  const TopologySpec t = join_sites(sites, {l}, "topology");
  validate(t, "topology");
  ASSERT_EQ(t.sites.size(), 2u);
  EXPECT_EQ(t.sites[1].name, "west");
  EXPECT_EQ(t.sites[1].first_host, 4u);
  EXPECT_EQ(t.sites[1].hosts, 4u);
  EXPECT_EQ(t.nodes[t.hosts[5]].name, "west/host1");
  EXPECT_EQ(site_of_host(t, 3), 0u);
  EXPECT_EQ(site_of_host(t, 4), 1u);
  // Circuit c joins east/border(c mod 2) and west/border(c mod 3); its delay is 80 km x 5 us/km + 1 us.
  std::vector<std::pair<std::string, std::string>> circuits;
  for (const auto& link : t.links)
    if (link.tier == "inter_site") {
      circuits.emplace_back(t.nodes[link.a].name, t.nodes[link.b].name);
      EXPECT_DOUBLE_EQ(link.params.latency_ns, 80 * 5000.0 + 1000);
    }
  ASSERT_EQ(circuits.size(), 6u);
  for (std::uint32_t c = 0; c < 6; ++c) {
    EXPECT_EQ(circuits[c].first, fmt::format("east/border{}", c % 2));
    EXPECT_EQ(circuits[c].second, fmt::format("west/border{}", c % 3));
  }
  // Each site's one leaf (its top tier) links to each of its border routers: 2 + 3 border links.
  EXPECT_EQ(
      std::count_if(t.links.begin(), t.links.end(), [](const LinkSpec& k) { return k.tier == "border"; }), 5);
}

// The cross-site hierarchical all-reduce of S bytes over `ns` sites of g hosts (one GPU each), on the
// flow level, seconds.
double cross_site_all_reduce(std::uint32_t ns, std::uint32_t g, std::uint64_t bytes, double km,
                             double circuit_gbps) {
  std::vector<SiteSpec> sites;
  for (std::uint32_t s = 0; s < ns; ++s) sites.push_back(one_leaf_site(fmt::format("site{}", s), g));
  std::vector<InterSiteLink> links;
  for (std::uint32_t a = 0; a < ns; ++a)
    for (std::uint32_t b = a + 1; b < ns; ++b) {
      InterSiteLink l;
      l.a = a;
      l.b = b;
      l.distance_km = km;
      l.circuit = {circuit_gbps, 0, 4096};
      l.field = "inter_site_links";
      links.push_back(l);
    }
  const TopologySpec t = join_sites(sites, links, "topology");
  validate(t, "topology");
  workload::ClusterMap cluster;
  workload::CollectiveSpec spec;
  spec.algorithm = workload::Algorithm::kHierarchical;
  spec.bytes = bytes;
  spec.group_ranks = g;
  for (std::uint32_t h = 0; h < ns * g; ++h) {
    cluster.server_of.push_back(h);
    cluster.host_of.push_back(h);
    spec.ranks.push_back(h);
  }
  EXPECT_FALSE(workload::check(spec, cluster.server_of, ns * g).has_value());
  workload::Program p;
  workload::append_collective(p, spec, cluster.server_of, {}, p.tag("collective"));
  p.finalize();
  // 4096-byte packets with no header on top: each link carries payload at its full rate.
  flow::FlowNetwork net(t, routing::LoadBalancing::kEcmp, 1, 4096);
  workload::Executor ex(p, cluster, workload::ExecutorParams{450e-3, 1'000'000, 5'000'000}, net);
  return core::ps_to_sec(ex.run().makespan_ps);
}

TEST(Sites, CrossSiteHierarchicalAllReduceMatchesItsAlphaBetaCostWithTheCircuitAsTheSlowestLevel) {
  // g ranks per site, ns sites, NIC payload rate B, one circuit of C between each pair of sites. Inside a
  // site a ring reduce-scatter and all-gather: 2(g-1) steps of S/g at B, each paying alpha and the
  // host-leaf-host delay L_in = 2 x 500 ns. Across the sites, per local index, a ring all-reduce of the
  // shard S/g: 2(ns-1) steps of S/(g ns); each circuit direction carries the g rings' sends at once, so
  // each moves at C/g (< B), and pays alpha and L_x = host, leaf-border, circuit, border-leaf, host =
  // 4 x 500 ns + km x 5 us:
  //   T = 2(g-1)(alpha + L_in + S/(gB)) + 2(ns-1)(alpha + L_x + S/(g ns) / (C/g)).
  // Hops' one-packet serializations (82 ns at 400 Gbit/s) are left out: under 0.2% here.
  const double alpha = 5e-6, B = kRateGbps * 1e9 / 8;
  for (std::uint32_t ns : {2u, 3u})
    for (std::uint32_t g : {2u, 4u})
      for (double km : {0.0, 80.0, 1000.0})
        for (double bytes : {16e6, 256e6}) {
          const double C = 400e9 / 8;
          const double l_in = 2 * kHostLatencyNs * 1e-9, l_x = 4 * kHostLatencyNs * 1e-9 + km * 5e-6;
          const double want = 2 * (g - 1) * (alpha + l_in + bytes / g / B) +
                              2 * (ns - 1) * (alpha + l_x + bytes / (g * ns) / (C / g));
          const double got = cross_site_all_reduce(ns, g, static_cast<std::uint64_t>(bytes), km, 400);
          EXPECT_NEAR(got / want, 1.0, 0.01) << fmt::format(
              "ns={} g={} km={} S={}: simulated {} s, alpha-beta {} s", ns, g, km, bytes, got, want);
        }
}

// Two sites of 8 hosts (two servers of 4 GPUs each) 80 km apart over two 400 Gbit/s circuits, RoCE.
std::string two_sites(double km, const char* algorithm) {
  return fmt::format(R"(fabric: {{kind: roce}}
topology:
  kind: sites
  link: {{rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}
  sites:
    - {{name: east, fabric: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: 8}}, border: {{buffer_bytes: 4000000000}}}}
    - {{name: west, fabric: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: 8}}, border: {{buffer_bytes: 4000000000}}}}
  inter_site_links: [{{a: east, b: west, distance_km: {}, circuits: 2}}]
cluster: {{gpu: h100, gpus_per_server: 4}}
collective: {{op: {}}}
)",
                     km, algorithm);
}

// One flow of `bytes` from the first host of the east site to the first of the west (two sites as
// above, `km` apart), at the packet level: its completion time, us.
double packet_flow_us(double km, std::uint64_t bytes) {
  auto text = two_sites(km, "all_reduce");
  text += fmt::format("traffic:\n  - kind: flows\n    flows: [{{src: 0, dst: 8, size_bytes: {}}}]\n", bytes);
  const auto r = api::run(io::load_scenario_text(text, "sites.yaml"));
  EXPECT_EQ(r.flows_completed, 1u);
  return r.flows.at(0).fct_us();
}

// The same flow at the flow level, us.
struct Done : backend::BackendSink {
  core::TimePs at = -1;
  const backend::NetworkBackend* net = nullptr;
  void transfer_done(std::uint64_t) override { at = net->now(); }
  void timer(std::uint64_t) override {}
};
double fluid_flow_us(double km, std::uint64_t bytes) {
  const auto sc = io::load_scenario_text(two_sites(km, "all_reduce"), "sites.yaml");
  EXPECT_EQ(sc.full_packet_wire_bytes(), 4178u);
  flow::FlowNetwork net(sc.topology, sc.fabric.load_balancing, sc.run.seed, sc.full_packet_wire_bytes());
  Done done;
  done.net = &net;
  net.start_transfer(0, 8, bytes, 1);
  net.run(done);
  return core::ps_to_us(done.at);
}

TEST(Sites, AFlowOverALongLinkTakesItsDelayPlusItsBytesAtTheLineRate) {
  // A RoCE flow has no window: it sends at line rate whatever the round trip, so its time is the path's
  // delay D plus its bytes at the payload rate B' (a 4096-byte payload in a 4178-byte frame: 62 header
  // and 20 preamble and gap bytes; B' = 50 GB/s x 4096/4178), T = D + S/B' (plus one packet's
  // store-and-forward per hop). Moving the sites 80 km apart adds 80 km x 5 us/km = 400 us to D and
  // nothing else; doubling S adds S/B'. Both hold at the packet and the flow level, to the picosecond
  // rounding of each packet's serialization.
  const std::uint64_t s = 64'000'000;
  const double per_byte_us = 4178.0 / 4096 / 50e9 * 1e6;
  for (int level = 0; level < 2; ++level) {
    auto t = level == 0 ? packet_flow_us : fluid_flow_us;
    const double near = t(0, s), far = t(80, s), far2 = t(80, 2 * s);
    EXPECT_NEAR(far - near, 400.0, 0.01) << (level == 0 ? "packet" : "flow");
    EXPECT_NEAR((far2 - far) / (s * per_byte_us), 1.0, 0.001) << (level == 0 ? "packet" : "flow");
    EXPECT_NEAR(far / (400 + s * per_byte_us), 1.0, 0.01) << (level == 0 ? "packet" : "flow");
  }
}

TEST(Sites, FlowLevelAgreesWithThePacketEngineOnTheCrossSiteAllReduce) {
  auto sc = io::load_scenario_text(two_sites(80, "all_reduce"), "sites.yaml");
  auto spec = sc.collective.spec;
  spec.algorithm = workload::Algorithm::kHierarchical;
  spec.group_ranks = 8;
  spec.protocol = workload::Protocol::kSimple;
  for (std::uint64_t bytes : {16'000'000ull, 128'000'000ull}) {
    spec.bytes = bytes;
    const auto packet = api::run_collective(sc, spec, api::NetworkModel::kPacket);
    const auto flow = api::run_collective(sc, spec, api::NetworkModel::kFlow);
    const double ratio = static_cast<double>(flow.time_ps) / static_cast<double>(packet.time_ps);
    std::printf("cross-site all-reduce %llu B: packet %.1f us, flow %.1f us (%+.1f%%)\n",
                static_cast<unsigned long long>(bytes), core::ps_to_us(packet.time_ps),
                core::ps_to_us(flow.time_ps), 100 * (ratio - 1));
    EXPECT_NEAR(ratio, 1.0, 0.10);
  }
}

}  // namespace
}  // namespace aifabric::topo
