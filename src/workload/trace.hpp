#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "workload/collectives.hpp"
#include "workload/hardware.hpp"
#include "workload/program.hpp"
#include "workload/training.hpp"

namespace aifabric::workload {

// A workload given as one execution trace per rank: the shape of an MLCommons Chakra execution trace
// (chakra/ reads and writes that format; docs/chakra.md). Nothing here knows the file format.

enum class TraceNodeKind : std::uint8_t {
  kMetadata,
  kMemLoad,
  kMemStore,
  kCompute,
  kSend,
  kRecv,
  kCollective
};

const char* name(TraceNodeKind kind);

struct TraceNode {
  std::uint64_t id = 0;
  std::string name;
  TraceNodeKind kind = TraceNodeKind::kCompute;
  std::vector<std::uint64_t> deps;  // data and control dependencies: ids of nodes of the same rank
  // Compute and memory nodes: the time they take; 0 = derived from `flops` and `bytes` on the GPU.
  core::TimePs duration_ps = 0;
  double flops = 0;         // compute: floating-point operations (Chakra's num_ops)
  std::uint64_t bytes = 0;  // collectives, sends, receives: message size; memory and compute: bytes moved
  Collective collective = Collective::kAllReduce;
  std::uint32_t group = 0;    // collectives: communicator, a key of TraceWorkload::groups; 0 = every rank
  std::uint32_t peer = 0;     // send: the destination rank; receive: the source rank
  std::int64_t comm_tag = 0;  // sends and receives between two ranks match in order per tag
  std::string tag;            // what the time breakdown charges it to ("dp", "tp", ...); "" = by kind
};

struct TraceWorkload {
  std::vector<std::vector<TraceNode>> ranks;                   // rank r's nodes
  std::map<std::uint32_t, std::vector<std::uint32_t>> groups;  // communicator -> its ranks, in order
  double tokens_per_iteration = 0;                             // 0 = not known
  double flops_per_iteration = 0;                              // of the whole job; 0 = not known
};

// Nothing when the trace can run with rank r on GPU gpus[r] (server_of[gpu]: its server), else what is
// wrong: its field names the rank and node ("rank[3].node[17]") or the communicator ("groups.2"). Checks
// that every dependency exists on its rank, every collective is called on every rank of its communicator
// in the same order with the same operation and size (calls match in id order), every send has its
// receive, nothing waits on itself (a dependency cycle), and each collective's algorithm fits its ranks.
std::optional<core::InputError> check(const TraceWorkload& trace, const std::vector<std::uint32_t>& gpus,
                                      const std::vector<std::uint32_t>& server_of, Algorithm allreduce);

// How a trace's nodes become ops. An all-reduce inside one server takes the closed form of the built-in
// jobs' tensor-parallel all-reduces (nvlink_ring_allreduce_ps); every other collective runs as the
// built-in jobs' data-parallel ones do (append_collective with `allreduce` for all-reduces and ring for
// the rest). Compute nodes without a duration run at `gpu_efficiency` of the GPU's peak, or as long as
// their bytes take from memory when that is longer.
struct TraceLayout {
  IterationLayout iteration;
  Algorithm allreduce = Algorithm::kRing;
  double gpu_efficiency = 0.5;
};

// Appends one iteration of a checked trace, rank r on GPU gpus[r]; returns the ops that finish it.
std::vector<std::uint32_t> append_trace_iteration(Program& program, const TraceWorkload& trace,
                                                  const std::vector<std::uint32_t>& gpus, const GpuSpec& gpu,
                                                  const std::vector<std::uint32_t>& server_of,
                                                  const TraceLayout& layout, std::uint32_t compute_tag);

// The trace of ops [first_op, end_op) of a finalized program, rank r being GPU gpus[r]: compute ops become
// compute nodes with their exact duration, transfers and group members send/receive pairs, and each
// recorded collective (Program::calls) one collective node per rank, `repeat` of them in a chain. An
// InputError when an op cannot be written (an op on a GPU outside `gpus`, a dependency between ranks that
// no communication carries, a ring or group that is not part of a recorded collective).
TraceWorkload trace_of(const Program& program, std::uint32_t first_op, std::uint32_t end_op,
                       const std::vector<std::uint32_t>& gpus);

}  // namespace aifabric::workload
