// What-if studies: each variant against the baseline, with the diffs derived once.
#include "whatif/study.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "io/scenario_loader.hpp"

namespace aifabric::whatif {
namespace {

TEST(Study, JobDiffsAgainstTheBaseline) {
  const auto st = run_study(io::scenario_document("example:llama70b_h100_256"), "example",
                            {"topology.link.rate_gbps=400,200"}, std::nullopt, 2);
  ASSERT_TRUE(st.assessed);
  ASSERT_EQ(st.jobs.size(), 3u);  // baseline, 400, 200
  EXPECT_EQ(st.jobs[0].vs_baseline_pct, 0.0);
  EXPECT_EQ(st.jobs[1].iteration_s, st.jobs[0].iteration_s) << "400G is the baseline's rate";
  const auto& slow = st.jobs[2];
  EXPECT_GT(slow.vs_baseline_pct, 0.0) << "half the NIC rate, longer exposed communication";
  // The cost of the slower variant in GPU time: 256 GPUs x $2.50/h x (1 - baseline / variant).
  EXPECT_NEAR(slow.cost_vs_baseline_usd_per_hour, 256 * 2.5 * (1 - st.jobs[0].iteration_s / slow.iteration_s),
              1e-9);
  EXPECT_NEAR(slow.vs_baseline_pct, 100 * (slow.iteration_s / st.jobs[0].iteration_s - 1), 1e-9);
  const std::string csv = study_csv(st);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;
}

TEST(Study, FlowDiffsForTrafficScenarios) {
  const auto st = run_study(io::scenario_document("example:dumbbell_explicit"), "example",
                            {"fabric.load_balancing=ecmp,spray"}, std::nullopt, 2);
  ASSERT_FALSE(st.assessed);
  ASSERT_EQ(st.flows.size(), 3u);
  EXPECT_EQ(st.flows[0].p99_vs_baseline_pct, 0.0);
  EXPECT_EQ(st.flows[1].fct_p99_us, st.flows[0].fct_p99_us) << "ecmp is the baseline's routing";
}

TEST(Study, AVariantMustKeepTheBaselinesWorkloads) {
  EXPECT_THROW(
      run_study(io::scenario_document("example:llama70b_h100_256"), "example", {"jobs=[]"}, std::nullopt, 1),
      core::InputError);
}

}  // namespace
}  // namespace aifabric::whatif
