#include "topo/builders.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "routing/routing.hpp"

namespace aifabric::topo {
namespace {

TierParams tier(double gbps) {
  return TierParams{LinkParams{gbps, 1000, 4096}, SwitchParams{32u << 20, BufferMode::kShared}};
}

std::size_t count_links(const TopologySpec& t, const std::string& a_prefix, const std::string& b_prefix) {
  std::size_t n = 0;
  for (const auto& l : t.links) {
    const auto& a = t.nodes[l.a].name;
    const auto& b = t.nodes[l.b].name;
    if (a.rfind(a_prefix, 0) == 0 && b.rfind(b_prefix, 0) == 0) ++n;
  }
  return n;
}

TEST(FatTree, HasTheTextbookCounts) {
  // k-ary fat-tree: k^3/4 hosts, k^2/2 edge + k^2/2 aggregation + k^2/4 core switches, 3 k^3/4 links.
  for (std::uint32_t k : {4u, 8u, 16u}) {
    const auto t = build_fat_tree({k, tier(100), tier(100), tier(100)}, "topology");
    EXPECT_EQ(t.hosts.size(), k * k * k / 4);
    EXPECT_EQ(t.switch_count(), k * k / 2 + k * k / 2 + k * k / 4);
    EXPECT_EQ(t.links.size(), 3 * k * k * k / 4);
    EXPECT_NO_THROW(validate(t, "topology"));
  }
}

TEST(FatTree, EveryHostPairHasTheExpectedEqualCostPaths) {
  // k=4: inter-pod traffic leaves an edge switch over k/2 = 2 aggregation uplinks and each aggregation
  // switch over 2 core uplinks: (k/2)^2 = 4 shortest paths.
  const auto t = build_fat_tree({4, tier(100), tier(100), tier(100)}, "topology");
  const routing::Routing r(t);
  const std::uint32_t src_edge = r.tor_of(0);
  EXPECT_EQ(r.next_hops(src_edge, 15).size(), 2u);
  EXPECT_EQ(r.next_hops(src_edge, 1).size(), 1u) << "same edge switch: straight down";
}

TEST(LeafSpine, OversubscriptionSetsTheUplinks) {
  // 8 hosts x 100G per leaf at 2:1 needs 400G of uplinks: 4 x 100G, one to each of 4 spines.
  LeafSpineParams p{4, 8, 0, 2.0, tier(100), tier(100)};
  const auto t = build_leaf_spine(p, "topology");
  EXPECT_EQ(t.switch_count(), 8u);
  EXPECT_EQ(count_links(t, "leaf0", "spine"), 4u);
  // 400G uplinks at 1:1: 8 x 100 / 400 = 2 uplinks per leaf; with 1 spine both go to it.
  LeafSpineParams q{2, 8, 1, 1.0, tier(100), tier(400)};
  const auto u = build_leaf_spine(q, "topology");
  EXPECT_EQ(count_links(u, "leaf1", "spine0"), 2u);
  EXPECT_NO_THROW(validate(u, "topology"));
}

TEST(LeafSpine, RejectsAnOversubscriptionThatNeedsPartLinks) {
  LeafSpineParams p{4, 8, 0, 3.0, tier(100), tier(100)};
  try {
    build_leaf_spine(p, "topology");
    FAIL() << "expected an InputError";
  } catch (const core::InputError& e) {
    EXPECT_EQ(e.where().field, "topology.oversubscription");
    EXPECT_NE(std::string(e.what()).find("whole number"), std::string::npos) << e.what();
  }
}

TEST(RailOptimized, SuperPodScalableUnitPutsGpuIOnRailI) {
  // DGX H100 SuperPOD SU: 32 servers x 8 GPUs at 400G, 8 rail leaves, non-blocking: each leaf has 32 x
  // 400G down and 32 x 400G up. With 16 spines each leaf has 2 links to every spine.
  RailOptimizedParams p{4, 32, 8, 16, 0, 1.0, 0, tier(400), tier(400), tier(400)};
  const auto t = build_rail_optimized(p, "topology");
  EXPECT_EQ(t.hosts.size(), 4u * 32 * 8);
  EXPECT_EQ(t.switch_count(), 4u * 8 + 16);
  EXPECT_EQ(count_links(t, "su2.rail5", "spine3"), 2u);
  EXPECT_NO_THROW(validate(t, "topology"));
  for (const auto& l : t.links) {
    const auto& a = t.nodes[l.a].name;
    if (t.nodes[l.a].kind != NodeKind::kHost) continue;
    const auto gpu = a.substr(a.find(".gpu") + 4);
    const auto& leaf = t.nodes[l.b].name;
    EXPECT_EQ(leaf.substr(leaf.find(".rail") + 5), gpu) << a << " -> " << leaf;
  }
  // Same rail, same SU: leaf only. Different rails: up to the spines.
  const routing::Routing r(t);
  EXPECT_EQ(r.tor_of(0 * 8 + 3), r.tor_of(7 * 8 + 3));
  EXPECT_NE(r.tor_of(0 * 8 + 3), r.tor_of(0 * 8 + 4));
  EXPECT_EQ(r.next_hops(r.tor_of(3), 4).size(), 32u) << "every uplink of the rail leaf is an equal-cost path";
}

TEST(RailOptimized, ThreeTiersGiveEachUnitItsOwnSpines) {
  RailOptimizedParams p{2, 4, 4, 2, 4, 1.0, 0, tier(400), tier(400), tier(400)};
  const auto t = build_rail_optimized(p, "topology");
  // Leaf: 4 x 400G down -> 4 uplinks over 2 spines of its SU. Spine: 4 leaves x 2 links = 8 down -> 8 up
  // over the 2 cores of its plane (4 cores in 2 planes): 4 links to each.
  EXPECT_EQ(t.switch_count(), 2u * 4 + 2u * 2 + 4);
  EXPECT_EQ(count_links(t, "su0.rail1", "su0.spine1"), 2u);
  EXPECT_EQ(count_links(t, "su0.rail1", "su1.spine"), 0u);
  EXPECT_EQ(count_links(t, "su1.spine0", "core1"), 4u);
  EXPECT_EQ(count_links(t, "su1.spine0", "core3"), 0u) << "core3 is in spine 1's plane";
  EXPECT_EQ(count_links(t, "su1.spine1", "core3"), 4u);
  EXPECT_NO_THROW(validate(t, "topology"));
}

TEST(RailOptimized, CoresMustFormOnePlanePerSpine) {
  RailOptimizedParams p{2, 4, 4, 2, 3, 1.0, 0, tier(400), tier(400), tier(400)};
  try {
    build_rail_optimized(p, "topology");
    FAIL() << "expected an InputError";
  } catch (const core::InputError& e) {
    EXPECT_EQ(e.where().field, "topology.core_switches");
  }
}

// Routes from the structure must be exactly the shortest-path search's: same equal-cost port sets at
// every switch towards every host.
void expect_structure_matches_search(const TopologySpec& t) {
  ASSERT_TRUE(t.layered);
  const routing::Routing structure(t), search(t, routing::Routing::Method::kSearch);
  ASSERT_TRUE(structure.from_structure());
  ASSERT_FALSE(search.from_structure());
  for (std::uint32_t v = 0; v < t.nodes.size(); ++v) {
    if (t.nodes[v].kind != NodeKind::kSwitch) continue;
    for (std::uint32_t h = 0; h < t.hosts.size(); ++h) {
      const auto a = structure.next_hops(v, h), b = search.next_hops(v, h);
      std::vector<std::uint32_t> x(a.begin(), a.end()), y(b.begin(), b.end());
      std::sort(x.begin(), x.end());
      std::sort(y.begin(), y.end());
      ASSERT_EQ(x, y) << t.kind << ": at " << t.nodes[v].name << " towards host " << h;
    }
  }
}

TEST(Routing, StructureGivesTheShortestPathsOfEveryBuilder) {
  expect_structure_matches_search(build_fat_tree({4, tier(100), tier(100), tier(100)}, "t"));
  expect_structure_matches_search(build_fat_tree({6, tier(100), tier(100), tier(100)}, "t"));
  expect_structure_matches_search(build_leaf_spine({4, 8, 0, 2.0, tier(100), tier(100)}, "t"));
  expect_structure_matches_search(build_leaf_spine({1, 4, 0, 1.0, tier(100), tier(100)}, "t"));
  expect_structure_matches_search(build_leaf_spine({3, 4, 2, 1.0, tier(100), tier(100)}, "t"));
  expect_structure_matches_search(
      build_rail_optimized({2, 4, 4, 2, 0, 1.0, 3, tier(400), tier(400), tier(400)}, "t"));
  expect_structure_matches_search(
      build_rail_optimized({3, 4, 4, 2, 4, 1.0, 2, tier(400), tier(400), tier(400)}, "t"));
  expect_structure_matches_search(
      build_rail_optimized({2, 8, 2, 4, 8, 2.0, 0, tier(400), tier(400), tier(400)}, "t"));
}

TEST(Routing, LargeLayeredFabricIsRoutedWithoutATable) {
  // 64 SUs x 32 servers x 8 GPUs = 16,384 GPUs on three tiers: 512 ToRs and 512 + 512 + 64 switches would
  // be a 557k-entry table; from the structure it is the switches' down-reach.
  RailOptimizedParams p{64, 32, 8, 8, 64, 1.0, 0, tier(400), tier(400), tier(400)};
  const auto t = build_rail_optimized(p, "t");
  const routing::Routing r(t);
  EXPECT_TRUE(r.from_structure());
  EXPECT_LT(r.table_bytes(), std::size_t{8} << 20);
  // GPU 0 (SU 0, rail 0) to GPU 8 * 32 * 5 (SU 5, rail 0): the leaf's 32 uplinks (4 to each of 8
  // spines), a spine's 32 uplinks to its plane's 8 cores, then one link down to SU 5's spine of that plane.
  const std::uint32_t dst = 8 * 32 * 5;
  EXPECT_EQ(r.next_hops(r.tor_of(0), dst).size(), 32u);
  std::uint32_t spine = 0, core = 0;
  for (std::uint32_t v = 0; v < t.nodes.size(); ++v) {
    if (t.nodes[v].name == "su0.spine3") spine = v;
    if (t.nodes[v].name == "core30") core = v;  // plane 3: cores 24..31
  }
  EXPECT_EQ(r.next_hops(spine, dst).size(), 32u);
  EXPECT_EQ(r.next_hops(core, dst).size(), 4u) << "core30 to SU 5's spine 3: 4 parallel links";
}

TEST(Validate, FindsAnUnreachableHost) {
  TopologySpec t;
  const auto h0 = t.add_node("h0", NodeKind::kHost, "host");
  const auto h1 = t.add_node("h1", NodeKind::kHost, "host");
  const auto s0 = t.add_node("s0", NodeKind::kSwitch, "switch", {1 << 20, BufferMode::kShared});
  const auto s1 = t.add_node("s1", NodeKind::kSwitch, "switch", {1 << 20, BufferMode::kShared});
  t.add_link(h0, s0, {100, 100, 4096}, "explicit");
  t.add_link(h1, s1, {100, 100, 4096}, "explicit");
  try {
    validate(t, "topology");
    FAIL() << "expected an InputError";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'h1' is unreachable"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aifabric::topo
