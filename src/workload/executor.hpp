#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/event_queue.hpp"
#include "core/time.hpp"
#include "flow/max_min.hpp"
#include "workload/program.hpp"
#include "workload/shared_links.hpp"

namespace aifabric::workload {

// 64-bit tokens parked under 32-bit event targets: the engines' events carry a 32-bit target, the
// executor's tokens need 64. Slots are recycled, so the table grows with pending events only.
class TokenSlots {
 public:
  std::uint32_t put(std::uint64_t token) {
    if (!free_.empty()) {
      const std::uint32_t s = free_.back();
      free_.pop_back();
      slots_[s] = token;
      return s;
    }
    slots_.push_back(token);
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  // Returns the token and frees the slot.
  std::uint64_t take(std::uint32_t slot) {
    free_.push_back(slot);
    return slots_[slot];
  }
  std::size_t capacity() const { return slots_.size(); }

 private:
  std::vector<std::uint64_t> slots_;
  std::vector<std::uint32_t> free_;
};

// What a network backend reports to whoever drives it.
class BackendSink {
 public:
  virtual ~BackendSink() = default;
  virtual void transfer_done(std::uint64_t token) = 0;
  virtual void timer(std::uint64_t token) = 0;
};

using HostPair = std::pair<std::uint32_t, std::uint32_t>;  // (source host, destination host)

// The scale-out network as the executor sees it: transfers between hosts (NICs) and timers on one clock.
// Implemented by the packet engine (api::PacketNetwork) and by IdealNetwork below.
class NetworkBackend {
 public:
  virtual ~NetworkBackend() = default;
  virtual core::TimePs now() const = 0;
  virtual void start_transfer(std::uint32_t src_host, std::uint32_t dst_host, std::uint64_t bytes,
                              std::uint64_t token) = 0;
  // A group of transfers in lockstep (see OpKind::kGroup), between hosts: done once, when its members
  // are, `rounds` path latencies after its last bytes leave.
  virtual void start_group(std::span<const HostPair> members, std::uint64_t bytes_per_member,
                           std::uint32_t rounds, std::uint64_t token) = 0;
  virtual void set_timer(core::TimePs at, std::uint64_t token) = 0;
  // Runs until nothing is pending, reporting to `sink`.
  virtual void run(BackendSink& sink) = 0;
};

// What the fluid backends share: one clock for the caller's timers and a flow::MaxMinFluid over some
// links; a transfer (or group) is one fluid flow, done a fixed delay after its last byte leaves. The
// rates are solved once per instant, after every event at that time.
class FluidNetwork : public NetworkBackend {
 public:
  explicit FluidNetwork(std::vector<double> link_payload_bytes_per_ps);
  core::TimePs now() const override { return queue_.now(); }
  void set_timer(core::TimePs at, std::uint64_t token) override;
  void run(BackendSink& sink) override;
  std::uint64_t events() const { return events_; }
  // Called every kProgressEvents events with the simulated time and the events so far.
  void set_progress(std::function<void(core::TimePs, std::uint64_t)> progress) {
    progress_ = std::move(progress);
  }
  static constexpr std::uint64_t kProgressEvents = std::uint64_t{1} << 16;

 protected:
  // Moves `bytes` over the links of `path`; the caller's `token` is done `delay` after the last byte left.
  void start_fluid(std::vector<std::uint32_t> path, std::uint64_t bytes, core::TimePs delay,
                   std::uint64_t token);
  const flow::MaxMinFluid& fluid() const { return fluid_; }

 private:
  enum Kind : std::uint32_t { kExternal, kFluid, kArrival };

  core::EventQueue queue_;
  TokenSlots slots_;  // timers: the caller's tokens and the fluid model's keys
  flow::MaxMinFluid fluid_;
  TokenSlots started_;               // the caller's token of each transfer in flight
  std::vector<core::TimePs> delay_;  // by slot of started_: from last byte out to done
  std::uint64_t events_ = 0;
  std::function<void(core::TimePs, std::uint64_t)> progress_;
};

// A non-blocking, congestion-free network: each host's NIC sends and receives at its line rate times the
// payload fraction, shared max-min fairly among its concurrent transfers, and a transfer's last byte
// arrives one path latency after it leaves (docs/models/collectives.md). Links 2h and 2h + 1 are host
// h's sending and receiving sides.
class IdealNetwork : public FluidNetwork {
 public:
  // `latency(src, dst)`: propagation and forwarding delay of the path between two hosts.
  IdealNetwork(const std::vector<double>& nic_payload_bytes_per_ps,
               std::function<core::TimePs(std::uint32_t, std::uint32_t)> latency);
  // Same latency between every pair of distinct hosts.
  IdealNetwork(const std::vector<double>& nic_payload_bytes_per_ps, core::TimePs latency);
  void start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                      std::uint64_t token) override;
  void start_group(std::span<const HostPair> members, std::uint64_t bytes_per_member, std::uint32_t rounds,
                   std::uint64_t token) override;

 private:
  std::function<core::TimePs(std::uint32_t, std::uint32_t)> latency_;
};

// Where each GPU sits: its server (for the scale-up domain) and its NIC's host index in the topology.
struct ClusterMap {
  std::vector<std::uint32_t> server_of;
  std::vector<std::uint32_t> host_of;
};

struct ExecutorParams {
  double nvlink_bytes_per_ps = 0;    // per GPU and direction
  core::TimePs nvlink_step_ps = 0;   // latency of one step over NVLink
  core::TimePs network_step_ps = 0;  // latency of one step over the network, before the network's own delay
  double network_efficiency = 1;     // transfers put bytes / efficiency on the network (protocol overhead)
};

struct ExecutionResult {
  bool complete = true;  // false when the network stopped first (stop time, deadlock): some ops never ran
  core::TimePs makespan_ps = 0;
  std::vector<core::TimePs> start_ps;   // per op: when it became ready
  std::vector<core::TimePs> finish_ps;  // per op
  std::uint64_t network_transfers = 0;
  std::uint64_t nvlink_transfers = 0;
};

// Runs a Program: compute ops take their duration, transfers inside a server go over the NVLink model,
// transfers between servers over the network backend after the per-step latency.
class Executor : public BackendSink {
 public:
  Executor(const Program& program, const ClusterMap& cluster, const ExecutorParams& params,
           NetworkBackend& network);
  ExecutionResult run();

  void transfer_done(std::uint64_t token) override;
  void timer(std::uint64_t token) override;

 private:
  // A token is an op index, or a tag in the top byte with what it refers to below it: an op, or the number
  // of a ring send (RingSpec::first_send).
  enum Tag : std::uint64_t { kComputeDone = 1, kStepDone = 2, kNvlink = 3, kRingSend = 4, kRingStep = 5 };
  std::vector<HostPair> group_hosts_;  // scratch: a group's members as hosts
  static constexpr int kTagShift = 56;
  static constexpr std::uint64_t kValueMask = (std::uint64_t{1} << kTagShift) - 1;
  static_assert(Program::kMaxRingSends - 1 <= kValueMask);
  void make_ready(std::uint32_t op);
  void finish(std::uint32_t op);
  void drain();
  void begin_transfer(std::uint32_t op);
  core::TimePs step_ps(std::uint32_t src_gpu, std::uint32_t dst_gpu) const;  // latency of one step
  std::uint64_t on_wire(std::uint64_t bytes) const;  // what a transfer puts on the network
  // Starts moving `bytes` between GPUs (NVLink inside a server, else the network), done under `token`;
  // false when there is nothing to move.
  bool move(std::uint32_t src_gpu, std::uint32_t dst_gpu, std::uint64_t bytes, std::uint64_t token);
  void moved(std::uint64_t token);  // a transfer started by move() is done
  // Rings, expanded as they run: a position joins when its entry op finishes; a send is ready when the
  // block it forwards has arrived.
  void ring_joined(const Op& entry);
  void ready_send(const RingSpec& ring, std::uint32_t k, std::uint32_t i);
  void begin_send(std::uint64_t send);
  void send_done(std::uint64_t send);
  struct RingSend {
    const RingSpec& ring;
    std::uint32_t r, k, i;  // ring index, step, position
  };
  RingSend locate(std::uint64_t send) const;

  const Program& program_;
  const ClusterMap& cluster_;
  ExecutorParams params_;
  NetworkBackend& network_;
  SharedLinks nvlink_;
  std::vector<std::uint32_t> waiting_;  // predecessors not yet finished, per op
  std::vector<std::uint32_t> finished_stack_;
  std::vector<std::uint64_t> sent_stack_;  // ring sends with nothing to move, done at once
  std::vector<std::uint8_t> ring_joined_;  // per ring position (indexed like the program's ring GPUs)
  ExecutionResult result_;
};

}  // namespace aifabric::workload
