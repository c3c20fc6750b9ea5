// `aifabric whatif`: each change becomes one variant with the right fault, the N-1 sets have one variant
// per link or switch, the answers rank by damage, and bad changes name the flag.
#include "whatif/changes.hpp"

#include <gtest/gtest.h>

#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"
#include "whatif/study.hpp"

namespace aifabric::whatif {
namespace {

struct Base {
  io::Node doc;
  api::Scenario sc;
};

Base example(const std::string& name) {
  Base b{io::scenario_document("example:" + name), {}};
  b.sc = io::load_scenario_document(b.doc, name);
  return b;
}

std::string error_of(const Base& b, const Changes& c) {
  try {
    run_study(change_variants(b.doc, b.sc, c), "test", std::nullopt, 1);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Changes, EachChangeIsOneVariantWithItsFault) {
  const auto b = example("llama70b_h100_256");
  Changes c;
  c.fail = {"spine3", "su0.rail1-spine2", "srv1.gpu0"};
  c.degrade = {"su0.rail0-spine0=100G"};
  c.straggler = {"17=1.2", "server:2=1.1", "srv3.gpu1=1.3"};
  c.set = {"topology.link.rate_gbps=200"};
  const auto v = change_variants(b.doc, b.sc, c);
  ASSERT_EQ(v.size(), 9u);
  EXPECT_EQ(v[0].label, "baseline");
  EXPECT_FALSE(v[0].document["faults"]);
  auto fault = [&](std::size_t i) { return v[i].document["faults"][0]; };
  EXPECT_EQ(fault(1)["kind"].text(), "switch_down");
  EXPECT_EQ(fault(1)["node"].text(), "spine3");
  EXPECT_EQ(fault(2)["kind"].text(), "link_down");
  EXPECT_EQ(fault(2)["a"].text(), "su0.rail1");
  EXPECT_EQ(fault(2)["b"].text(), "spine2");
  EXPECT_EQ(fault(3)["kind"].text(), "nic_down");
  EXPECT_EQ(fault(4)["kind"].text(), "link_degraded");
  EXPECT_EQ(fault(4)["rate_gbps"].text(), "100");
  EXPECT_EQ(fault(5)["gpu"].text(), "17");
  EXPECT_EQ(fault(6)["server"].text(), "2");
  EXPECT_EQ(fault(7)["gpu"].text(), "25") << "srv3.gpu1 is host 3 x 8 + 1";
  EXPECT_EQ(v[8].label, "set topology.link.rate_gbps=200");
  EXPECT_EQ(v[8].document["topology"]["link"]["rate_gbps"].text(), "200");
}

TEST(Changes, LinkNamesMayHoldHyphens) {
  const std::string yaml = R"(
topology:
  kind: explicit
  link: {rate_gbps: 100}
  nodes: [{name: h-0, kind: host}, {name: h-1, kind: host}, {name: sw-a}, {name: sw-b}]
  links: [{a: h-0, b: sw-a}, {a: sw-a, b: sw-b}, {a: sw-b, b: h-1}]
traffic: [{kind: flows, flows: [{src: h-0, dst: h-1, size_bytes: 1MB}]}]
)";
  Base b{io::read_yaml(yaml, "test.yaml"), {}};
  b.sc = io::load_scenario_document(b.doc, "test.yaml");
  Changes c;
  c.degrade = {"sw-a-sw-b=50"};
  const auto v = change_variants(b.doc, b.sc, c);
  EXPECT_EQ(v[1].document["faults"][0]["a"].text(), "sw-a");
  EXPECT_EQ(v[1].document["faults"][0]["b"].text(), "sw-b");
  const auto st = run_study(v, "test", std::nullopt, 1);
  EXPECT_GT(st.flows[1].fct_p99_us, st.flows[0].fct_p99_us) << "half the rate on the flow's path";
}

TEST(Changes, NMinusOneHasOneVariantPerLinkOrSwitch) {
  const auto b = example("llama70b_h100_256");
  std::set<std::pair<std::uint32_t, std::uint32_t>> pairs;
  std::size_t switches = 0;
  const auto& t = b.sc.topology;
  for (const auto& l : t.links)
    if (t.nodes[l.a].kind == topo::NodeKind::kSwitch && t.nodes[l.b].kind == topo::NodeKind::kSwitch)
      pairs.insert({std::min(l.a, l.b), std::max(l.a, l.b)});
  for (const auto& n : t.nodes) switches += n.kind == topo::NodeKind::kSwitch ? 1 : 0;
  Changes links;
  links.n_minus_1 = "links";
  EXPECT_EQ(change_variants(b.doc, b.sc, links).size(), 1 + pairs.size());
  Changes sw;
  sw.n_minus_1 = "switches";
  EXPECT_EQ(change_variants(b.doc, b.sc, sw).size(), 1 + switches);
  EXPECT_EQ(switches, 41u) << "8 rail leaves, the storage leaf and 32 spines";
}

TEST(Changes, TheAnswerRanksVariantsByWhatTheyCost) {
  const auto b = example("llama70b_h100_256");
  Changes c;
  c.fail = {"spine0", "su0.rail2"};
  c.straggler = {"17=1.2"};
  const auto st = run_study(change_variants(b.doc, b.sc, c), "test", std::nullopt, 2);
  ASSERT_EQ(st.damage_usd_per_hour.size(), 4u);
  EXPECT_EQ(st.damage_usd_per_hour[0], 0.0);
  // On rails the job's traffic never crosses a spine: a spine down costs nothing.
  EXPECT_EQ(st.damage_usd_per_hour[1], 0.0);
  // A rail leaf down takes GPU 2 of every server out: the 256-GPU job is down, 256 x $2.50/h lost.
  EXPECT_DOUBLE_EQ(st.damage_usd_per_hour[2], 256 * 2.5);
  EXPECT_EQ(st.jobs[2].down, "GPU 2 (srv0.gpu2) out of service");
  // A straggler costs the GPU time of the longer iteration: 256 x 2.5 x (1 - base / slow).
  const double base = st.jobs[0].iteration_s, slow = st.jobs[3].iteration_s;
  EXPECT_GT(slow, base);
  EXPECT_NEAR(st.damage_usd_per_hour[3], 256 * 2.5 * (1 - base / slow), 1e-9);
  const std::string text = whatif_text(st, 0);
  const auto first = text.find("   1  fail su0.rail2");
  const auto second = text.find("   2  straggler 17=1.2");
  const auto third = text.find("   3  fail spine0");
  EXPECT_NE(first, std::string::npos) << text;
  EXPECT_LT(first, second) << text;
  EXPECT_LT(second, third) << text;
  // The straggler's links carry the same bytes over a longer iteration: lower utilization, reported.
  bool straggler_link = false;
  for (const auto& l : st.links)
    straggler_link = straggler_link || (l.variant == 3 && l.utilization < l.baseline_utilization);
  EXPECT_TRUE(straggler_link);
  EXPECT_NE(links_csv(st).find("variant,port,utilization"), std::string::npos);
}

TEST(Changes, AFaultFlagTakesAnyFaultEntry) {
  // --fault appends the entry as given: timed faults, flaps and slow NICs, which have no flag of their own.
  const auto b = example("llama70b_h100_256");
  Changes c;
  c.fault = {"{kind: link_flap, a: su0.rail1, b: spine2, at_us: 10, down_us: 5, period_us: 20, count: 2}",
             "{kind: nic_slow, node: srv1.gpu0, rate_gbps: 100}"};
  const auto v = change_variants(b.doc, b.sc, c);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[1].label, "fault " + c.fault[0]);
  EXPECT_EQ(v[1].document["faults"][0]["kind"].text(), "link_flap");
  EXPECT_EQ(v[1].document["faults"][0]["period_us"].text(), "20");
  EXPECT_EQ(v[2].document["faults"][0]["kind"].text(), "nic_slow");
  EXPECT_EQ(v[2].document["faults"][0]["rate_gbps"].text(), "100");
  // Not YAML, not a map, no kind: the flag is named; a key the fault does not take: its variant's loader
  // names it.
  for (const auto& [arg, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{kind: nic_slow", "--fault: {kind: nic_slow: expected a fault as YAML"},
           {"[1, 2]", "--fault: [1, 2]: expected a fault as a YAML map with its kind"},
           {"{node: srv1.gpu0}", "expected a fault as a YAML map with its kind"},
           {"{kind: nic_slow, node: srv1.gpu0, factor: 2}",
            "faults[0].factor: not a key of a nic_slow fault"}}) {
    Changes bad;
    bad.fault = {arg};
    const std::string what = error_of(b, bad);
    EXPECT_NE(what.find(expected), std::string::npos) << arg << ": " << what;
  }
}

TEST(Changes, BadChangesNameTheFlag) {
  const auto b = example("llama70b_h100_256");
  struct Case {
    Changes c;
    std::string expected;
  };
  std::vector<Case> cases(9);
  cases[0].c.fail = {"spine99"};
  cases[0].expected = "--fail: spine99: expected A-B";
  cases[1].c.fail = {"spine0-spine1"};
  cases[1].expected = "--fail: spine0-spine1: no link between the nodes";
  cases[2].c.degrade = {"su0.rail0-spine0"};
  cases[2].expected = "--degrade: su0.rail0-spine0: expected A-B=RATE";
  cases[3].c.degrade = {"su0.rail0-spine0=800"};
  cases[3].expected = "faults[0].rate_gbps: expected a rate in [0.001, 400) Gbit/s";
  cases[4].c.degrade = {"su0.rail0-spine0=ber:2e-3"};
  cases[4].expected = "faults[0].ber: expected a value in [0, 0.001]";
  cases[5].c.straggler = {"17=0.5"};
  cases[5].expected = "--straggler: 17=0.5: expected a factor above 1";
  cases[6].c.straggler = {"gpu17=2"};
  cases[6].expected = "expected a GPU index, a host name or server:N";
  cases[7].c.load = {"2"};
  cases[7].expected = "--load: 2: the scenario has no inference services or Poisson traffic";
  cases[8].c.n_minus_1 = "racks";
  cases[8].expected = "--n-minus-1: racks: expected links or switches";
  for (const auto& k : cases) {
    const std::string what = error_of(b, k.c);
    EXPECT_NE(what.find(k.expected), std::string::npos) << what;
  }
  Changes straggler_far;
  straggler_far.straggler = {"999=2"};
  EXPECT_NE(error_of(b, straggler_far).find("faults[0].gpu: the cluster has 256 GPUs, got 999"),
            std::string::npos)
      << error_of(b, straggler_far);
}

TEST(Changes, LoadScalesServicesAndPoissonTraffic) {
  const auto b = example("poisson_websearch");
  Changes c;
  c.load = {"0.5"};
  const auto v = change_variants(b.doc, b.sc, c);
  ASSERT_EQ(v.size(), 2u);
  const double before = b.doc["traffic"][0]["load"] ? std::stod(b.doc["traffic"][0]["load"].text()) : 0.3;
  EXPECT_DOUBLE_EQ(std::stod(v[1].document["traffic"][0]["load"].text()), before * 0.5);
  const auto s = example("moe_disaggregated_inference");
  const auto sv = change_variants(s.doc, s.sc, c);
  EXPECT_DOUBLE_EQ(std::stod(sv[1].document["services"][0]["arrival_rate_per_s"].text()),
                   s.sc.services[0].arrival_rate_per_s * 0.5);
}

}  // namespace
}  // namespace aifabric::whatif
