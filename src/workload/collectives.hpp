#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "workload/program.hpp"

namespace aifabric::workload {

enum class Algorithm : std::uint8_t {
  kRing,
  kTree,
  kHalvingDoubling,
  kHierarchical,
  kPipeline,
  kDirect,
  kPairwise
};

// NCCL's protocols (workload/nccl.hpp). kDefault: the executor's step latencies at full bandwidth, for
// collectives that are not NCCL's (and the alpha-beta tests).
enum class Protocol : std::uint8_t { kDefault, kLL, kLL128, kSimple };

const char* name(Collective c);
const char* name(Algorithm a);
const char* name(Protocol p);

// A collective over a communicator. `bytes` follows nccl-tests' "size": the buffer for all-reduce,
// broadcast and reduce; the output for all-gather; the input for reduce-scatter; each rank's whole send
// buffer for all-to-all; the message for send/recv.
struct CollectiveSpec {
  Collective op = Collective::kAllReduce;
  Algorithm algorithm = Algorithm::kRing;
  std::vector<std::uint32_t> ranks;  // GPUs, in communicator order
  std::uint64_t bytes = 0;
  std::uint32_t channels = 1;     // independent rings / tree pairs, each carrying 1/channels of the data
  std::uint64_t chunk_bytes = 0;  // pipelining chunk of tree and pipeline algorithms; 0 = one chunk
  std::uint32_t root = 0;         // index into ranks, for broadcast and reduce
  core::TimePs launch_ps = 0;     // fixed latency before a rank's first step
  Protocol protocol = Protocol::kDefault;  // the step latencies and bandwidth of the ring, tree and chain
  bool pxn = true;  // ring sends between servers go through the NVLink peer on the receiver's rail
  // A ring over ranks on distinct servers becomes one group op per channel (OpKind::kGroup: every ring
  // edge carries its steps' blocks in lockstep) instead of one op per rank and step. Exact while the
  // edges' rates stay constant through the collective (a congestion-free fabric); for the fluid models.
  bool aggregate = false;
  // Hierarchical: the ranks of a first-level group, consecutive in communicator order (the ranks of one
  // site, for a cross-site all-reduce); 0: the ranks of each server.
  std::uint32_t group_ranks = 0;
  // Hierarchical: the tag of the phase across the groups (the data-centre interconnect's share of a
  // cross-site reduction, for the time breakdown); Program::kNone: the collective's own tag.
  std::uint32_t across_tag = Program::kNone;
};

// The algorithms each collective supports (the first is the default).
std::vector<Algorithm> algorithms_for(Collective c);

// nccl-tests' bus-bandwidth factor: busbw = algbw x factor (doc/PERFORMANCE.md in nccl-tests).
double bus_factor(Collective c, std::uint32_t ranks);

// Checks the spec against the cluster (`server_of[gpu]`): nothing when valid, else what is wrong (with no
// field: the caller knows where the spec came from).
std::optional<core::InputError> check(const CollectiveSpec& spec, const std::vector<std::uint32_t>& server_of,
                                      std::size_t gpus);

// Appends the collective's ops to `program`. Rank i starts when op `start[i]` has finished (kNone: at once);
// the returned vector holds, per rank, an op that finishes when that rank's part is done.
std::vector<std::uint32_t> append_collective(Program& program, const CollectiveSpec& spec,
                                             const std::vector<std::uint32_t>& server_of,
                                             const std::vector<std::uint32_t>& start, std::uint32_t tag);

}  // namespace aifabric::workload
