// Independent runs in parallel give exactly what they give one after another.
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

}  // namespace
}  // namespace aifabric
