// Jobs on a fabric: oversubscription and failures slow training down; jobs that share no link do not slow
// each other; jobs that share a congested spine do.
#include "api/assess.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "io/scenario_loader.hpp"
#include "io/writers.hpp"

namespace aifabric {
namespace {

// Two leaves of 16 GPUs (two 8-GPU servers each) at 100G. `jobs` is the YAML list of jobs.
std::string fabric(double oversubscription, const std::string& failed, const std::string& jobs) {
  return fmt::format(R"(
fabric: {{kind: roce}}
topology:
  kind: leaf_spine
  leaves: 2
  hosts_per_leaf: 16
  spines: 2
  oversubscription: {}
  link: {{rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}
  {}
cluster: {{gpu: h100, gpus_per_server: 8}}
jobs:
{}
)",
                     oversubscription, failed, jobs);
}

const char* kModel =
    "model: {layers: 4, hidden: 2048, heads: 16, ffn_hidden: 8192, seq_len: 2048, vocab: 32000}";

std::string job(const std::string& name, const std::string& placement, std::uint32_t dp) {
  return fmt::format(
      "  - name: {}\n    {}\n    {}\n    parallelism: {{tp: 8, dp: {}, micro_batches: 1, dp_buckets: 2}}\n",
      name, placement, kModel, dp);
}

// The placement of a job on the 16 GPUs of servers s0 and s1.
std::string servers(int s0, int s1) {
  std::string list;
  for (int s : {s0, s1})
    for (int g = 0; g < 8; ++g) list += (list.empty() ? "" : ", ") + std::to_string(8 * s + g);
  return "gpu_list: [" + list + "]";
}

double iteration_s(const std::string& yaml, std::size_t job_index = 0) {
  const auto a = api::assess(io::load_scenario_text(yaml, "test.yaml"));
  EXPECT_TRUE(a.jobs[job_index].fabric.complete);
  return core::ps_to_sec(a.jobs[job_index].fabric.iteration_ps);
}

TEST(Assess, OversubscriptionAndFailuresSlowTrainingDown) {
  // One job on all 32 GPUs, DP = 4: its gradient rings cross between the leaves.
  const std::string all = job("train", "first_gpu: 0", 4);
  const double full = iteration_s(fabric(1, "", all));
  const double half = iteration_s(fabric(2, "", all));
  // Four of leaf0's links to spine0 out of service (with 2:1, that is every link leaf0 has to spine0).
  const double failed = iteration_s(fabric(2,
                                           "failed_links: [{a: leaf0, b: spine0}, {a: leaf0, b: spine0}, "
                                           "{a: leaf0, b: spine0}, {a: leaf0, b: spine0}]",
                                           all));
  std::printf("iteration: 1:1 %.3f ms, 2:1 %.3f ms, 2:1 without spine0 at leaf0 %.3f ms\n", full * 1e3,
              half * 1e3, failed * 1e3);
  EXPECT_GT(half, full);
  EXPECT_GT(failed, half);
}

TEST(Assess, JobsOnDisjointLinksDoNotSlowEachOther) {
  // Job A on leaf0's two servers, job B on leaf1's: their data-parallel traffic never leaves its leaf.
  const std::string jobs =
      job("a", "first_gpu: 0\n    gpus: 16", 2) + job("b", "first_gpu: 16\n    gpus: 16", 2);
  const auto a = api::assess(io::load_scenario_text(fabric(4, "", jobs), "test.yaml"));
  for (const auto& j : a.jobs) {
    EXPECT_EQ(j.fabric.iteration_ps, j.alone.iteration_ps) << j.name;
    EXPECT_DOUBLE_EQ(j.slowdown_from_others, 0.0) << j.name;
  }
}

TEST(Assess, JobsSharingACongestedSpineSlowEachOther) {
  // Job A on servers 0 (leaf0) and 2 (leaf1), job B on servers 1 (leaf0) and 3 (leaf1): both jobs' rings
  // cross between the leaves over the same 4:1 oversubscribed uplinks.
  const std::string jobs = job("a", servers(0, 2), 2) + job("b", servers(1, 3), 2);
  const auto a = api::assess(io::load_scenario_text(fabric(4, "", jobs), "test.yaml"));
  for (const auto& j : a.jobs) {
    std::printf("job %s: shared %.3f ms, alone %.3f ms (%+.1f%%)\n", j.name.c_str(),
                core::ps_to_sec(j.fabric.iteration_ps) * 1e3, core::ps_to_sec(j.alone.iteration_ps) * 1e3,
                100 * j.slowdown_from_others);
    EXPECT_GT(j.slowdown_from_others, 0.01) << j.name;
  }
}

TEST(Assess, ResultsDoNotDependOnTheThreads) {
  // Two jobs sharing the spine: the shared run and each job's two runs alone (five
  // runs) on one, two and three threads give the same JSON, byte for byte.
  const auto sc = io::load_scenario_text(
      fabric(4, "", job("a", servers(0, 2), 2) + job("b", servers(1, 3), 2)), "test.yaml");
  const std::string one = io::assess_json(sc, api::assess(sc, nullptr, 0, 1));
  EXPECT_NE(one.find("\"slowdown_from_other_jobs\""), std::string::npos);
  for (unsigned threads : {2u, 3u})
    EXPECT_EQ(io::assess_json(sc, api::assess(sc, nullptr, 0, threads)), one) << threads << " threads";
}

}  // namespace
}  // namespace aifabric
