// Independent runs in parallel give exactly what they give one after another; variants are built by
// overriding YAML paths.
#include "api/parallel.hpp"

#include <gtest/gtest.h>

#include "api/run.hpp"
#include "core/error.hpp"
#include "io/scenario_loader.hpp"

namespace aifabric {
namespace {

TEST(Parallel, RunsMatchSerialRunsExactly) {
  std::vector<api::Scenario> scenarios;
  for (int seed = 1; seed <= 6; ++seed)
    scenarios.push_back(io::load_scenario("example:poisson_websearch", seed));
  const auto parallel = api::run_all(scenarios, 2);
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const auto serial = api::run(scenarios[i]);
    EXPECT_EQ(parallel[i].stats.fingerprint, serial.stats.fingerprint) << "variant " << i;
    EXPECT_EQ(parallel[i].stats.events, serial.stats.events);
  }
  EXPECT_NE(parallel[0].stats.fingerprint, parallel[1].stats.fingerprint)
      << "different seeds, different runs";
}

TEST(Parallel, AFailingTaskIsReportedAfterTheOthersFinish) {
  std::vector<int> done(8, 0);
  EXPECT_THROW(api::parallel_for(8, 2,
                                 [&](std::size_t i) {
                                   if (i == 3) throw std::runtime_error("task 3");
                                   done[i] = 1;
                                 }),
               std::runtime_error);
  EXPECT_EQ(std::count(done.begin(), done.end(), 1), 7);
}

TEST(Variants, OverrideNestedKeysAndListItems) {
  const std::string base = io::scenario_text("example:fat_tree_permutation");
  const auto spray = io::load_scenario_text(io::with_override(base, "fabric.load_balancing", "spray"), "v");
  EXPECT_EQ(spray.fabric.load_balancing, routing::LoadBalancing::kSpray);
  const auto small = io::load_scenario_text(io::with_override(base, "traffic[0].size_bytes", "1MB"), "v");
  EXPECT_EQ(small.flows.front().size_bytes, 1'000'000u);
  const auto k4 = io::load_scenario_text(io::with_override(base, "topology.k", "4"), "v");
  EXPECT_EQ(k4.topology.hosts.size(), 16u);
  try {
    io::with_override(base, "traffic[7].size_bytes", "1MB");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_STREQ(e.what(), "--vary: traffic[7].size_bytes: no list item [7] there");
  }
}

}  // namespace
}  // namespace aifabric
