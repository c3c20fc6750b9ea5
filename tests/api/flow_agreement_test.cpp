// The flow-level backend against the packet engine on the same collectives (docs/models/flow.md has the
// full table): within 5% when the fabric is not congested, within 15% on these congested cases.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/collective_sweep.hpp"
#include "api/execute.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"

namespace aifabric {
namespace {

struct Case {
  const char* name;
  const char* yaml;
  std::uint64_t bytes;
  double tolerance;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class FlowAgreement : public ::testing::TestWithParam<Case> {};

TEST_P(FlowAgreement, CollectiveTimeMatchesThePacketEngine) {
  const auto& c = GetParam();
  const auto sc = io::load_scenario_text(c.yaml, c.name);
  auto spec = sc.collective.spec;
  spec.bytes = c.bytes;
  const auto packet = api::run_collective(sc, spec, api::NetworkModel::kPacket);
  const auto flow = api::run_collective(sc, spec, api::NetworkModel::kFlow);
  const double ratio = static_cast<double>(flow.time_ps) / static_cast<double>(packet.time_ps);
  std::printf("%s: packet %.1f us, flow %.1f us (%+.1f%%), %llu vs %llu events\n", c.name,
              core::ps_to_us(packet.time_ps), core::ps_to_us(flow.time_ps), 100 * (ratio - 1),
              static_cast<unsigned long long>(packet.events), static_cast<unsigned long long>(flow.events));
  EXPECT_NEAR(ratio, 1.0, c.tolerance);
  EXPECT_LT(flow.events * 5, packet.events) << "the flow level costs far fewer events";
}

#define RAIL(kind, servers)                                                                                  \
  "fabric: {kind: " kind "}\ntopology: {kind: rail_optimized, scalable_units: 1, servers_per_unit: " servers \
  ", gpus_per_server: 8, link: {rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}\ncluster: {gpu: h100}\n"
#define LEAF_SPINE(over, per_leaf)                                                          \
  "fabric: {kind: roce}\ntopology: {kind: leaf_spine, leaves: 4, hosts_per_leaf: " per_leaf \
  ", oversubscription: " over                                                               \
  ", link: {rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}\ncluster: {gpu: h100}\n"
#define FAT_TREE(fabric)                                                        \
  "fabric: " fabric                                                             \
  "\ntopology: {kind: fat_tree, k: 4, link: {rate_gbps: 400, latency_ns: 500, " \
  "mtu_bytes: 4096}}\ncluster: {gpu: h100, gpus_per_server: 4}\n"

INSTANTIATE_TEST_SUITE_P(
    Collectives, FlowAgreement,
    ::testing::Values(
        Case{"ring_all_reduce_2_servers_infiniband",
             RAIL("infiniband", "2") "collective: {op: all_reduce, algorithm: ring}\n", 256'000'000, 0.05},
        Case{"hierarchical_all_reduce_4_servers_roce",
             RAIL("roce", "4") "collective: {op: all_reduce, algorithm: hierarchical}\n", 256'000'000, 0.05},
        Case{"ring_all_reduce_oversubscribed_2_to_1",
             LEAF_SPINE("2", "16") "collective: {op: all_reduce, algorithm: ring}\n", 64'000'000, 0.15},
        Case{"ring_all_reduce_oversubscribed_4_to_1",
             LEAF_SPINE("4", "16") "collective: {op: all_reduce, algorithm: ring}\n", 64'000'000, 0.15},
        Case{"pairwise_alltoall_oversubscribed_2_to_1",
             LEAF_SPINE("2", "8") "collective: {op: alltoall, algorithm: pairwise}\n", 64'000'000, 0.15},
        Case{
            "direct_alltoall_fat_tree_ecmp_collisions",
            FAT_TREE(
                "{kind: infiniband, load_balancing: ecmp}") "collective: {op: alltoall, algorithm: direct}\n",
            64'000'000, 0.15},
        Case{"pipelined_reduce_oversubscribed_2_to_1",
             LEAF_SPINE("2", "8") "collective: {op: reduce, algorithm: pipeline}\n", 64'000'000, 0.15},
        Case{"halving_doubling_fat_tree_ecmp_collisions",
             FAT_TREE("{kind: roce}") "collective: {op: all_reduce, algorithm: halving_doubling}\n",
             64'000'000, 0.15}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace aifabric

namespace aifabric {
namespace {

TEST(FlowLevelSimulate, OneFlowTakesItsIdealTimeAndTheRunIsDeterministic) {
  // A 100 MB flow alone on a 4-hop 100G path: the fluid flow moves its bytes at 100G x 4096/4178 and
  // arrives one path latency later, which is the packet engine's closed form to within one packet time.
  const auto sc = io::load_scenario_text(R"(
fidelity: flow
topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 2, link: {rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}
traffic: [{kind: flows, flows: [{src: 0, dst: 3, size_bytes: 100MB}]}]
)",
                                         "test.yaml");
  const auto r = api::run(sc);
  ASSERT_TRUE(r.stats.all_completed);
  const auto& f = r.flows.at(0);
  EXPECT_NEAR(static_cast<double>(f.finish_ps - f.start_ps) / static_cast<double>(f.ideal_ps), 1.0, 0.005);
  EXPECT_EQ(api::run(sc).stats.fingerprint, r.stats.fingerprint);
  // Every byte crossed the source's host link once.
  EXPECT_EQ(r.ports.at(0).counters.tx_data_bytes, 100'000'000u);
}

TEST(FlowLevelSimulate, EcmpCollisionsShowAtFlowLevelToo) {
  // The fat-tree permutation at flow level takes the packet engine's ECMP paths: flows that share a
  // link get a share of it, so some flows finish well after their ideal time, and far fewer events run.
  auto sc = io::load_scenario("example:fat_tree_permutation");
  const auto packet = api::run(sc);
  sc.fidelity = api::NetworkModel::kFlow;
  const auto flow = api::run(sc);
  ASSERT_TRUE(flow.stats.all_completed);
  EXPECT_GE(flow.slowdown.max, 1.8);
  EXPECT_LT(flow.stats.events * 100, packet.stats.events);
  std::printf("fat-tree permutation: max FCT packet %.1f us, flow %.1f us\n", packet.fct_us.max,
              flow.fct_us.max);
}

}  // namespace
}  // namespace aifabric
