// Golden scenarios: every built-in example has an expected event fingerprint (exact) and metrics (within a
// stated tolerance) in tests/golden/<name>.json. AIFABRIC_UPDATE_GOLDEN=1 rewrites them after an intended
// change of behaviour; review the diff before committing it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/collective_sweep.hpp"
#include "api/execute.hpp"
#include "api/run.hpp"
#include "io/examples.hpp"
#include "io/scenario_loader.hpp"
#include "io/scenario_schemas.hpp"
#include "io/writers.hpp"
#include "plan/request.hpp"

namespace aifabric::io {
namespace {

const std::string kGoldenDir = std::string(AIFABRIC_SOURCE_DIR) + "/tests/golden/";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json metrics(const api::Result& r) {
  return {{"fingerprint", fmt::format("{:016x}", r.stats.fingerprint)},
          {"events", r.stats.events},
          {"flows_completed", r.flows_completed},
          {"simulated_time_us", core::ps_to_us(r.stats.end_ps)},
          {"fct_p50_us", r.fct_us.p50},
          {"fct_p99_us", r.fct_us.p99},
          {"drops", r.drops},
          {"pause_frames", r.pause_frames},
          {"ecn_marks", r.ecn_marks}};
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesFingerprintAndMetrics) {
  const auto sc = load_scenario("example:" + GetParam());
  const auto r = api::run(sc);
  const auto got = metrics(r);
  const std::string path = kGoldenDir + GetParam() + ".json";
  if (std::getenv("AIFABRIC_UPDATE_GOLDEN")) {
    write_file_atomic(path, got.dump(2) + "\n");
    GTEST_SKIP() << "rewrote " << path;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " missing; run with AIFABRIC_UPDATE_GOLDEN=1";
  const auto want = nlohmann::json::parse(read(path));
  EXPECT_EQ(got["fingerprint"], want["fingerprint"]) << "the event sequence changed";
  for (const char* exact : {"events", "flows_completed", "drops", "pause_frames", "ecn_marks"})
    EXPECT_EQ(got[exact], want[exact]) << exact;
  // Times within 1e-9 relative: they are deterministic, the tolerance only absorbs printing.
  for (const char* t : {"simulated_time_us", "fct_p50_us", "fct_p99_us"})
    EXPECT_NEAR(got[t].get<double>(), want[t].get<double>(), 1e-9 * std::abs(want[t].get<double>())) << t;
}

// The examples whose main job is `simulate` (the collective and training examples have their own tests;
// the 256-GPU training example takes minutes).
std::vector<std::string> example_names() {
  std::vector<std::string> names;
  for (const auto& e : builtin_examples()) {
    if (scenario_document("example:" + e.name)["plan"]) continue;  // a plan request: tests/plan
    const auto sc = load_scenario("example:" + e.name);
    if (sc.jobs.empty() && sc.services.empty() && !sc.collective.present) names.push_back(e.name);
  }
  return names;
}

TEST(GoldenCollective, NcclExampleRowsAreStable) {
  // The built-in nccl-tests example, on the packet engine: every row's time and the protocol NCCL's tuner
  // picked for it, exactly as recorded.
  const auto sc = load_scenario("example:nccl_allreduce_h100");
  nlohmann::json got = nlohmann::json::array();
  for (const auto& row : api::run_collective_sweep(sc, sc.collective.network))
    got.push_back({{"bytes", row.bytes},
                   {"time_ps", row.time_ps},
                   {"events", row.events},
                   {"protocol", workload::name(row.protocol)}});
  const std::string path = kGoldenDir + "nccl_allreduce_h100.collective.json";
  if (std::getenv("AIFABRIC_UPDATE_GOLDEN")) {
    write_file_atomic(path, got.dump(2) + "\n");
    GTEST_SKIP() << "rewrote " << path;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  EXPECT_EQ(got, nlohmann::json::parse(read(path)));
}

INSTANTIATE_TEST_SUITE_P(Examples, Golden, ::testing::ValuesIn(example_names()),
                         [](const auto& param_info) { return param_info.param; });

TEST(Determinism, SameSeedGivesByteIdenticalFiles) {
  namespace fs = std::filesystem;
  const fs::path base = fs::temp_directory_path() / ("aifabric_det_" + std::to_string(::getpid()));
  for (int run = 0; run < 2; ++run) {
    const auto sc = load_scenario("example:poisson_websearch");
    write_results((base / std::to_string(run)).string(), sc, api::run(sc));
  }
  for (const char* f : {"summary.json", "flows.csv", "ports.csv", "timeseries.csv"}) {
    const auto a = read((base / "0" / f).string());
    EXPECT_FALSE(a.empty()) << f;
    EXPECT_EQ(a, read((base / "1" / f).string())) << f << " differs between two runs with the same seed";
  }
  fs::remove_all(base);
}

TEST(Determinism, ADifferentSeedChangesTheRun) {
  const auto a = api::run(load_scenario("example:fat_tree_permutation", 1));
  const auto b = api::run(load_scenario("example:fat_tree_permutation", 2));
  EXPECT_NE(a.stats.fingerprint, b.stats.fingerprint);
}

TEST(Determinism, ConcurrentSimulationsDoNotInterfere) {
  // No global state: two simulations interleaved in one process give the results each gives alone.
  const auto sc1 = load_scenario("example:leaf_spine_incast");
  const auto sc2 = load_scenario("example:lossy_incast");
  const auto alone1 = api::run(sc1).stats.fingerprint;
  const auto alone2 = api::run(sc2).stats.fingerprint;
  net::Simulation s1(sc1.topology, sc1.fabric, sc1.flows, sc1.run);
  net::Simulation s2(sc2.topology, sc2.fabric, sc2.flows, sc2.run);
  for (core::TimePs t = core::kPsPerUs; t < 20 * core::kPsPerMs; t += 50 * core::kPsPerUs) {
    s1.run_until(t);
    s2.run_until(t);
  }
  EXPECT_EQ(s1.run().fingerprint, alone1);
  EXPECT_EQ(s2.run().fingerprint, alone2);
}

TEST(ParameterReference, DocsMatchTheDeclarations) {
  EXPECT_EQ(read(std::string(AIFABRIC_SOURCE_DIR) + "/docs/parameters.md"),
            plan::parameter_reference_markdown())
      << "regenerate with: aifabric params > docs/parameters.md";
}

}  // namespace
}  // namespace aifabric::io
