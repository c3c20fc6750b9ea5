// The scenario's `faults`: what each kind does to the topology, the workloads and the traffic, checked
// against counts and closed forms, and every kind of bad fault refused with the field named.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "api/assess.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"

namespace aifabric {
namespace {

// Two leaves of four hosts and two spines, 1:1: each leaf has two links to each spine.
std::string leaf_spine(const std::string& faults,
                       const std::string& traffic = "[{kind: permutation, size_bytes: 1MB}]") {
  return fmt::format(R"(
fabric: {{kind: roce}}
topology: {{kind: leaf_spine, leaves: 2, hosts_per_leaf: 4, spines: 2, link: {{rate_gbps: 100}}}}
traffic: {}
faults: {}
)",
                     traffic, faults);
}

api::Scenario load(const std::string& yaml) {
  return io::load_scenario_text(yaml, "test.yaml");
}

std::size_t links_between(const topo::TopologySpec& t, const std::string& a, const std::string& b) {
  return static_cast<std::size_t>(std::count_if(t.links.begin(), t.links.end(), [&](const topo::LinkSpec& l) {
    const auto& x = t.nodes[l.a].name;
    const auto& y = t.nodes[l.b].name;
    return (x == a && y == b) || (x == b && y == a);
  }));
}

std::string error_of(const std::string& yaml) {
  try {
    load(yaml);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Faults, LinkDownRemovesOneOfTheParallelLinks) {
  const auto base = load(leaf_spine("[]"));
  const auto sc = load(leaf_spine("[{kind: link_down, a: leaf0, b: spine0}]"));
  EXPECT_EQ(links_between(base.topology, "leaf0", "spine0"), 2u);
  EXPECT_EQ(links_between(sc.topology, "leaf0", "spine0"), 1u);
  EXPECT_EQ(sc.topology.links.size(), base.topology.links.size() - 1);
  EXPECT_FALSE(sc.topology.layered) << "routes now come from a search of the graph";
  EXPECT_TRUE(sc.topology.down_hosts.empty());
  ASSERT_EQ(sc.faults.applied.size(), 1u);
  EXPECT_EQ(sc.faults.applied[0], "link_down leaf0-spine0");
}

TEST(Faults, ASpineDownTakesItsLinksAndNoHost) {
  const auto sc = load(leaf_spine("[{kind: switch_down, node: spine1}]"));
  // 2 leaves x 2 links to spine1 removed; every host still reaches every other through spine0.
  EXPECT_EQ(links_between(sc.topology, "leaf0", "spine1") + links_between(sc.topology, "leaf1", "spine1"),
            0u);
  EXPECT_EQ(sc.topology.links.size(), 8u + 4u);
  EXPECT_TRUE(sc.topology.down_hosts.empty());
  EXPECT_EQ(sc.faults.applied[0], "switch_down spine1 (4 switch links)");
}

TEST(Faults, ALeafDownTakesItsHostsOutAndTheirFlowsAreNotStarted) {
  const auto base = load(leaf_spine("[]"));
  const auto sc = load(leaf_spine("[{kind: switch_down, node: leaf1}]"));
  // Hosts 4..7 hang off leaf1; they keep their links (every engine needs one port per host).
  EXPECT_EQ(sc.topology.down_hosts, (std::vector<std::uint32_t>{4, 5, 6, 7}));
  EXPECT_EQ(sc.topology.links.size(), base.topology.links.size() - 4);
  // A permutation pairs every host with another: every flow with an end on leaf1 is dropped.
  std::size_t touching = 0;
  for (const auto& f : base.flows) touching += (f.src >= 4 || f.dst >= 4) ? 1 : 0;
  EXPECT_EQ(sc.faults.flows_dropped, touching);
  EXPECT_EQ(sc.flows.size(), base.flows.size() - touching);
  // The flows left keep the ECMP entropy of their place in the unfaulted list.
  for (const auto& f : sc.flows) {
    ASSERT_LT(f.entropy_key, base.flows.size());
    EXPECT_EQ(base.flows[f.entropy_key].src, f.src);
    EXPECT_EQ(base.flows[f.entropy_key].dst, f.dst);
  }
  const auto r = api::run(sc);
  EXPECT_TRUE(r.stats.all_completed);
}

TEST(Faults, AHostLinkDownIsItsNicDown) {
  const auto sc = load(leaf_spine("[{kind: link_down, a: host2, b: leaf0}, {kind: nic_down, gpu: 6}]"));
  EXPECT_EQ(sc.topology.down_hosts, (std::vector<std::uint32_t>{2, 6}));
  EXPECT_EQ(sc.topology.links.size(), 16u) << "a host keeps its one link";
  EXPECT_EQ(sc.faults.applied[0], "link_down host2-leaf0 (its host out of service)");
  EXPECT_EQ(sc.faults.applied[1], "nic_down host6");
}

TEST(Faults, HostsCutOffFromTheLargestGroupGoOutOfService) {
  // Three hosts on swA, one on swB: with the swA-swB link down, swB's host is cut off.
  const std::string yaml = R"(
topology:
  kind: explicit
  link: {rate_gbps: 100}
  nodes: [{name: a1, kind: host}, {name: a2, kind: host}, {name: a3, kind: host}, {name: b1, kind: host},
          {name: swA}, {name: swB}]
  links: [{a: a1, b: swA}, {a: a2, b: swA}, {a: a3, b: swA}, {a: b1, b: swB}, {a: swA, b: swB}]
traffic: [{kind: flows, flows: [{src: a1, dst: a2, size_bytes: 1MB}, {src: a3, dst: b1, size_bytes: 1MB}]}]
faults: [{kind: link_down, a: swA, b: swB}]
)";
  const auto sc = load(yaml);
  EXPECT_EQ(sc.topology.down_hosts, (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(sc.faults.flows_dropped, 1u);
  EXPECT_EQ(sc.faults.applied.back(), "1 hosts cut off from the fabric (first: b1), out of service");
}

TEST(Faults, ADegradedLinkHalvesTheRateOfTheFlowOnIt) {
  // One 100 MB flow over h0 - s0 - s1 - h1 at flow level. Its time is size / (rate x payload share) plus
  // the path latency; with the middle link at 50 Gbit/s the rate term doubles. Expected ratio
  // (2 T + L) / (T + L) with T = 100e6 x 8 / 100e9 x wire/payload = 8.1 ms and L of a few us: 2 within
  // 0.1%.
  auto scenario = [](const std::string& faults) {
    return fmt::format(R"(
fidelity: flow
topology:
  kind: explicit
  link: {{rate_gbps: 100, latency_ns: 500}}
  nodes: [{{name: h0, kind: host}}, {{name: h1, kind: host}}, {{name: s0}}, {{name: s1}}]
  links: [{{a: h0, b: s0}}, {{a: s0, b: s1}}, {{a: s1, b: h1}}]
traffic: [{{kind: flows, flows: [{{src: h0, dst: h1, size_bytes: 100MB}}]}}]
faults: {}
)",
                       faults);
  };
  const auto full = api::run(load(scenario("[]")));
  const auto slow = api::run(load(scenario("[{kind: link_degraded, a: s0, b: s1, rate_gbps: 50}]")));
  const double ratio = slow.flows[0].fct_us() / full.flows[0].fct_us();
  EXPECT_NEAR(ratio, 2.0, 2e-3) << full.flows[0].fct_us() << " us vs " << slow.flows[0].fct_us() << " us";
}

// One 8-GPU server, TP = 8, DP = PP = 1: every layer's compute runs on all eight GPUs between two
// tensor-parallel all-reduces over NVLink, so the iteration is compute + communication on one chain.
std::string one_server(const std::string& faults) {
  return fmt::format(R"(
fidelity: flow
topology: {{kind: rail_optimized, scalable_units: 1, servers_per_unit: 2, gpus_per_server: 8}}
cluster: {{gpu: h100}}
jobs:
  - name: tp8
    first_gpu: 0
    gpus: 8
    model: {{layers: 4, hidden: 4096, heads: 32, ffn_hidden: 16384, seq_len: 2048, vocab: 32000}}
    parallelism: {{tp: 8, micro_batches: 2}}
faults: {}
)",
                     faults);
}

TEST(Faults, AStragglerServerAddsItsExtraComputeToTheIteration) {
  const auto base = api::assess(load(one_server("[]"))).jobs[0];
  const double f = 1.5;
  const auto slow =
      api::assess(load(one_server(fmt::format("[{{kind: straggler, server: 0, factor: {}}}]", f)))).jobs[0];
  // Compute takes f times longer and sits on the critical path; communication is unchanged:
  // iteration' = iteration + (f - 1) x compute (per GPU), to the picosecond rounding of each op.
  EXPECT_NEAR(slow.fabric.compute_us, f * base.fabric.compute_us, 1e-3);
  EXPECT_NEAR(core::ps_to_us(slow.fabric.iteration_ps),
              core::ps_to_us(base.fabric.iteration_ps) + (f - 1) * base.fabric.compute_us, 1e-2);
  // One slow GPU holds its whole tensor-parallel group at every all-reduce: the same iteration as the
  // whole server slow, within 0.5%.
  const auto one =
      api::assess(load(one_server(fmt::format("[{{kind: straggler, gpu: 3, factor: {}}}]", f)))).jobs[0];
  EXPECT_NEAR(static_cast<double>(one.fabric.iteration_ps) / static_cast<double>(slow.fabric.iteration_ps),
              1.0, 5e-3);
}

TEST(Faults, AJobOnAGpuOutOfServiceIsDownAndLosesAllItsGpuTime) {
  const auto a = api::assess(load(one_server("[{kind: switch_down, node: su0.rail3}]")));
  ASSERT_EQ(a.jobs.size(), 1u);
  EXPECT_EQ(a.jobs[0].down, "GPU 3 (srv0.gpu3) out of service");
  // 8 GPUs at the default $2.50 per GPU-hour, all lost.
  EXPECT_DOUBLE_EQ(a.jobs[0].network_cost_usd_per_hour, 8 * 2.5);
}

TEST(Faults, APfcStormPausesTheHostsSwitchPortFromItsOnset) {
  // host5's NIC stops draining at 100 us; a 1 MB flow to it starts at 150 us and never completes; the
  // leaf's port to it is paused from the storm's XOFF on (one link latency later) to the run's end.
  const std::string yaml =
      leaf_spine("[{kind: pfc_storm, node: host5, at_us: 100}]",
                 "[{kind: flows, flows: [{src: host0, dst: host5, size_bytes: 1MB, start_us: 150}, "
                 "{src: host1, dst: host2, size_bytes: 1MB}]}]\nstop_time_us: 1000");
  const auto sc = load(yaml);
  ASSERT_EQ(sc.run.pfc_storms.size(), 1u);
  EXPECT_EQ(sc.run.pfc_storms[0].host, 5u);
  EXPECT_EQ(sc.faults.applied[0], "pfc_storm host5 from 100 us");
  const auto r = api::run(sc);
  EXPECT_FALSE(r.flows[0].completed()) << "the flow into the stuck NIC";
  EXPECT_TRUE(r.flows[1].completed()) << "a flow elsewhere";
  for (const auto& p : r.ports)
    if (p.name == "leaf1->host5") {
      EXPECT_GE(p.counters.pause_received, 1u);
      // Paused from the XOFF's arrival to the 1,000 us stop. It leaves the NIC at 100 us and arrives after
      // its 84-byte frame's serialization at 100 Gbit/s (6.72 ns) and the link's 1 us latency (the
      // default): 1000 - 100 - 1 - 0.00672 = 898.99328 us, to the picosecond.
      EXPECT_NEAR(core::ps_to_us(p.counters.paused_ps), 898.99328, 1e-6);
    }
  // Flow level has no PFC: the storm is refused there, naming the fault.
  auto flow = sc;
  flow.fidelity = api::NetworkModel::kFlow;
  EXPECT_THROW(api::run(flow), core::InputError);
  // InfiniBand has no PFC either.
  std::string ib = yaml;
  ib.replace(ib.find("kind: roce"), 10, "kind: infiniband");
  EXPECT_NE(error_of(ib).find("faults[0].kind: a PFC storm needs a lossless RoCE fabric"), std::string::npos)
      << error_of(ib);
  EXPECT_NE(error_of(leaf_spine("[{kind: pfc_storm, gpu: 1, at_us: 2000}]",
                                "[{kind: permutation, size_bytes: 1MB}]\nstop_time_us: 1000"))
                .find("faults[0].at_us: 2000 us is at or after the run's stop_time_us (1000 us)"),
            std::string::npos);
}

TEST(Faults, BadFaultsNameTheirField) {
  struct Case {
    std::string faults, field, expected;
  };
  const std::vector<Case> cases = {
      {"{kind: link_down}", "faults", "expected a list of faults"},
      {"[{a: leaf0, b: spine0}]", "faults[0].kind", "missing"},
      {"[{kind: link_wobble, a: leaf0, b: spine0}]", "faults[0].kind", "expected one of link_down"},
      {"[{kind: link_down, a: leaf0, b: spine0, at_us: 5, up_at_us: 2}]", "faults[0].up_at_us",
       "expected a time after at_us (5 us), got 2"},
      {"[{kind: link_down, a: leaf0, b: spine9}]", "faults[0].b", "no node named 'spine9'"},
      {"[{kind: link_down, a: leaf0}]", "faults[0].b", "missing; expected a node name"},
      {"[{kind: link_down, a: leaf0, b: leaf1}]", "faults[0]", "no link between 'leaf0' and 'leaf1'"},
      {"[{kind: link_down, a: leaf0, b: spine0, node: spine0}]", "faults[0].node",
       "not a key of a link_down"},
      {"[{kind: switch_down, node: host0}]", "faults[0].node", "is a host"},
      {"[{kind: nic_down, node: spine0}]", "faults[0].node", "is a switch"},
      {"[{kind: nic_down, gpu: 99}]", "faults[0].gpu", "the topology has 8 hosts, got 99"},
      {"[{kind: nic_down}]", "faults[0]", "one of gpu or node"},
      {"[{kind: link_degraded, a: leaf0, b: spine0, rate_gbps: 400}]", "faults[0].rate_gbps",
       "below the link's line rate"},
      {"[{kind: link_degraded, a: leaf0, b: spine0}]", "faults[0].rate_gbps", "missing"},
      {"[{kind: straggler, gpu: 0, factor: 2}]", "faults[0]", "no cluster"},
      {"[{kind: switch_down, node: leaf0}, {kind: switch_down, node: leaf1}]", "faults",
       "need at least 2 hosts in service"},
      {"[{kind: pfc_storm, node: spine0, at_us: 5}]", "faults[0].node",
       "a PFC storm comes from a host's NIC"},
      {"[{kind: pfc_storm, at_us: 5}]", "faults[0]", "one of gpu or node"},
      {"[{kind: pfc_storm, gpu: 1, factor: 2}]", "faults[0].factor", "not a key of a pfc_storm"},
  };
  for (const auto& c : cases) {
    const std::string what = error_of(leaf_spine(c.faults));
    EXPECT_NE(what.find(c.field + ":"), std::string::npos) << c.faults << " -> " << what;
    EXPECT_NE(what.find(c.expected), std::string::npos) << c.faults << " -> " << what;
  }
  const std::string straggler = error_of(one_server("[{kind: straggler, server: 2, factor: 2}]"));
  EXPECT_NE(straggler.find("faults[0].server: the cluster has 2 servers, got 2"), std::string::npos)
      << straggler;
  const std::string factor = error_of(one_server("[{kind: straggler, gpu: 1, factor: 0.5}]"));
  EXPECT_NE(factor.find("faults[0].factor"), std::string::npos) << factor;
  const std::string no_factor = error_of(one_server("[{kind: straggler, gpu: 1}]"));
  EXPECT_NE(no_factor.find("faults[0].factor: missing"), std::string::npos) << no_factor;
}

}  // namespace
}  // namespace aifabric
