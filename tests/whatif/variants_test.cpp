#include "whatif/variants.hpp"

#include <gtest/gtest.h>

#include "io/scenario_loader.hpp"

namespace aifabric::whatif {
namespace {

api::Scenario with(const std::string& path, const std::string& value) {
  io::Node doc = io::scenario_document("example:fat_tree_permutation");
  apply_override(doc, path, value);
  return io::load_scenario_document(doc, "v");
}

TEST(Variants, OverrideNestedKeysAndListItems) {
  EXPECT_EQ(with("fabric.load_balancing", "spray").fabric.load_balancing, routing::LoadBalancing::kSpray);
  EXPECT_EQ(with("traffic[0].size_bytes", "1MB").flows.front().size_bytes, 1'000'000u);
  EXPECT_EQ(with("topology.k", "4").topology.hosts.size(), 16u);
  // A key that is not there yet is created, then checked by the loader like any other.
  EXPECT_EQ(with("fabric.ecn.kmin_bytes", "1000").fabric.ecn.kmin_bytes, 1000u);
}

TEST(Variants, EveryCombinationOnceTheLastVaryFastest) {
  const auto v = variants(io::scenario_document("example:fat_tree_permutation"),
                          {"fabric.load_balancing=ecmp,spray", "traffic[0].size_bytes=1MB,2MB,{x: 1}"});
  // 1 baseline + 2 x 3 combinations.
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v[0].label, "baseline");
  EXPECT_EQ(v[1].label, "fabric.load_balancing=ecmp traffic[0].size_bytes=1MB");
  EXPECT_EQ(v[3].label, "fabric.load_balancing=ecmp traffic[0].size_bytes={x: 1}");
  EXPECT_EQ(v[6].label, "fabric.load_balancing=spray traffic[0].size_bytes={x: 1}");
  EXPECT_TRUE(v[3].document["traffic"][0]["size_bytes"].is_map());
}

// Every malformed --vary is one InputError naming the path, never another exception.
TEST(Variants, MalformedPathsAreInputErrors) {
  const io::Node base = io::scenario_document("example:fat_tree_permutation");
  const std::pair<const char*, const char*> cases[] = {
      {"traffic[x].size_bytes=1",
       "--vary: traffic[x].size_bytes: expected a list index such as [0], got [x]"},
      {"traffic[-1].size_bytes=1",
       "--vary: traffic[-1].size_bytes: expected a list index such as [0], got [-1]"},
      {"traffic[99999999999999999999999].size_bytes=1",
       "--vary: traffic[99999999999999999999999].size_bytes: expected a list index such as [0], got "
       "[99999999999999999999999]"},
      {"traffic[7].size_bytes=1", "--vary: traffic[7].size_bytes: no list item [7] there"},
      {"traffic[0=1", "--vary: traffic[0: unclosed [ in the path"},
      {"traffic[0]x=1", "--vary: traffic[0]x: expected '.' or '[' after ']' in the path"},
      {"=1", "--vary: =1: expected PATH=VALUE[,VALUE...]"},
      {"fabric", "--vary: fabric: expected PATH=VALUE[,VALUE...]"},
      {"a..b=1", "--vary: a..b: empty key in the path"},
      {".a=1", "--vary: .a: empty key in the path"},
      {"a.=1", "--vary: a.: empty key in the path"},
      {"topology.kind.x=1", "--vary: topology.kind.x: 'x' is under a value that is not a mapping"},
      {"topology.k=[1", "--vary topology.k:1:1: (syntax): not valid YAML: end of sequence flow not found"},
  };
  for (const auto& [vary, message] : cases) {
    try {
      variants(base, {vary});
      ADD_FAILURE() << vary << " was accepted";
    } catch (const core::InputError& e) {
      EXPECT_STREQ(e.what(), message) << vary;
    }
  }
}

}  // namespace
}  // namespace aifabric::whatif
