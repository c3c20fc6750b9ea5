#include "workload/program.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace aifabric::workload {

std::uint32_t Program::add_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                    std::uint32_t tag) {
  ops_.push_back(Op{OpKind::kTransfer, src, dst, bytes, 0, tag});
  return static_cast<std::uint32_t>(ops_.size() - 1);
}

std::uint32_t Program::add_compute(std::uint32_t gpu, core::TimePs duration, std::uint32_t tag) {
  ops_.push_back(Op{OpKind::kCompute, gpu, gpu, 0, duration, tag});
  return static_cast<std::uint32_t>(ops_.size() - 1);
}

void Program::scale_compute(const std::vector<double>& factor, std::uint32_t tag) {
  for (auto& o : ops_)
    if (o.kind == OpKind::kCompute && o.tag == tag && o.duration > 0 && o.src < factor.size() &&
        factor[o.src] != 1.0)
      o.duration = static_cast<core::TimePs>(std::llround(static_cast<double>(o.duration) * factor[o.src]));
}

std::uint32_t Program::add_group(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& members,
                                 std::uint64_t bytes, std::uint32_t rounds, std::uint32_t tag,
                                 std::uint32_t nvlink_rounds) {
  Op op{OpKind::kGroup, members.front().first, members.front().second, bytes, 0, tag};
  op.rounds = rounds;
  op.nvlink_rounds = nvlink_rounds;
  op.first_member = static_cast<std::uint32_t>(members_.size());
  op.member_count = static_cast<std::uint32_t>(members.size());
  members_.insert(members_.end(), members.begin(), members.end());
  ops_.push_back(op);
  return static_cast<std::uint32_t>(ops_.size() - 1);
}

std::uint32_t Program::add_ring(const std::vector<std::uint32_t>& gpus, std::uint32_t steps,
                                std::uint64_t data, std::uint32_t tag, const std::vector<std::uint32_t>& via,
                                std::uint8_t cost) {
  AIFABRIC_ASSERT(gpus.size() >= 2 && steps >= 1, "a ring needs two positions and a step");
  AIFABRIC_ASSERT(via.empty() || via.size() == gpus.size(), "one PXN GPU per ring position");
  const auto m = static_cast<std::uint32_t>(gpus.size());
  const auto r = static_cast<std::uint32_t>(rings_.size());
  rings_.push_back(RingSpec{static_cast<std::uint32_t>(ring_gpus_.size()), m, steps, data, tag,
                            static_cast<std::uint32_t>(ops_.size()), ring_sends_, cost});
  ring_gpus_.insert(ring_gpus_.end(), gpus.begin(), gpus.end());
  const auto& carriers = via.empty() ? gpus : via;
  ring_via_.insert(ring_via_.end(), carriers.begin(), carriers.end());
  ring_sends_ += static_cast<std::uint64_t>(steps) * m;
  AIFABRIC_ASSERT(ring_sends_ < kMaxRingSends, "ring sends beyond what a token can number");
  for (const auto kind : {OpKind::kRingEntry, OpKind::kRingExit})
    for (std::uint32_t i = 0; i < m; ++i) {
      Op op{kind, gpus[i], gpus[i], 0, 0, tag};
      op.ring = r;
      op.position = i;
      ops_.push_back(op);
    }
  return r;
}

std::uint8_t Program::add_step_cost(const StepCost& cost) {
  for (std::size_t i = 0; i < costs_.size(); ++i)
    if (costs_[i] == cost) return static_cast<std::uint8_t>(i + 1);
  AIFABRIC_ASSERT(costs_.size() < 255, "more than 255 step costs in one program");
  costs_.push_back(cost);
  return static_cast<std::uint8_t>(costs_.size());
}

std::uint64_t Program::ring_block(const RingSpec& ring, std::uint32_t k, std::uint32_t i) {
  const std::uint64_t m = ring.size;
  const std::uint64_t block = (i + m - k % m) % m;
  return ring.data * (block + 1) / m - ring.data * block / m;
}

void Program::depend(std::uint32_t before, std::uint32_t after) {
  if (before == kNone) return;
  edges_.emplace_back(before, after);
}

std::uint32_t Program::tag(const std::string& name) {
  for (std::uint32_t i = 0; i < tags_.size(); ++i)
    if (tags_[i] == name) return i;
  tags_.push_back(name);
  return static_cast<std::uint32_t>(tags_.size() - 1);
}

void Program::finalize() {
  std::sort(edges_.begin(), edges_.end());
  edges_.erase(std::unique(edges_.begin(), edges_.end()), edges_.end());
  successors_.resize(edges_.size());
  for (auto& op : ops_) op.successors = op.predecessors = 0;
  for (const auto& [a, b] : edges_) {
    ++ops_[a].successors;
    ++ops_[b].predecessors;
  }
  std::uint32_t offset = 0;
  for (auto& op : ops_) {
    op.first_successor = offset;
    offset += op.successors;
  }
  std::vector<std::uint32_t> fill(ops_.size(), 0);
  for (const auto& [a, b] : edges_) successors_[ops_[a].first_successor + fill[a]++] = b;
  edges_.clear();
  edges_.shrink_to_fit();
}

}  // namespace aifabric::workload
