// What-if studies: each variant against the baseline, with the diffs derived once.
#include "whatif/study.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "io/scenario_loader.hpp"
#include "whatif/variants.hpp"

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

// Shards of a study (what each process of `mpirun aifabric sweep` runs): their outcomes, passed through
// outcome_json as process 0 receives them, and their files give the same diffs and bytes as one process.
void expect_shards_equal_one_run(const std::string& example, const std::string& vary,
                                 std::optional<api::NetworkModel> fidelity) {
  const auto vs = variants(io::scenario_document(example), {vary});
  const auto whole = run_study(vs, "example", fidelity, 1);
  auto first = run_study(vs, "example", fidelity, 1, Shard{0, 2});
  const auto second = run_study(vs, "example", fidelity, 1, Shard{1, 2});
  EXPECT_TRUE(first.jobs.empty() && first.flows.empty()) << "no diffs before every outcome is known";
  for (std::size_t i = 0; i < vs.size(); ++i) {
    ASSERT_NE(first.ran[i], second.ran[i]) << "each variant runs in exactly one shard";
    EXPECT_EQ(first.ran[i], i % 2 == 0);
    if (first.ran[i]) continue;
    first.outcomes[i] = outcome_from_json(outcome_json(second.outcomes[i]));
    first.received[i] = variant_files(second, i);
    first.ran[i] = true;
  }
  compare_study(first);
  EXPECT_EQ(study_csv(first), study_csv(whole));
  EXPECT_EQ(links_csv(first), links_csv(whole));
  EXPECT_EQ(whatif_text(first, 0), whatif_text(whole, 0));
  for (std::size_t i = 0; i < vs.size(); ++i)
    EXPECT_EQ(variant_files(first, i), variant_files(whole, i)) << i;
}

TEST(Study, ShardsGiveTheSameAnswerAsOneProcess) {
  expect_shards_equal_one_run("example:two_jobs_shared_spine", "fabric.load_balancing=ecmp,spray,adaptive",
                              api::NetworkModel::kFlow);
  expect_shards_equal_one_run("example:dumbbell_explicit", "fabric.load_balancing=ecmp,spray", std::nullopt);
}

TEST(Study, OutcomeRoundTripsExactly) {
  Outcome o;
  o.jobs.push_back({"a", "", 16, 123456789012345, true, 0.1 + 0.2, 1.0 / 3.0, 2.5e-17, 1e300});
  o.services.push_back({"chat", "GPU 3 out", 8, 363.4241, 2.068, true, false});
  o.flows = 7, o.flows_completed = 6, o.fct_p99_us = 0.1, o.drops = ~std::uint64_t{0};
  o.ports.push_back({"leaf0->spine1", 0.7000000000000001, 12345.678});
  o.wall_seconds = 0.25;
  const auto back = outcome_from_json(outcome_json(o));
  EXPECT_EQ(outcome_json(back), outcome_json(o));
  EXPECT_EQ(back.jobs[0].utilization, 0.1 + 0.2);
  EXPECT_EQ(back.jobs[0].tokens_per_s, 1.0 / 3.0);
  EXPECT_EQ(back.drops, ~std::uint64_t{0});
  EXPECT_EQ(back.ports[0].utilization, 0.7000000000000001);
}

TEST(Study, AVariantMustKeepTheBaselinesWorkloads) {
  EXPECT_THROW(
      run_study(io::scenario_document("example:llama70b_h100_256"), "example", {"jobs=[]"}, std::nullopt, 1),
      core::InputError);
}

}  // namespace
}  // namespace aifabric::whatif
