// Every kind of bad input gives one InputError naming the file, line and field, and what was expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"
#include "net/simulation.hpp"
#include "plan/planner.hpp"

namespace aifabric::io {
namespace {

// Each file of tests/bad_input is a scenario that must be refused, with its expectation in comments at its
// end (so they do not shift its line numbers):
//   # location: test.yaml:LINE:COL: FIELD   (or test.yaml: FIELD when the value has no line)
//   # expected: what the message must say
//   # command: plan                          (optional: the request goes to `aifabric plan`)
// The message must start with the file and line, name the field, and contain the expected text; the column
// is not checked (it points into flow mappings).
struct Case {
  std::string name, yaml, location, expected;
  bool plan = false;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

std::vector<Case> bad_inputs() {
  std::vector<Case> cases;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(AIFABRIC_SOURCE_DIR) + "/tests/bad_input")) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    Case c{entry.path().stem().string(), text.str(), "", ""};
    std::istringstream lines(c.yaml);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("# location: ", 0) == 0) c.location = line.substr(12);
      if (line.rfind("# expected: ", 0) == 0) c.expected = line.substr(12);
      if (line == "# command: plan") c.plan = true;
    }
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

class BadInput : public ::testing::TestWithParam<Case> {};

TEST_P(BadInput, NamesTheFieldAndWhatWasExpected) {
  const Case& c = GetParam();
  ASSERT_FALSE(c.location.empty()) << c.name << ": no '# location:' line";
  ASSERT_FALSE(c.expected.empty()) << c.name << ": no '# expected:' line";
  try {
    if (c.plan)
      plan::run_plan(read_yaml(c.yaml, "test.yaml"), "test.yaml");
    else
      load_scenario_text(c.yaml, "test.yaml");
    FAIL() << "no error for " << c.name;
  } catch (const core::InputError& e) {
    const std::string msg = e.what();
    const std::size_t first = c.location.find(':');
    const bool has_line =
        c.location.size() > first + 1 && std::isdigit(static_cast<unsigned char>(c.location[first + 1]));
    const std::string file_line = has_line ? c.location.substr(0, c.location.find(':', first + 1) + 1)
                                           : c.location.substr(0, first + 1);
    const std::string field = c.location.substr(c.location.rfind(": ") + 2);
    EXPECT_EQ(msg.rfind(file_line, 0), 0u) << "message: " << msg;
    EXPECT_NE(msg.find(" " + field + ": "), std::string::npos) << "message: " << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "message: " << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Scenario, BadInput, ::testing::ValuesIn(bad_inputs()),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return param_info.param.name;
                         });

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
