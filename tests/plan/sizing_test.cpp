// The planner's design rules against closed forms of folded-Clos fabrics and against the published NVIDIA
// DGX SuperPOD (H100, NDR InfiniBand) reference-architecture tables.
#include "plan/sizing.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "plan/bom.hpp"
#include "topo/builders.hpp"

namespace aifabric::plan {
namespace {

SwitchModel switch_of(std::uint32_t radix) {
  SwitchModel sw = builtin_catalog().switches.front();  // QM9700
  sw.ports = radix;
  return sw;
}

std::uint32_t switches(const Sizing& s) {
  return s.leaves + s.spines + s.cores;
}

// Every switch of the built topology uses at most `radix` ports; returns the most any uses.
std::size_t busiest_switch(const topo::TopologySpec& t) {
  std::vector<std::size_t> degree(t.nodes.size(), 0);
  for (const auto& l : t.links) {
    ++degree[l.a];
    ++degree[l.b];
  }
  std::size_t most = 0;
  for (std::size_t i = 0; i < t.nodes.size(); ++i)
    if (t.nodes[i].kind == topo::NodeKind::kSwitch) most = std::max(most, degree[i]);
  return most;
}

// Two tiers of radix k, non-blocking: each leaf has k/2 hosts and k/2 uplinks, each spine one port per
// leaf, so k leaves and k/2 spines: k^2/2 hosts with 3k/2 switches. One server more needs a third tier.
TEST(Sizing, TwoTierNonBlockingHoldsHalfRadixSquaredWithThreeHalvesRadixSwitches) {
  for (std::uint32_t k : {16u, 32u, 64u}) {
    ClusterRequest c;
    c.gpus_per_server = 1;
    c.servers_per_unit = k / 2;
    const Sizing s = size_fabric(c, k * k / 2, switch_of(k), 1, "ratio");
    EXPECT_EQ(s.tiers, 2u) << k;
    EXPECT_EQ(s.leaves, k) << k;
    EXPECT_EQ(s.spines, k / 2) << k;
    EXPECT_EQ(switches(s), 3 * k / 2) << k;
    const auto t = topo::build_rail_optimized(builder_params(s, 400, 0), "topology");
    EXPECT_EQ(t.hosts.size(), k * k / 2);
    EXPECT_EQ(busiest_switch(t), k);
    EXPECT_EQ(size_fabric(c, k * k / 2 + 1, switch_of(k), 1, "ratio").tiers, 3u) << k;
  }
}

// Three tiers (the k-ary fat tree of Al-Fares et al. 2008): k pods of k/2 edge and k/2 aggregation
// switches and (k/2)^2 cores: k^3/4 hosts with k^2/2 + k^2/2 + k^2/4 = 5k^2/4 switches, every port used.
TEST(Sizing, ThreeTierFatTreeHoldsQuarterRadixCubedWithFiveQuartersRadixSquaredSwitches) {
  for (std::uint32_t k : {8u, 16u}) {
    ClusterRequest c;
    c.gpus_per_server = 1;
    c.servers_per_unit = k / 2;
    const Sizing s = size_fabric(c, k * k * k / 4, switch_of(k), 1, "ratio");
    EXPECT_EQ(s.tiers, 3u);
    EXPECT_EQ(s.leaves, k * k / 2);
    EXPECT_EQ(s.spines, k * k / 2);
    EXPECT_EQ(s.cores, k * k / 4);
    EXPECT_EQ(switches(s), 5 * k * k / 4);
    const auto t = topo::build_rail_optimized(builder_params(s, 400, 0), "topology");
    EXPECT_EQ(t.hosts.size(), k * k * k / 4);
    EXPECT_EQ(t.switch_count(), 5 * k * k / 4);
    EXPECT_EQ(busiest_switch(t), k);
    EXPECT_THROW(size_fabric(c, k * k * k / 4 + 1, switch_of(k), 1, "ratio"), core::InputError);
  }
}

// An r:1 leaf of radix k has k r / (r + 1) ports down and k / (r + 1) up: 64 ports at 3:1 give 48 and 16,
// 48 ports at 2:1 give 32 and 16, 64 at 1:1 give 32 and 32.
TEST(Sizing, OversubscribedLeafHasRadixTimesRatioOverRatioPlusOneDown) {
  struct Row {
    std::uint32_t k;
    double r;
    std::uint32_t down, up;
  };
  for (const Row& row : {Row{64, 3, 48, 16}, Row{48, 2, 32, 16}, Row{64, 1, 32, 32}, Row{128, 3, 96, 32}}) {
    ClusterRequest c;
    c.gpus_per_server = 8;
    const Sizing s = size_fabric(c, 8 * 4 * row.down, switch_of(row.k), row.r, "ratio");  // four full SUs
    EXPECT_EQ(s.servers_per_unit, row.down) << row.k << " " << row.r;
    EXPECT_EQ(s.leaf_up, row.up) << row.k << " " << row.r;
    EXPECT_EQ(s.units, 4u);
  }
}

// A ratio that does not split the SU's ports into whole uplinks is refused, naming the option.
TEST(Sizing, RatioWithoutWholePortsIsAnError) {
  ClusterRequest c;
  c.servers_per_unit = 32;
  try {
    size_fabric(c, 1024, switch_of(64), 3, "plan.options.oversubscription[2]");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_EQ(e.where().field, "plan.options.oversubscription[2]");
    EXPECT_NE(std::string(e.what()).find("10.67 uplinks"), std::string::npos) << e.what();
  }
}

// NVIDIA DGX SuperPOD H100 reference architecture (RA-11333-001 V11), Table 3 (full SUs) and Table 4
// (one node slot of the cluster left for UFM, whose 4 links are counted with the node-leaf cables):
// switches per tier and cables per tier for 1 to 64 scalable units of 32 DGX H100 (8 x 400G NDR each).
TEST(Sizing, ReproducesTheDgxSuperPodH100Tables) {
  struct Row {
    std::uint32_t units, nodes;
    bool ufm;
    std::uint32_t leaf, spine, core;
    std::uint64_t node_leaf, leaf_spine, spine_core;
  };
  const Row rows[] = {
      {1, 31, true, 8, 4, 0, 252, 256, 0},
      {2, 63, true, 16, 8, 0, 508, 512, 0},
      {3, 95, true, 24, 16, 0, 764, 768, 0},
      {4, 127, true, 32, 16, 0, 1020, 1024, 0},
      {4, 128, false, 32, 16, 0, 1024, 1024, 0},
      {8, 256, false, 64, 32, 0, 2048, 2048, 0},
      {16, 512, false, 128, 128, 64, 4096, 4096, 4096},
      {32, 1024, false, 256, 256, 128, 8192, 8192, 8192},
      {64, 2048, false, 512, 512, 256, 16384, 16384, 16384},
  };
  const SwitchModel& qm9700 = builtin_catalog().switches.front();
  ASSERT_EQ(qm9700.name, "QM9700");
  for (const Row& row : rows) {
    ClusterRequest c;
    c.gpus_per_server = 8;
    c.servers_per_unit = 32;
    c.nic_links_per_cage = 2;
    c.fabric_manager_slot = row.ufm;
    c.cable_slack_m = 6;  // every run longer than active copper reaches: all multimode, as the RA builds it
    const Sizing s = size_fabric(c, row.nodes * 8, qm9700, 1, "ratio");
    EXPECT_EQ(s.units, row.units) << row.nodes;
    EXPECT_EQ(s.leaves, row.leaf) << row.nodes;
    EXPECT_EQ(s.spines, row.spine) << row.nodes << " nodes (3 SUs: 16 spines, not 768 / 64 = 12)";
    EXPECT_EQ(s.cores, row.core) << row.nodes;
    const auto t = topo::build_rail_optimized(builder_params(s, 400, 0), "topology");
    const Bom b = bill_of_materials(t, s, qm9700, 400, c, builtin_catalog());
    EXPECT_EQ(b.cables_by_tier[0], row.node_leaf) << row.nodes;
    EXPECT_EQ(b.cables_by_tier[1], row.leaf_spine) << row.nodes;
    EXPECT_EQ(b.cables_by_tier[2], row.spine_core) << row.nodes;
    for (const auto& tier : b.tiers) EXPECT_LE(tier.ports_used, std::uint64_t{tier.switches} * 64);
  }
}

// RA Appendix A (4 SUs, 127 DGX H100): 48 compute switches (32 leaf + 16 spine); 1,536 switch-side
// twin-port OSFPs = (1,024 leaf-down + 1,024 leaf-up + 1,024 spine-down ports) / 2; 508 DGX-side
// twin-port OSFPs = 127 nodes x 4 cages. 2,040 compute cables = 1,016 node-leaf + 1,024 leaf-spine.
TEST(Sizing, ReproducesTheSuperPodBillOfMaterialsAtFourUnits) {
  ClusterRequest c;
  c.gpus_per_server = 8;
  c.servers_per_unit = 32;
  c.nic_links_per_cage = 2;
  c.fabric_manager_slot = true;
  c.cable_slack_m = 6;
  const SwitchModel& qm9700 = builtin_catalog().switches.front();
  const Sizing s = size_fabric(c, 127 * 8, qm9700, 1, "ratio");
  const auto t = topo::build_rail_optimized(builder_params(s, 400, 0), "topology");
  const Bom b = bill_of_materials(t, s, qm9700, 400, c, builtin_catalog());
  EXPECT_EQ(s.leaves + s.spines, 48u);
  EXPECT_EQ(b.switch_transceivers, 1536u);
  EXPECT_EQ(b.node_transceivers, 508u + 4u);  // and one single-port module per UFM link
  EXPECT_EQ(b.cables_by_tier[0] - c.fabric_manager_links + b.cables_by_tier[1], 2040u);
  std::uint64_t multimode = 0;
  for (const auto& cable : b.cables) multimode += cable.medium == "multimode" ? 1 : 0;
  EXPECT_EQ(multimode, b.cables.size());  // "All networking components are multi-mode fiber."
  // Power splits by part: 48 switches at the catalog's figure, optics at 15 W a twin-port module.
  EXPECT_DOUBLE_EQ(b.switch_power_w, 48 * qm9700.power_w);
  EXPECT_NEAR(b.optics_power_w, (1536 + 508) * 15.0 + 4 * 8.0, 1e-9);
}

// A rack layout decides reach: a cable within the rack's neighbourhood is copper, a long one single-mode;
// one no catalog medium reaches is an error naming the catalog.
TEST(Sizing, CableLengthPicksTheMedium) {
  ClusterRequest c;
  c.gpus_per_server = 8;
  c.servers_per_unit = 32;
  c.cable_slack_m = 0.5;
  const SwitchModel& qm9700 = builtin_catalog().switches.front();
  const Sizing s = size_fabric(c, 256, qm9700, 1, "ratio");
  const auto t = topo::build_rail_optimized(builder_params(s, 400, 0), "topology");
  const Bom near = bill_of_materials(t, s, qm9700, 400, c, builtin_catalog());
  // srv0 is 8 racks (4.8 m + 0.5 m) from its leaves' rack, beyond 5 m of active copper: multimode.
  // srv28 is in the rack next to it (0.6 m + 0.5 m), within a 3 m DAC.
  EXPECT_EQ(near.cables.front().medium, "multimode");
  EXPECT_EQ(near.cables[28 * 8].medium, "dac");
  c.row_pitch_m = 40;
  c.racks_per_row = 2;  // 4 rows 40 m apart: the spines' row is 60 m from the first, beyond multimode
  const Sizing far_s = size_fabric(c, 256, qm9700, 1, "ratio");
  const Bom far = bill_of_materials(t, far_s, qm9700, 400, c, builtin_catalog());
  std::uint64_t single_mode = 0;
  for (const auto& cable : far.cables) single_mode += cable.medium == "single_mode" ? 1 : 0;
  EXPECT_GT(single_mode, 0u);
  Catalog no_long_reach = builtin_catalog();
  for (auto& o : no_long_reach.optics) o.reach_m = std::min(o.reach_m, 50.0);
  EXPECT_THROW(bill_of_materials(t, far_s, qm9700, 400, c, no_long_reach), core::InputError);
}

}  // namespace
}  // namespace aifabric::plan
