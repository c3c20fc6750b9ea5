#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace aifabric::workload {

enum class OpKind : std::uint8_t { kTransfer, kCompute, kGroup };

// One node of a workload's dependency graph: a transfer of `bytes` from GPU `src` to GPU `dst`, or
// `duration` of work on GPU `src` (a zero-duration compute op is a join point), or a group: transfers
// between GPUs of different servers that move in lockstep, each of `bytes`, standing for `rounds`
// back-to-back steps (a ring collective's channel: each member is one edge of the ring and carries all
// its steps' blocks; the tensor-parallel ranks of a pipeline send: one round). A group's members are
// program.members(op); `src` is the first member's source GPU. An op starts when all its predecessors
// have finished. `tag` names what the op belongs to, for the time breakdown.
struct Op {
  OpKind kind;
  std::uint32_t src;
  std::uint32_t dst;
  std::uint64_t bytes;
  core::TimePs duration;
  std::uint32_t tag;
  std::uint32_t rounds = 1;        // groups only
  std::uint32_t first_member = 0;  // groups only: index into the program's members
  std::uint32_t member_count = 0;
  std::uint32_t first_successor = 0;
  std::uint32_t successors = 0;
  std::uint32_t predecessors = 0;
};

// A dependency graph of ops in compressed form. Build with add_*/depend, then finalize() once.
class Program {
 public:
  std::uint32_t add_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes, std::uint32_t tag);
  std::uint32_t add_compute(std::uint32_t gpu, core::TimePs duration, std::uint32_t tag);
  // A group of (source GPU, destination GPU) members; at least one member.
  std::uint32_t add_group(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& members,
                          std::uint64_t bytes_per_member, std::uint32_t rounds, std::uint32_t tag);
  std::span<const std::pair<std::uint32_t, std::uint32_t>> members(const Op& op) const {
    return {members_.data() + op.first_member, op.member_count};
  }
  // `after` starts only when `before` has finished. kNone as `before` is ignored.
  void depend(std::uint32_t before, std::uint32_t after);
  void finalize();

  std::uint32_t tag(const std::string& name);  // the tag's number, created on first use
  const std::vector<std::string>& tag_names() const { return tags_; }

  const std::vector<Op>& ops() const { return ops_; }
  std::uint32_t successor(std::uint32_t i) const { return successors_[i]; }
  std::size_t size() const { return ops_.size(); }

  static constexpr std::uint32_t kNone = 0xffffffffu;

 private:
  std::vector<Op> ops_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> members_;
  std::vector<std::uint32_t> successors_;
  std::vector<std::string> tags_;
};

}  // namespace aifabric::workload
