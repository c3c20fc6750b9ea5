#include "workload/executor.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace aifabric::workload {

Executor::Executor(const Program& program, const ClusterMap& cluster, const ExecutorParams& params,
                   backend::NetworkBackend& network)
    : program_(program),
      cluster_(cluster),
      params_(params),
      network_(network),
      nvlink_(std::vector<double>(cluster.server_of.size(), params.nvlink_bytes_per_ps),
              std::vector<double>(cluster.server_of.size(), params.nvlink_bytes_per_ps),
              [this](core::TimePs at, std::uint64_t key) {
                network_.set_timer(at, (kNvlink << kTagShift) | key);
              }) {}

ExecutionResult Executor::run() {
  const auto& ops = program_.ops();
  waiting_.resize(ops.size());
  result_ = ExecutionResult{};
  result_.start_ps.assign(ops.size(), -1);
  result_.finish_ps.assign(ops.size(), -1);
  // A ring's exit also waits for its position's last send and last receive.
  for (std::uint32_t i = 0; i < ops.size(); ++i)
    waiting_[i] = ops[i].predecessors + (ops[i].kind == OpKind::kRingExit ? 2 : 0);
  ring_joined_.assign(program_.ring_positions(), 0);
  for (std::uint32_t i = 0; i < ops.size(); ++i)
    if (waiting_[i] == 0) make_ready(i);
  drain();
  network_.run(*this);
  for (std::uint32_t i = 0; i < ops.size(); ++i) {
    if (result_.finish_ps[i] < 0) {
      result_.complete = false;
    } else {
      result_.makespan_ps = std::max(result_.makespan_ps, result_.finish_ps[i]);
    }
  }
  return result_;
}

void Executor::make_ready(std::uint32_t op) {
  const Op& o = program_.ops()[op];
  const core::TimePs now = network_.now();
  result_.start_ps[op] = now;
  if (o.kind == OpKind::kRingEntry || o.kind == OpKind::kRingExit) {
    finished_stack_.push_back(op);
    return;
  }
  if (o.kind == OpKind::kCompute) {
    if (o.duration == 0) {
      finished_stack_.push_back(op);
    } else {
      network_.set_timer(now + o.duration, (kComputeDone << kTagShift) | op);
    }
    return;
  }
  core::TimePs step = 0;
  if (o.kind == OpKind::kGroup) {
    const StepCost defaults{params_.nvlink_step_ps, params_.network_step_ps, 1};
    const StepCost& c = o.cost ? program_.step_cost(o.cost) : defaults;
    step = c.network_step_ps * o.rounds + c.nvlink_step_ps * o.nvlink_rounds;
  } else {
    step = step_ps(o.src, o.dst, o.cost);
  }
  if (step == 0) {
    begin_transfer(op);
  } else {
    network_.set_timer(now + step, (kStepDone << kTagShift) | op);
  }
}

void Executor::begin_transfer(std::uint32_t op) {
  const Op& o = program_.ops()[op];
  if (o.kind == OpKind::kGroup) {
    // The members inside a server move over NVLink, each on its own; the others as one network gang. The
    // group is done when all of them are: waiting_[op] (zero since the group became ready) counts them.
    const double fraction = o.cost ? program_.step_cost(o.cost).payload_fraction : 1.0;
    const auto bytes = static_cast<std::uint64_t>(std::ceil(static_cast<double>(o.bytes) / fraction));
    group_hosts_.clear();
    for (const auto& [src, dst] : program_.members(o)) {
      if (cluster_.server_of[src] != cluster_.server_of[dst]) {
        group_hosts_.emplace_back(cluster_.host_of[src], cluster_.host_of[dst]);
      } else if (src != dst && bytes > 0) {
        ++result_.nvlink_transfers;
        ++waiting_[op];
        nvlink_.start(network_.now(), src, dst, static_cast<double>(bytes), (kGroupPart << kTagShift) | op);
      }
    }
    if (!group_hosts_.empty() && bytes > 0) {
      result_.network_transfers += group_hosts_.size();
      ++waiting_[op];
      network_.start_group(group_hosts_, on_wire(bytes), o.rounds, op);
    }
    if (waiting_[op] == 0) finished_stack_.push_back(op);
    return;
  }
  if (!move(o.src, o.dst, o.bytes, op, o.cost)) finished_stack_.push_back(op);
}

core::TimePs Executor::step_ps(std::uint32_t src, std::uint32_t dst, std::uint8_t cost) const {
  const bool inside = cluster_.server_of[src] == cluster_.server_of[dst];
  if (cost == 0) return inside ? params_.nvlink_step_ps : params_.network_step_ps;
  const StepCost& c = program_.step_cost(cost);
  return inside ? c.nvlink_step_ps : c.network_step_ps;
}

std::uint64_t Executor::on_wire(std::uint64_t bytes) const {
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(bytes) / params_.network_efficiency));
}

bool Executor::move(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes, std::uint64_t token,
                    std::uint8_t cost) {
  if (src == dst || bytes == 0) return false;
  if (cost != 0 && program_.step_cost(cost).payload_fraction < 1.0)
    bytes = static_cast<std::uint64_t>(
        std::ceil(static_cast<double>(bytes) / program_.step_cost(cost).payload_fraction));
  if (cluster_.server_of[src] == cluster_.server_of[dst]) {
    ++result_.nvlink_transfers;
    nvlink_.start(network_.now(), src, dst, static_cast<double>(bytes), token);
  } else {
    ++result_.network_transfers;
    network_.start_transfer(cluster_.host_of[src], cluster_.host_of[dst], on_wire(bytes), token);
  }
  return true;
}

void Executor::finish(std::uint32_t op) {
  result_.finish_ps[op] = network_.now();
  const Op& o = program_.ops()[op];
  for (std::uint32_t k = 0; k < o.successors; ++k) {
    const std::uint32_t next = program_.successor(o.first_successor + k);
    if (--waiting_[next] == 0) make_ready(next);
  }
  if (o.kind == OpKind::kRingEntry) ring_joined(o);
}

void Executor::drain() {
  while (!finished_stack_.empty() || !sent_stack_.empty()) {
    if (!sent_stack_.empty()) {
      const std::uint64_t send = sent_stack_.back();
      sent_stack_.pop_back();
      send_done(send);
      continue;
    }
    const std::uint32_t op = finished_stack_.back();
    finished_stack_.pop_back();
    finish(op);
  }
}

Executor::RingSend Executor::locate(std::uint64_t send) const {
  const auto& rings = program_.rings();
  const auto it = std::upper_bound(rings.begin(), rings.end(), send,
                                   [](std::uint64_t s, const RingSpec& r) { return s < r.first_send; });
  const RingSpec& ring = *(it - 1);
  const std::uint64_t n = send - ring.first_send;
  return {ring, static_cast<std::uint32_t>(it - 1 - rings.begin()), static_cast<std::uint32_t>(n / ring.size),
          static_cast<std::uint32_t>(n % ring.size)};
}

void Executor::ring_joined(const Op& entry) {
  const RingSpec& ring = program_.ring(entry.ring);
  const std::uint32_t m = ring.size;
  ring_joined_[ring.first_gpu + entry.position] = 1;
  auto joined = [&](std::uint32_t i) { return ring_joined_[ring.first_gpu + i % m] != 0; };
  // Send (0, i) needs positions i - 1 (whose block it is), i and i + 1 (the receiver); this entry is the last
  // of them for at most the three positions around it.
  for (std::uint32_t d = 0; d < std::min<std::uint32_t>(m, 3); ++d) {
    const std::uint32_t i = (entry.position + m - 1 + d) % m;
    if (joined(i + m - 1) && joined(i) && joined(i + 1)) ready_send(ring, 0, i);
  }
}

void Executor::ready_send(const RingSpec& ring, std::uint32_t k, std::uint32_t i) {
  const std::uint64_t send = ring.first_send + static_cast<std::uint64_t>(k) * ring.size + i;
  const core::TimePs step =
      step_ps(program_.ring_gpu(ring, i), program_.ring_gpu(ring, (i + 1) % ring.size), ring.cost);
  if (step == 0) {
    begin_send(send);
  } else {
    network_.set_timer(network_.now() + step, (kRingStep << kTagShift) | send);
  }
}

void Executor::begin_send(std::uint64_t send) {
  const auto [ring, r, k, i] = locate(send);
  const std::uint64_t bytes = Program::ring_block(ring, k, i);
  const std::uint32_t src = program_.ring_gpu(ring, i);
  const std::uint32_t dst = program_.ring_gpu(ring, (i + 1) % ring.size);
  const std::uint32_t via = program_.ring_via(ring, i);
  if (via != src && bytes > 0 && cluster_.server_of[src] != cluster_.server_of[dst]) {
    // PXN: the block moves over NVLink to `via` while `via`'s NIC sends it on (NCCL pipelines the two in
    // slices of a step); the send is done when both legs are.
    move(src, via, bytes, (kPxnLeg << kTagShift) | send, ring.cost);
    move(via, dst, bytes, (kRingSend << kTagShift) | send, ring.cost);
    return;
  }
  if (!move(src, dst, bytes, (kRingSend << kTagShift) | send, ring.cost)) sent_stack_.push_back(send);
}

bool Executor::leg_done(std::uint64_t send) {
  const std::uint64_t key = send + 1;
  if (half_done_.empty()) half_done_.assign(1024, 0);
  std::size_t mask = half_done_.size() - 1;
  std::size_t slot = (key * 0x9E3779B97F4A7C15ull) >> 20 & mask;
  while (half_done_[slot] != 0 && half_done_[slot] != key) slot = (slot + 1) & mask;
  if (half_done_[slot] == 0) {
    half_done_[slot] = key;
    if (++half_done_count_ * 2 > half_done_.size()) {
      std::vector<std::uint64_t> old(half_done_.size() * 2, 0);
      old.swap(half_done_);
      mask = half_done_.size() - 1;
      for (const std::uint64_t k : old)
        if (k != 0) {
          std::size_t s = (k * 0x9E3779B97F4A7C15ull) >> 20 & mask;
          while (half_done_[s] != 0) s = (s + 1) & mask;
          half_done_[s] = k;
        }
    }
    return false;
  }
  // Remove by backward shift, so that no probe sequence is cut.
  --half_done_count_;
  std::size_t hole = slot;
  for (std::size_t next = (hole + 1) & mask; half_done_[next] != 0; next = (next + 1) & mask) {
    const std::size_t home = (half_done_[next] * 0x9E3779B97F4A7C15ull) >> 20 & mask;
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      half_done_[hole] = half_done_[next];
      hole = next;
    }
  }
  half_done_[hole] = 0;
  return true;
}

void Executor::send_done(std::uint64_t send) {
  const auto [ring, r, k, i] = locate(send);
  if (k + 1 < ring.steps) {
    ready_send(ring, k + 1, (i + 1) % ring.size);
    return;
  }
  // The last step: position i has sent its last block and position i + 1 has received its last.
  for (const std::uint32_t p : {i, (i + 1) % ring.size}) {
    const std::uint32_t exit = program_.ring_exit(r, p);
    if (--waiting_[exit] == 0) make_ready(exit);
  }
}

void Executor::moved(std::uint64_t token) {
  const std::uint64_t tag = token >> kTagShift;
  if (tag == kRingSend || tag == kPxnLeg) {
    const std::uint64_t send = token & kValueMask;
    const auto [ring, r, k, i] = locate(send);
    const bool two_legs = program_.ring_via(ring, i) != program_.ring_gpu(ring, i) &&
                          cluster_.server_of[program_.ring_gpu(ring, i)] !=
                              cluster_.server_of[program_.ring_gpu(ring, (i + 1) % ring.size)];
    if (!two_legs || leg_done(send)) send_done(send);
    return;
  }
  const auto op = static_cast<std::uint32_t>(token & kValueMask);
  if (program_.ops()[op].kind != OpKind::kGroup || --waiting_[op] == 0) finish(op);
}

void Executor::transfer_done(std::uint64_t token) {
  moved(token);
  drain();
}

void Executor::timer(std::uint64_t token) {
  const std::uint64_t tag = token >> kTagShift;
  const std::uint64_t value = token & kValueMask;
  switch (tag) {
    case kComputeDone:
      finish(static_cast<std::uint32_t>(value));
      break;
    case kStepDone:
      begin_transfer(static_cast<std::uint32_t>(value));
      break;
    case kNvlink: {
      std::uint64_t user = 0;
      if (nvlink_.on_timer(network_.now(), value, user)) moved(user);
      break;
    }
    case kRingStep:
      begin_send(value);
      break;
    default:
      AIFABRIC_ASSERT(false, "unknown executor timer");
  }
  drain();
}

}  // namespace aifabric::workload
