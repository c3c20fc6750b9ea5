#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "workload/executor.hpp"
#include "workload/program.hpp"

namespace aifabric::api {

// What each GPU did and when, from a program as it ran: the input of `--trace` (report/trace.hpp).
struct TimelineOp {
  std::uint32_t owner = 0;  // index into Timeline::owners (a job, a service, one collective size)
  std::uint32_t gpu = 0;
  std::uint32_t peer = 0;  // transfers: the other GPU; else the GPU itself
  std::uint32_t tag = 0;  // index into Timeline::tags: compute, tp, pp, dp, ep, kv_cache, arrival, an op name
  core::TimePs start_ps = 0, finish_ps = 0;
  std::uint64_t bytes = 0;  // moved (transfers, rings: the collective's data), 0 for compute
};

struct Timeline {
  std::vector<std::string> owners;
  std::vector<std::string> tags;
  std::vector<TimelineOp> ops;
};

// Appends ops [first, last) of `program` as `result` ran them, under a new owner named `owner`, keeping the
// owner's `max_gpus` lowest-numbered GPUs (0: all): compute with work (from finish - duration to finish),
// transfers (from ready to done), each member of a group on its source GPU, and each ring position from its
// entry to its exit. Ops that never finished and zero-time joins are left out. Tags are merged by name.
void append_timeline(Timeline& timeline, const workload::Program& program,
                     const workload::ExecutionResult& result, std::uint32_t first, std::uint32_t last,
                     const std::string& owner, std::uint32_t max_gpus);

}  // namespace aifabric::api
