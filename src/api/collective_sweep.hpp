#pragma once
#include <cstdint>
#include <vector>

#include "api/scenario.hpp"
#include "api/timeline.hpp"
#include "core/time.hpp"
#include "workload/collectives.hpp"

namespace aifabric::api {

struct CollectiveRow {
  std::uint64_t bytes = 0;
  core::TimePs time_ps = 0;
  double algbw_gbytes_per_s = 0;
  double busbw_gbytes_per_s = 0;
  std::uint64_t events = 0;
  workload::Algorithm algorithm = workload::Algorithm::kRing;
  workload::Protocol protocol = workload::Protocol::kDefault;
  bool complete = true;  // false when the run stopped first (stop time, deadlock): time_ps is then a floor
};

// One collective of `spec.bytes` on its own, timed from the first rank's start to the last rank's end.
// With `timeline`, its ops are appended under the owner "OP SIZE B", each with its `trace_gpus`
// lowest-numbered GPUs (0: all).
CollectiveRow run_collective(const Scenario& scenario, const workload::CollectiveSpec& spec,
                             NetworkModel model, Timeline* timeline = nullptr, std::uint32_t trace_gpus = 0);

// The scenario's collective at `bytes`, with the algorithm and protocol NCCL's tuner picks for that size
// where the scenario leaves them to auto (workload/nccl.hpp), and that protocol's base latency as launch.
workload::CollectiveSpec tuned_spec(const Scenario& scenario, std::uint64_t bytes);

// The scenario's nccl-tests sweep: its collective at every size from min_bytes to max_bytes, each size
// `step_factor` times the previous, on `model`; at flow level its rings run aggregated
// (CollectiveSpec::aggregate).
std::vector<CollectiveRow> run_collective_sweep(const Scenario& scenario, NetworkModel model,
                                                Timeline* timeline = nullptr, std::uint32_t trace_gpus = 0);

}  // namespace aifabric::api
