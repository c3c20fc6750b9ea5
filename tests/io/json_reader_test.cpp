// One declaration, two front ends: a scenario given as JSON loads exactly as the same scenario in YAML,
// with the same defaults, ranges and errors.
#include "io/json_reader.hpp"

#include <gtest/gtest.h>

#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"

namespace aifabric::io {
namespace {

const char* kJson = R"({"fabric": {"kind": "roce", "pfc": {"enabled": true}},
  "topology": {"kind": "leaf_spine", "leaves": 2, "hosts_per_leaf": 4, "link": {"rate_gbps": 100}},
  "traffic": [{"kind": "permutation", "size_bytes": "2MB"}], "seed": 7})";
const char* kYaml = R"(fabric: {kind: roce, pfc: {enabled: true}}
topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 4, link: {rate_gbps: 100}}
traffic: [{kind: permutation, size_bytes: 2MB}]
seed: 7
)";

TEST(JsonFrontEnd, LoadsAsTheSameScenarioInYaml) {
  const auto j = load_scenario_document(read_json(kJson, "request"), "request");
  const auto y = load_scenario_document(read_yaml(kYaml, "file.yaml"), "file.yaml");
  ASSERT_EQ(j.flows.size(), y.flows.size());
  for (std::size_t i = 0; i < j.flows.size(); ++i) {
    EXPECT_EQ(j.flows[i].src, y.flows[i].src);
    EXPECT_EQ(j.flows[i].dst, y.flows[i].dst);
    EXPECT_EQ(j.flows[i].size_bytes, 2'000'000u);
  }
  EXPECT_EQ(j.run.seed, 7u);
  EXPECT_EQ(j.topology.hosts.size(), 8u);
  EXPECT_TRUE(j.fabric.pfc.enabled);
  EXPECT_EQ(j.fabric.ecn.kmin_bytes, y.fabric.ecn.kmin_bytes) << "defaults from the same declaration";
}

TEST(JsonFrontEnd, ErrorsNameTheFieldAsInYaml) {
  try {
    load_scenario_document(
        read_json(R"({"topology": {"kind": "leaf_spine", "link": {"rate_gbps": -5}}})", "req"), "req");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_STREQ(e.what(), "req: topology.link.rate_gbps: expected a value in [0.001, 1000000], got -5");
    EXPECT_EQ(e.where().field, "topology.link.rate_gbps");
    const std::string json = e.to_json();
    EXPECT_NE(json.find(R"("field":"topology.link.rate_gbps")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("expected":"expected a value in [0.001, 1000000], got -5")"), std::string::npos)
        << json;
  }
  EXPECT_THROW(read_json("{\"topology\": ", "req"), core::InputError);
  EXPECT_THROW(read_json("-444444444422E2222", "req"), core::InputError) << "a number out of range (fuzzer)";
  EXPECT_THROW(load_scenario_document(read_json("[1, 2]", "req"), "req"), core::InputError);
  EXPECT_THROW(load_scenario_document(read_json(R"({"seed": true})", "req"), "req"), core::InputError);
}

TEST(YamlFrontEnd, DuplicateKeysAndDeepNestingAreRefused) {
  EXPECT_THROW(read_yaml("seed: 1\nseed: 2\n", "f"), core::InputError);
  EXPECT_THROW(read_yaml(std::string(200, '[') + std::string(200, ']'), "f"), core::InputError);
  EXPECT_THROW(read_json(std::string(200, '[') + std::string(200, ']'), "f"), core::InputError);
}

}  // namespace
}  // namespace aifabric::io
