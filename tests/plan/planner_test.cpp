// The planner end to end: growth phases against the SuperPOD tables, every design a scenario that loads
// and assesses, the recommendation among them, and determinism.
#include "plan/planner.hpp"

#include <gtest/gtest.h>

#include "api/assess.hpp"
#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"
#include "plan/render.hpp"

namespace aifabric::plan {
namespace {

const DesignOutcome& design(const Plan& p, const std::string& id) {
  for (const auto& d : p.designs)
    if (d.id == id) return d;
  throw std::runtime_error("no design " + id);
}

// DGX SuperPOD growth, 1 -> 4 -> 16 SUs of 32 DGX H100 on NDR (RA Table 3: 8/4, 32/16, 128/128/64).
// 1 -> 4: +24 leaves, +12 spines; each old leaf sent 8 links to each of 4 spines and now sends 2 to each
// of 16, so 2 of its 8 to each old spine stay: 8 leaves x (32 - 4 x 2) = 192 cables move; new cables =
// 2,048 - (256 server links + 64 kept) = 1,728. 4 -> 16 adds the core tier: +96 leaves, +112 spines, +64
// cores, and every one of the 1,024 leaf-spine cables moves to its SU's spine group, unless the 4-SU
// phase was built on three tiers with the 16-SU core, when none moves.
TEST(Planner, GrowthMovesTheCablesTheSuperPodRespreads) {
  const auto root = io::read_yaml(R"(
name: superpod_growth
plan:
  phases: [256, 1024, 4096]
  cluster: {servers_per_unit: 32, nic_links_per_cage: 2}
  options: {fabrics: [infiniband], switches: [QM9700], oversubscription: [1]}
)",
                                  "growth.yaml");
  const Plan p = run_plan(root, "growth.yaml");
  ASSERT_EQ(p.designs.size(), 1u);
  const DesignOutcome& d = p.designs[0];
  ASSERT_TRUE(d.feasible) << d.why_not;
  ASSERT_EQ(d.growth.size(), 2u);
  const GrowthStep &a = d.growth[0], &b = d.growth[1];
  EXPECT_EQ(a.switches_added[0], 24u);
  EXPECT_EQ(a.switches_added[1], 12u);
  EXPECT_EQ(a.cables_moved, 192u);
  EXPECT_EQ(a.cables_added, 1728u);
  EXPECT_FALSE(a.rearchitecture);
  EXPECT_TRUE(b.rearchitecture);
  EXPECT_EQ(b.switches_added[0], 96u);
  EXPECT_EQ(b.switches_added[1], 112u);
  EXPECT_EQ(b.switches_added[2], 64u);
  EXPECT_EQ(b.cables_moved, 1024u);
  EXPECT_DOUBLE_EQ(b.recable_usd, 1024 * p.objective.recable_usd);
  ASSERT_TRUE(b.preprovision);
  EXPECT_EQ(b.preprovision_cables_moved, 0u);
  EXPECT_GT(b.preprovision_capex_usd, 0);
}

class ExamplePlan : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new io::Node(io::scenario_document("example:plan_h100_1024"));
    plan_ = new Plan(run_plan(*root_, "example:plan_h100_1024"));
  }
  static void TearDownTestSuite() {
    delete plan_;
    delete root_;
  }
  static io::Node* root_;
  static Plan* plan_;
};
io::Node* ExamplePlan::root_ = nullptr;
Plan* ExamplePlan::plan_ = nullptr;

// Every design is written as a scenario that reads back, loads and holds the phase's GPUs and the
// storage nodes, with the switches its bill of materials counts.
TEST_F(ExamplePlan, EveryDesignIsAScenarioThatLoads) {
  // {roce: SN5600, SN5400; infiniband: QM9700} x {1:1, 2:1} x {converged, separate storage}
  ASSERT_EQ(plan_->designs.size(), 12u);
  for (const auto& d : plan_->designs) {
    ASSERT_TRUE(d.feasible) << d.id << ": " << d.why_not;
    for (const auto& ph : d.phases) {
      // Phase 0 (256 GPUs) holds none of the portfolio (two 512-GPU jobs, a 1,024-GPU checkpoint): its
      // scenario is the bring-up all-reduce over its GPUs.
      EXPECT_EQ(bool(ph.scenario["collective"]), ph.gpus == 256) << d.id;
      const std::string text = io::write_yaml(ph.scenario, "a design");
      const auto sc = io::load_scenario_text(text, d.id + ".yaml");
      EXPECT_EQ(sc.topology.hosts.size(), ph.gpus + (d.separate_storage ? 0u : 8u)) << d.id;
      std::uint32_t switches = 0;
      for (const auto& t : ph.bom.tiers) switches += t.switches;
      std::uint32_t storage_fabric = 0;
      for (const auto& t : ph.bom.tiers)
        storage_fabric += t.tier.rfind("storage_fabric_", 0) == 0 ? t.switches : 0;
      EXPECT_EQ(sc.topology.switch_count(), switches - storage_fabric) << d.id;
      EXPECT_EQ(d.separate_storage, storage_fabric > 0) << d.id;
      EXPECT_EQ(sc.fidelity, api::NetworkModel::kFlow);
      EXPECT_EQ(net::name(sc.fabric.kind), std::string(net::name(d.fabric)));
    }
    EXPECT_EQ(d.jobs.size(), 2u);
    EXPECT_GT(d.tokens_per_s, 0);
  }
}

// The plan's figures are what `assess` gives on the written design.
TEST_F(ExamplePlan, FiguresMatchAFreshAssessOfTheWrittenDesign) {
  const DesignOutcome& d = design(*plan_, "infiniband-400g-qm9700-2to1");
  const auto sc = io::load_scenario_text(io::write_yaml(d.phases.back().scenario), "design.yaml");
  const auto a = api::assess(sc);
  ASSERT_EQ(a.jobs.size(), d.jobs.size());
  for (std::size_t i = 0; i < a.jobs.size(); ++i)
    EXPECT_DOUBLE_EQ(core::ps_to_sec(a.jobs[i].fabric.iteration_ps), d.jobs[i].iteration_s);
}

// 2:1 saves spines, optics, power and capital against 1:1 on the same switch, and the recommended
// design has the lowest cost over the horizon: capital + energy + GPU time lost (+ recabling).
TEST_F(ExamplePlan, OversubscriptionSavesPartsAndTheRecommendationIsTheCheapestOverTheHorizon) {
  for (const char* sw : {"roce-400g-sn5600", "roce-400g-sn5400", "infiniband-400g-qm9700"}) {
    const auto &one = design(*plan_, std::string(sw) + "-1to1"),
               &two = design(*plan_, std::string(sw) + "-2to1");
    const Bom &b1 = one.phases.back().bom, &b2 = two.phases.back().bom;
    EXPECT_LT(two.phases.back().sizing.spines, one.phases.back().sizing.spines) << sw;
    EXPECT_LT(b2.switch_transceivers, b1.switch_transceivers) << sw;
    EXPECT_LT(b2.network_power_w(), b1.network_power_w()) << sw;
    EXPECT_LT(b2.capex_usd, b1.capex_usd) << sw;
    EXPECT_LE(two.tokens_per_s, one.tokens_per_s * 1.001) << sw;
  }
  const DesignOutcome& r = plan_->designs[plan_->recommended];
  for (const auto& d : plan_->designs) EXPECT_LE(r.total_usd, d.total_usd) << d.id;
  const double hours = plan_->objective.years * 8760;
  const Bom& b = r.phases.back().bom;
  double recable = 0;
  for (const auto& g : r.growth) recable += g.recable_usd;
  EXPECT_NEAR(
      r.total_usd,
      b.capex_usd +
          b.network_power_w() / 1e3 * plan_->objective.pue * hours * plan_->objective.energy_usd_per_kwh +
          r.lost_usd_per_hour * hours + recable,
      1e-6 * r.total_usd);
  EXPECT_TRUE(r.pareto);
  EXPECT_NE(plan_->why.find(r.id), std::string::npos);
  const std::string text = plan_text(*plan_);
  EXPECT_NE(text.find("oversubscribed against 1:1"), std::string::npos);
  EXPECT_NE(text.find("recommended  " + r.id), std::string::npos);
}

// The same request gives the same plan, byte for byte, on one thread or several.
TEST_F(ExamplePlan, IsDeterministicAcrossThreadCounts) {
  io::Node one_thread = *root_;
  one_thread.find("plan")->set("threads", io::Node::scalar("1"));
  const Plan serial = run_plan(one_thread, "example:plan_h100_1024");
  EXPECT_EQ(plan_json(serial), plan_json(*plan_));
  EXPECT_EQ(bom_csv(serial.designs[serial.recommended].phases.back().bom),
            bom_csv(plan_->designs[plan_->recommended].phases.back().bom));
  EXPECT_EQ(cabling_csv(serial.designs[1].phases.back().bom),
            cabling_csv(plan_->designs[1].phases.back().bom));
}

// A design that cannot be built is kept with its reason while others can; the CSVs quote what needs it.
TEST(Planner, KeepsUnbuildableDesignsWithTheirReason) {
  const auto root = io::read_yaml(R"(
name: mixed
plan:
  phases: [1024]
  cluster: {servers_per_unit: 32}
  options: {fabrics: [infiniband], switches: [QM9700], oversubscription: [1, 3]}
)",
                                  "mixed.yaml");
  const Plan p = run_plan(root, "mixed.yaml");
  ASSERT_EQ(p.designs.size(), 2u);
  EXPECT_TRUE(p.designs[0].feasible);
  EXPECT_FALSE(p.designs[1].feasible);
  EXPECT_NE(p.designs[1].why_not.find("plan.options.oversubscription[1]"), std::string::npos)
      << p.designs[1].why_not;
  EXPECT_EQ(p.recommended, 0u);
  const std::string csv = bom_csv(p.designs[0].phases.back().bom);
  EXPECT_NE(csv.find("\"NVIDIA QM97xx user manual, Interfaces (64 x 400G NDR"), std::string::npos);
  EXPECT_NE(plan_text(p).find("not buildable infiniband-400g-qm9700-3to1"), std::string::npos);
}

}  // namespace
}  // namespace aifabric::plan

namespace aifabric::plan {
namespace {

// The hybrid: InfiniBand for the GPUs, a RoCE fabric for the servers' two storage NICs and 16 storage
// nodes. The compute design carries no storage node and no checkpoint; the storage fabric's scenario
// holds 128 servers x 2 NICs + 16 nodes and the checkpoint of every GPU's shard through its server's NICs
// (1,024 x 64 MB = 64 GiB either way); its parts are in the bill.
TEST(Planner, SeparateStorageFabricCarriesTheCheckpoints) {
  const auto root = io::read_yaml(R"(
name: hybrid
cluster: {gpu: h100}
plan:
  phases: [1024]
  cluster: {storage_nodes: 16}
  options: {fabrics: [infiniband], oversubscription: [1], storage: [converged, separate]}
  storage: {fabric: roce, nics_per_server: 2}
jobs:
  - name: j
    model: {layers: 8, hidden: 4096, heads: 32, ffn_hidden: 14336, seq_len: 2048, vocab: 32000}
    parallelism: {tp: 8, pp: 1, dp: 128}
traffic:
  - {kind: checkpoint, first_host: 0, host_count: 1024, storage_hosts: 16, size_bytes: 64MB, start_us: 100}
)",
                                  "hybrid.yaml");
  const Plan p = run_plan(root, "hybrid.yaml");
  ASSERT_EQ(p.designs.size(), 2u);
  const DesignOutcome &converged = p.designs[0], &separate = p.designs[1];
  ASSERT_TRUE(converged.feasible && separate.feasible) << separate.why_not;
  EXPECT_EQ(separate.id, "infiniband-400g-qm9700-1to1+storage-sn5600");
  const auto compute = io::load_scenario_document(separate.phases[0].scenario, "compute.yaml");
  EXPECT_EQ(compute.topology.hosts.size(), 1024u);
  EXPECT_TRUE(compute.flows.empty());
  const auto storage = io::load_scenario_document(separate.phases[0].storage_scenario, "storage.yaml");
  EXPECT_EQ(net::name(storage.fabric.kind), std::string("roce"));
  EXPECT_EQ(storage.topology.hosts.size(), 128u * 2 + 16);
  std::uint64_t bytes = 0;
  for (const auto& f : storage.flows) bytes += f.size_bytes;
  EXPECT_EQ(bytes, 1024ull * 64 * 1000 * 1000);
  EXPECT_EQ(storage.flows.size(), 256u);
  const Bom& b = separate.phases[0].bom;
  std::uint64_t storage_nics = 0, storage_switches = 0;
  for (const auto& l : b.lines) {
    if (l.role == "server storage NIC") storage_nics += l.count;
    if (l.role.rfind("storage fabric ", 0) == 0 && l.role.find("switch") != std::string::npos &&
        l.role.find("transceiver") == std::string::npos)
      storage_switches += l.count;
  }
  EXPECT_EQ(storage_nics, 256u);
  EXPECT_GT(storage_switches, 0u);
  EXPECT_GT(b.capex_usd, converged.phases[0].bom.capex_usd);
  // The checkpoints ran, on each design's storage-carrying fabric: 64 GB through 16 x 400G storage links
  // (800 GB/s) takes at least 0.08 s.
  EXPECT_TRUE(separate.storage_complete && converged.storage_complete);
  EXPECT_GE(separate.storage_s, 0.08);
  EXPECT_GE(converged.storage_s, 0.08);
}

}  // namespace
}  // namespace aifabric::plan

namespace aifabric::plan {
namespace {

// Two identical planes of 400G ports: twice the switches, cables and transceivers of one, one NIC per
// GPU with a port in each (the catalog's 800G NIC), every cable named by its plane; the simulated plane
// carries both ports' bandwidth (800 Gbit/s links).
TEST(Planner, DualPlaneDoublesThePlaneAndSimulatesItsBandwidth) {
  const auto root = io::read_yaml(R"(
name: planes
plan:
  phases: [1024]
  options: {fabrics: [roce], switches: [SN5600], oversubscription: [1], planes: [1, 2]}
)",
                                  "planes.yaml");
  const Plan p = run_plan(root, "planes.yaml");
  ASSERT_EQ(p.designs.size(), 2u);
  const Bom &one = p.designs[0].phases[0].bom, &two = p.designs[1].phases[0].bom;
  EXPECT_EQ(p.designs[1].id, "roce-400g-sn5600-1to1-2planes");
  EXPECT_EQ(two.cables.size(), 2 * one.cables.size());
  EXPECT_EQ(two.switch_transceivers, 2 * one.switch_transceivers);
  EXPECT_EQ(two.node_transceivers, 2 * one.node_transceivers);
  EXPECT_DOUBLE_EQ(two.switch_power_w, 2 * one.switch_power_w);
  for (std::size_t i = 0; i < one.tiers.size(); ++i)
    EXPECT_EQ(two.tiers[i].switches, 2 * one.tiers[i].switches);
  std::uint64_t nics = 0;
  for (const auto& l : two.lines)
    if (l.role == "GPU NIC") {
      nics += l.count;
      EXPECT_EQ(l.item, "ConnectX-8");
    }
  EXPECT_EQ(nics, 1024u);
  EXPECT_EQ(two.cables[one.cables.size()].b_device.rfind("plane1/", 0), 0u);
  EXPECT_EQ(two.cables[one.cables.size()].a_port, "nic0/1");
  EXPECT_EQ(p.designs[1].phases[0].scenario["topology"]["link"]["rate_gbps"].text(), "800");
}

}  // namespace
}  // namespace aifabric::plan

namespace aifabric::plan {
namespace {

// An inference portfolio: every design reports the service's TTFT and TPOT p99, and the recommendation
// is made among the designs that meet its objectives.
TEST(Planner, AssessesInferenceServicesOnEveryDesign) {
  const auto root = io::read_yaml(R"(
name: serve
cluster: {gpu: h200}
plan:
  phases: [64]
  options: {fabrics: [infiniband, roce], oversubscription: [1, 2]}
services:
  - name: chat
    gpus: 64
    tp: 8
    prefill_replicas: 4
    model: {layers: 32, hidden: 4096, heads: 32, kv_heads: 8, ffn_hidden: 14336, seq_len: 8192, vocab: 128256}
    arrival_rate_per_s: 15
    requests: 100
    prompt_tokens: 2048
    output_tokens: 64
    ttft_slo_ms: 300
    tpot_slo_ms: 10
)",
                                  "serve.yaml");
  const Plan p = run_plan(root, "serve.yaml");
  ASSERT_EQ(p.designs.size(), 6u);
  for (const auto& d : p.designs) {
    ASSERT_EQ(d.services.size(), 1u) << d.id;
    EXPECT_GT(d.services[0].ttft_p99_ms, 0) << d.id;
    EXPECT_GT(d.services[0].tpot_p99_ms, 0) << d.id;
    EXPECT_TRUE(d.services[0].objective_met) << d.id;
    EXPECT_TRUE(d.jobs.empty());
  }
  EXPECT_NE(p.why.find("meeting every service's latency objective"), std::string::npos) << p.why;
  EXPECT_NE(plan_text(p).find("service chat: TTFT p99"), std::string::npos);
}

}  // namespace
}  // namespace aifabric::plan
