// Timelines (--trace): Chrome trace-event JSON whose tracks nest as Perfetto requires, and whose slices add
// up to what assess and collective report.
#include "report/trace.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "api/assess.hpp"
#include "api/collective_sweep.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"

namespace aifabric::report {
namespace {

using nlohmann::json;

// Per (pid, tid): the X slices' [start, end] in microseconds; they must nest or follow one another.
void expect_tracks_nest(const json& events) {
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> tracks;
  for (const auto& e : events)
    if (e["ph"] == "X")
      tracks[{e["pid"].get<int>(), e["tid"].get<int>()}].emplace_back(
          e["ts"], e["ts"].get<double>() + e["dur"].get<double>());
  ASSERT_FALSE(tracks.empty());
  for (auto& [track, slices] : tracks) {
    std::sort(slices.begin(), slices.end());
    std::vector<double> open;  // ends of the enclosing slices
    for (const auto& [start, end] : slices) {
      // 1e-6 us: the printed picoseconds, read back as doubles of up to 1e8 us.
      while (!open.empty() && open.back() <= start + 1e-6) open.pop_back();
      if (!open.empty()) {
        EXPECT_LE(end, open.back() + 1e-6) << "pid " << track.first << " tid " << track.second;
      }
      open.push_back(end);
    }
  }
}

// Each GPU's compute slices add up to its compute time: averaged over the job's GPUs, that is assess's
// compute_us (the sum of compute durations per GPU / GPUs, api/assess.cpp), to rounding of the microsecond
// decimals (1e-6 us per slice).
TEST(Trace, AssessComputeSlicesAddUpToTheBreakdown) {
  auto sc = io::load_scenario("example:two_jobs_shared_spine");
  sc.fidelity = api::NetworkModel::kFlow;
  api::Timeline timeline;
  const auto a = api::assess(sc, &timeline, 0);
  const auto trace = json::parse(chrome_trace(timeline, "assess test"));
  EXPECT_EQ(trace["displayTimeUnit"], "ns");
  expect_tracks_nest(trace["traceEvents"]);
  std::map<int, std::string> process;
  std::map<int, double> compute_us;  // per pid
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name") process[e["pid"]] = e["args"]["name"];
    if (e["ph"] == "X" && e["name"] == "compute") compute_us[e["pid"]] += e["dur"].get<double>();
  }
  for (const auto& job : a.jobs) {
    int pid = 0;
    for (const auto& [p, name] : process)
      if (name == "job " + job.name) pid = p;
    ASSERT_NE(pid, 0) << job.name;
    EXPECT_NEAR(compute_us[pid] / job.gpus, job.fabric.compute_us, 1e-3) << job.name;
  }
  EXPECT_EQ(chrome_trace(timeline, "assess test"), chrome_trace(timeline, "assess test"));
}

// A collective's slices end by its time: the latest end over the GPUs is the row's time (from 0 to the last
// rank's end), to the microsecond decimals.
TEST(Trace, CollectiveSlicesEndAtTheCollectivesTime) {
  auto sc = io::load_scenario("example:nccl_allreduce_h100");
  auto spec = sc.collective.spec;
  spec.bytes = 1 << 20;
  api::Timeline timeline;
  const auto row = api::run_collective(sc, spec, api::NetworkModel::kIdeal, &timeline, 0);
  core::TimePs last = 0;
  for (const auto& o : timeline.ops) last = std::max(last, o.finish_ps);
  EXPECT_EQ(last, row.time_ps);
  EXPECT_EQ(timeline.owners, std::vector<std::string>{"all_reduce 1048576 B"});
  expect_tracks_nest(json::parse(chrome_trace(timeline, "collective test"))["traceEvents"]);
}

// --trace-gpus keeps each owner's lowest-numbered GPUs: job b's GPUs are 8..15 and 24..31, so with 4 it keeps
// 8..11.
TEST(Trace, GpuLimitIsPerOwner) {
  auto sc = io::load_scenario("example:two_jobs_shared_spine");
  sc.fidelity = api::NetworkModel::kFlow;
  api::Timeline timeline;
  api::assess(sc, &timeline, 4);
  std::map<std::uint32_t, std::set<std::uint32_t>> gpus;
  for (const auto& o : timeline.ops) gpus[o.owner].insert(o.gpu);
  ASSERT_EQ(timeline.owners[1], "job b");
  EXPECT_EQ(gpus[0], (std::set<std::uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(gpus[1], (std::set<std::uint32_t>{8, 9, 10, 11}));
}

// A simulate run's trace: one async begin/end pair per flow, the end at its last byte (FCT = end - start),
// and queue counters only for ports that queued.
TEST(Trace, FlowsAreAsyncSlicesFromStartToLastByte) {
  auto sc = io::load_scenario(std::string(AIFABRIC_SOURCE_DIR) + "/tests/report/incast_sampled.yaml");
  const auto r = api::run(sc);
  const auto trace = json::parse(flow_trace(r, "simulate test"));
  std::map<std::uint64_t, double> begin, end;
  std::size_t counters = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "b") begin[e["id"]] = e["ts"];
    if (e["ph"] == "e") end[e["id"]] = e["ts"];
    if (e["ph"] == "C") {
      ++counters;
      EXPECT_EQ(e["name"].get<std::string>().rfind("queue ", 0), 0u);
    }
  }
  ASSERT_EQ(begin.size(), r.flows.size());
  ASSERT_EQ(end.size(), r.flows.size());
  for (const auto& f : r.flows) EXPECT_NEAR(end[f.id] - begin[f.id], f.fct_us(), 1e-6) << f.id;
  EXPECT_GT(counters, 0u) << "the incast queues at the receiver's leaf";
  EXPECT_EQ(trace["otherData"]["flows_shown"], r.flows.size());
  const auto capped = json::parse(flow_trace(r, "simulate test", 0, 3));
  EXPECT_EQ(capped["otherData"]["flows_shown"], 3);
}

}  // namespace
}  // namespace aifabric::report
