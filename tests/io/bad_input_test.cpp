// Every kind of bad input gives one InputError naming the file, line and field, and what was expected.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "io/scenario_loader.hpp"
#include "net/simulation.hpp"

namespace aifabric::io {
namespace {

const char* kGood = R"(name: ok
fabric: {kind: roce}
topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 4}
traffic: [{kind: permutation, size_bytes: 1MB}]
)";

// A 32-GPU cluster with one training job; cases append its parallelism.
const char* kJobs = R"(name: jobs
fabric: {kind: roce}
topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 16}
cluster: {gpu: h100}
jobs:
  - name: train
    gpu_efficiency: 0.5
    model: {layers: 4, hidden: 2048, heads: 16, seq_len: 2048, vocab: 32000}
)";

struct Case {
  const char* name;
  std::string yaml;
  std::string location;  // "test.yaml:LINE:COL: field": the message starts with file:line and names the field
  std::string expected;  // what the message must say
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, NamesTheFieldAndWhatWasExpected) {
  const Case& c = GetParam();
  try {
    load_scenario_text(c.yaml, "test.yaml");
    FAIL() << "no error for " << c.name;
  } catch (const core::InputError& e) {
    const std::string msg = e.what();
    // The column is checked loosely (it points into the flow mapping); file, line and field exactly.
    const std::string file_line = c.location.substr(0, c.location.find(':', c.location.find(':') + 1) + 1);
    const std::string field = c.location.substr(c.location.rfind(": ") + 2);
    EXPECT_EQ(msg.rfind(file_line, 0), 0u) << "message: " << msg;
    EXPECT_NE(msg.find(" " + field + ": "), std::string::npos) << "message: " << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "message: " << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Scenario, BadInput,
    ::testing::Values(
        Case{"unknown_top_key", std::string(kGood) + "colour: blue\n", "test.yaml:5:1: colour",
             "unknown key; expected one of"},
        Case{"unknown_nested_key", replace(kGood, "{kind: roce}", "{kind: roce, pfcc: {}}"),
             "test.yaml:2:22: fabric.pfcc", "unknown key"},
        Case{"unknown_topology_key", replace(kGood, "leaves: 2", "leafs: 2"),
             "test.yaml:3:33: topology.leafs", "unknown key"},
        Case{"wrong_type", replace(kGood, "leaves: 2", "leaves: two"), "test.yaml:3:41: topology.leaves",
             "expected a number, got 'two'"},
        Case{"wrong_type_mapping", replace(kGood, "fabric: {kind: roce}", "fabric: roce"),
             "test.yaml:2:9: fabric", "expected a mapping"},
        Case{"negative_rate",
             replace(kGood, "hosts_per_leaf: 4}", "hosts_per_leaf: 4, link: {rate_gbps: -100}}"),
             "test.yaml:3:78: topology.link.rate_gbps", "expected a value in (0, 1000000], got -100"},
        Case{"zero_rate",
             replace(kGood, "hosts_per_leaf: 4}", "hosts_per_leaf: 4, tiers: {spine: {rate_gbps: 0}}}"),
             "test.yaml:3:89: topology.tiers.spine.rate_gbps", "expected a value in (0, 1000000], got 0"},
        Case{"bad_choice", replace(kGood, "{kind: roce}", "{kind: token_ring}"),
             "test.yaml:2:17: fabric.kind", "expected one of roce | infiniband | ethernet, got 'token_ring'"},
        Case{"bad_bytes", replace(kGood, "size_bytes: 1MB", "size_bytes: 1 megabyte"),
             "test.yaml:4:44: traffic[0].size_bytes", "expected a byte count"},
        Case{"odd_fat_tree", "topology: {kind: fat_tree, k: 7}\ntraffic: [{kind: permutation}]\n",
             "test.yaml:1:11: topology.k", "must be an even number >= 2, got 7"},
        Case{"oversubscription_not_whole",
             replace(kGood, "hosts_per_leaf: 4}", "hosts_per_leaf: 4, oversubscription: 3}"),
             "test.yaml:3:11: topology.oversubscription", "expected a whole number >= 1"},
        Case{"unreachable_host",
             "topology:\n  kind: explicit\n  nodes: [{name: a, kind: host}, {name: b, kind: host}, {name: s, "
             "kind: switch},"
             " {name: t, kind: switch}]\n  links: [{a: a, b: s}, {a: b, b: t}]\ntraffic: [{kind: "
             "permutation}]\n",
             "test.yaml:4:10: topology.links", "host 'b' is unreachable from host 'a'"},
        Case{"unknown_link_end",
             "topology:\n  kind: explicit\n  nodes: [{name: a, kind: host}, {name: s, kind: switch}]\n"
             "  links: [{a: a, b: x}]\ntraffic: [{kind: permutation}]\n",
             "test.yaml:4:19: topology.links[0].b", "no node named 'x'"},
        Case{"host_on_two_switches",
             "topology:\n  kind: explicit\n  nodes: [{name: a, kind: host}, {name: b, kind: host}, {name: s, "
             "kind: switch},"
             " {name: t, kind: switch}]\n  links: [{a: a, b: s}, {a: a, b: t}, {a: b, b: s}, {a: s, b: t}]\n"
             "traffic: [{kind: permutation}]\n",
             "test.yaml:4:10: topology.links", "host 'a' has 2 links"},
        Case{"flow_to_itself",
             replace(kGood, "[{kind: permutation, size_bytes: 1MB}]",
                     "[{kind: flows, flows: [{src: 1, dst: 1, size_bytes: 10}]}]"),
             "test.yaml:4:45: traffic[0].flows[0].dst", "two different hosts"},
        Case{"host_out_of_range",
             replace(kGood, "[{kind: permutation, size_bytes: 1MB}]",
                     "[{kind: flows, flows: [{src: 0, dst: 8, size_bytes: 10}]}]"),
             "test.yaml:4:45: traffic[0].flows[0].dst", "host index must be in [0, 8), got 8"},
        Case{"unknown_host_name",
             replace(kGood, "[{kind: permutation, size_bytes: 1MB}]", "[{kind: incast, receiver: gpu9}]"),
             "test.yaml:4:29: traffic[0].receiver", "no host named 'gpu9'"},
        Case{"too_many_senders",
             replace(kGood, "[{kind: permutation, size_bytes: 1MB}]", "[{kind: incast, senders: 8}]"),
             "test.yaml:4:34: traffic[0].senders", "expected at most 7 senders"},
        Case{"unknown_traffic_kind", replace(kGood, "kind: permutation", "kind: broadcast"),
             "test.yaml:4:17: traffic[0].kind", "expected one of flows, permutation"},
        Case{"missing_topology", "traffic: [{kind: permutation}]\n", "test.yaml: topology", "missing"},
        Case{"missing_traffic", "topology: {kind: fat_tree, k: 4}\n", "test.yaml: traffic", "missing"},
        Case{"pfc_on_infiniband", replace(kGood, "{kind: roce}", "{kind: infiniband, pfc: {enabled: true}}"),
             "test.yaml:2:47: fabric.pfc.enabled", "lossless through credits"},
        Case{"ecn_thresholds_inverted",
             replace(kGood, "{kind: roce}", "{kind: roce, ecn: {kmin_bytes: 500KB, kmax_bytes: 100KB}}"),
             "test.yaml:2:27: fabric.ecn.kmax_bytes", "must be greater than kmin_bytes"},
        Case{"dwrr_quantum_too_small",
             replace(kGood, "{kind: roce}", "{kind: roce, scheduler: dwrr, dwrr_data_quantum_bytes: 1000}"),
             "test.yaml:2:9: fabric.dwrr_data_quantum_bytes", "must hold one full packet"},
        Case{"parallelism_does_not_divide", std::string(kJobs) + "    parallelism: {tp: 8, pp: 2, dp: 3}\n",
             "test.yaml:9:18: jobs[0].parallelism",
             "tp x pp x dp = 8 x 2 x 3 = 48 must equal the job's 32 GPUs"},
        Case{"model_does_not_fit",
             replace(std::string(kJobs), "layers: 4", "layers: 400") + "    parallelism: {tp: 1, dp: 32}\n",
             "test.yaml:8:12: jobs[0].model", "more than the h100's 80 GB"},
        Case{"duplicate_rank",
             std::string(kJobs) + "    gpu_list: [0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15]\n"
                                  "    parallelism: {tp: 8, dp: 2}\n",
             "test.yaml:9:15: jobs[0].gpu_list", "GPU 0 appears twice"},
        Case{"tp_straddles_servers",
             std::string(kJobs) + "    first_gpu: 4\n    gpus: 8\n    parallelism: {tp: 8}\n",
             "test.yaml:9:16: jobs[0].first_gpu", "straddles servers"},
        Case{"unknown_gpu_preset",
             replace(std::string(kJobs), "gpu: h100", "gpu: b900") + "    parallelism: {tp: 8, dp: 4}\n",
             "test.yaml:4:16: cluster.gpu", "unknown GPU preset 'b900'; expected one of: a100, h100, h200"},
        Case{"hierarchical_uneven",
             "topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 16}\ncluster: {gpu: h100}\n"
             "collective: {op: all_reduce, algorithm: hierarchical, first_gpu: 4, gpu_count: 20}\n",
             "test.yaml:3:13: collective", "hierarchical needs the same number of ranks on every server"},
        Case{"malformed_yaml", "topology: {kind: fat_tree, k: 4\ntraffic: []\n", "test.yaml:2:8: (syntax)",
             "not valid YAML"}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return std::string(param_info.param.name); });

TEST(BadInputFiles, MissingFileIsNamed) {
  try {
    load_scenario("/nonexistent/scenario.yaml");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/scenario.yaml: cannot open scenario file (missing or unreadable)");
  }
}

TEST(BadInputFiles, UnknownExampleListsTheKnownOnes) {
  try {
    load_scenario("example:nope");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("leaf_spine_incast"), std::string::npos) << e.what();
  }
}

TEST(BadInputFiles, InfinibandBufferTooSmallForOnePacketPerLane) {
  // Found when the loader instantiates the fabric: 16 KB over a leaf's 8 ports leaves less than one packet
  // for the control lane. The message names the file, the topology's line and the tier's field.
  try {
    load_scenario_text(
        "fabric: {kind: infiniband}\ntopology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 4, switch: "
        "{buffer_bytes: 16KB}}\n"
        "traffic: [{kind: permutation}]\n",
        "test.yaml");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("test.yaml:2:11: topology.tiers.leaf.buffer_bytes: InfiniBand needs", 0),
        0u)
        << e.what();
  }
}

}  // namespace
}  // namespace aifabric::io

namespace aifabric::io {
namespace {

TEST(StorageTraffic, CheckpointsWriteAndDataLoadingReads) {
  // 4 GPU hosts and 2 storage hosts after them: writes go GPU -> storage round robin, reads the other way.
  const char* yaml = R"(
topology: {kind: leaf_spine, leaves: 1, hosts_per_leaf: 6}
traffic:
  - {kind: checkpoint, first_host: 0, host_count: 4, storage_hosts: 2, size_bytes: 1MB, repeat: 2, interval_us: 100}
  - {kind: checkpoint, first_host: 0, host_count: 4, storage_hosts: 2, size_bytes: 2MB, direction: read}
)";
  const auto sc = load_scenario_text(yaml, "test.yaml");
  ASSERT_EQ(sc.flows.size(), 12u);
  EXPECT_EQ(sc.flows[0].src, 0u);
  EXPECT_EQ(sc.flows[0].dst, 4u);
  EXPECT_EQ(sc.flows[1].dst, 5u);
  EXPECT_EQ(sc.flows[4].start_ps, 100'000'000);
  EXPECT_EQ(sc.flows[8].src, 4u);
  EXPECT_EQ(sc.flows[8].dst, 0u);
  EXPECT_EQ(sc.flows[8].size_bytes, 2'000'000u);
}

}  // namespace
}  // namespace aifabric::io
