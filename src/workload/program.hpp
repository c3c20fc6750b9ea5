#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace aifabric::workload {

enum class OpKind : std::uint8_t { kTransfer, kCompute, kGroup, kRingEntry, kRingExit };

enum class Collective : std::uint8_t {
  kAllReduce,
  kAllGather,
  kReduceScatter,
  kBroadcast,
  kReduce,
  kAllToAll,
  kSendRecv
};

// One node of a workload's dependency graph: a transfer of `bytes` from GPU `src` to GPU `dst`, or
// `duration` of work on GPU `src` (a zero-duration compute op is a join point), or a group: transfers
// that move together, each of `bytes`, standing for back-to-back steps (an aggregated ring channel or
// tree: each member is one edge and carries all its steps' blocks; the tensor-parallel ranks of a
// pipeline send: one round). A group's members are
// program.members(op); `src` is the first member's source GPU. Members inside one server move over the
// NVLink model, the others over the network as one lockstep gang; a group pays `rounds` network step
// latencies and `nvlink_rounds` NVLink step latencies before it moves, and is done when every member is.
// An op starts when all its predecessors have finished. `tag` names what the op belongs to, for the time
// breakdown. A ring (add_ring) is not expanded into ops: it has one entry and one exit op per position (zero
// work on that position's GPU, `ring` and `position` set), and the executor runs its steps as they become
// ready.
struct Op {
  OpKind kind;
  std::uint32_t src;
  std::uint32_t dst;
  std::uint64_t bytes;
  core::TimePs duration;
  std::uint32_t tag;
  std::uint32_t rounds = 1;         // groups only: network steps
  std::uint32_t nvlink_rounds = 0;  // groups only: NVLink steps
  std::uint32_t first_member = 0;   // groups only: index into the program's members
  std::uint32_t member_count = 0;
  std::uint32_t first_successor = 0;
  std::uint32_t successors = 0;
  std::uint32_t predecessors = 0;
  std::uint32_t ring = 0;      // ring entries and exits: the ring's index
  std::uint32_t position = 0;  // ring entries and exits: the position in the ring
  std::uint8_t cost = 0;       // transfers: Program::step_cost(cost); 0 = the executor's defaults
};

// What one step of a collective's protocol costs (workload/nccl.hpp): the latency of a step over NVLink and
// over the network, and the fraction of what is moved that is data (LL: 8 data bytes in a 16-byte line).
struct StepCost {
  core::TimePs nvlink_step_ps = 0;
  core::TimePs network_step_ps = 0;
  double payload_fraction = 1;
  bool operator==(const StepCost&) const = default;
};

// A ring over `gpus` in order for `steps` steps: in step k, position i sends its block to position i + 1
// (mod m), block (i - k) mod m of `data` split into m near-equal blocks (reduce-scatter, all-gather and,
// with 2(m - 1) steps, all-reduce). Send (k, i) waits for send (k - 1, i - 1), the block it forwards, and
// not for its own previous send: like NCCL, a rank keeps several steps in flight. Send (0, i) waits for
// the entries of positions i - 1, i and i + 1; exit i follows position i's last send and last receive.
struct RingSpec {
  std::uint32_t first_gpu;  // index into the program's ring GPUs
  std::uint32_t size;       // m, at least 2
  std::uint32_t steps;      // at least 1
  std::uint64_t data;
  std::uint32_t tag;
  std::uint32_t first_entry;  // op of position 0's entry; the entries, then the exits, are consecutive
  std::uint64_t first_send;   // numbering of every ring's sends, (k, i) is first_send + k * m + i
  std::uint8_t cost = 0;      // Program::step_cost(cost); 0 = the executor's defaults
};

// A collective as the workload called it, kept so a program can be written out as an execution trace
// (workload/trace.hpp). Ops [first_op, end_op) and done[i] carry it out; done[i] finishes rank i's part.
// `repeat` calls of `bytes` back to back when one op per rank stands for several (the closed form of
// tensor-parallel all-reduces over NVLink).
struct CollectiveCall {
  Collective op = Collective::kAllReduce;
  std::vector<std::uint32_t> ranks;  // GPUs, in communicator order
  std::uint64_t bytes = 0;
  std::uint32_t repeat = 1;
  std::uint32_t tag = 0;
  std::uint32_t first_op = 0, end_op = 0;
  std::vector<std::uint32_t> done;
};

// A dependency graph of ops in compressed form. Build with add_*/depend, then finalize() once.
class Program {
 public:
  std::uint32_t add_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes, std::uint32_t tag);
  std::uint32_t add_compute(std::uint32_t gpu, core::TimePs duration, std::uint32_t tag);
  // A group of (source GPU, destination GPU) members; at least one member.
  std::uint32_t add_group(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& members,
                          std::uint64_t bytes_per_member, std::uint32_t rounds, std::uint32_t tag,
                          std::uint32_t nvlink_rounds = 0);
  std::span<const std::pair<std::uint32_t, std::uint32_t>> members(const Op& op) const {
    return {members_.data() + op.first_member, op.member_count};
  }
  // A ring (see RingSpec) over at least two GPUs, for at least one step; returns its index. `via[i]`, when
  // given, is the GPU of position i's server whose NIC carries its sends to another server (PXN: the block
  // moves over NVLink to that GPU while its NIC sends it); by default each GPU's own NIC.
  std::uint32_t add_ring(const std::vector<std::uint32_t>& gpus, std::uint32_t steps, std::uint64_t data,
                         std::uint32_t tag, const std::vector<std::uint32_t>& via = {},
                         std::uint8_t cost = 0);
  const RingSpec& ring(std::uint32_t r) const { return rings_[r]; }
  std::uint32_t ring_entry(std::uint32_t r, std::uint32_t position) const {
    return rings_[r].first_entry + position;
  }
  std::uint32_t ring_exit(std::uint32_t r, std::uint32_t position) const {
    return rings_[r].first_entry + rings_[r].size + position;
  }
  std::uint32_t ring_gpu(const RingSpec& ring, std::uint32_t position) const {
    return ring_gpus_[ring.first_gpu + position];
  }
  std::uint32_t ring_via(const RingSpec& ring, std::uint32_t position) const {
    return ring_via_[ring.first_gpu + position];
  }
  // The step cost's index (from 1; the same cost twice gets the same index); at most 255 per program.
  std::uint8_t add_step_cost(const StepCost& cost);
  const StepCost& step_cost(std::uint8_t index) const { return costs_[index - 1]; }
  void set_cost(std::uint32_t op, std::uint8_t cost) { ops_[op].cost = cost; }
  const std::vector<RingSpec>& rings() const { return rings_; }
  std::size_t ring_positions() const { return ring_gpus_.size(); }  // of all rings together
  std::uint64_t ring_sends() const { return ring_sends_; }          // sends of all rings together
  // Bytes of ring send (k, i).
  static std::uint64_t ring_block(const RingSpec& ring, std::uint32_t k, std::uint32_t i);
  // `after` starts only when `before` has finished. kNone as `before` is ignored.
  void depend(std::uint32_t before, std::uint32_t after);
  // Every compute op tagged `tag` with work on GPU g takes factor[g] times longer (a straggler); GPUs past
  // the end of `factor`, and ops of other tags (NVLink transfers in closed form, arrivals), are unchanged.
  // Before finalize().
  void scale_compute(const std::vector<double>& factor, std::uint32_t tag);
  void finalize();

  void record(CollectiveCall call) { calls_.push_back(std::move(call)); }
  const std::vector<CollectiveCall>& calls() const { return calls_; }

  std::uint32_t tag(const std::string& name);  // the tag's number, created on first use
  const std::vector<std::string>& tag_names() const { return tags_; }

  const std::vector<Op>& ops() const { return ops_; }
  std::uint32_t successor(std::uint32_t i) const { return successors_[i]; }
  std::size_t size() const { return ops_.size(); }

  static constexpr std::uint32_t kNone = 0xffffffffu;
  // Ring sends of a program are numbered below this (the executor's tokens keep 56 bits for them).
  static constexpr std::uint64_t kMaxRingSends = std::uint64_t{1} << 56;

 private:
  std::vector<Op> ops_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> members_;
  std::vector<std::uint32_t> successors_;
  std::vector<RingSpec> rings_;
  std::vector<std::uint32_t> ring_gpus_;
  std::vector<std::uint32_t> ring_via_;
  std::vector<StepCost> costs_;
  std::uint64_t ring_sends_ = 0;
  std::vector<std::string> tags_;
  std::vector<CollectiveCall> calls_;
};

}  // namespace aifabric::workload
