#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "backend/network_backend.hpp"
#include "core/time.hpp"
#include "workload/program.hpp"
#include "workload/shared_links.hpp"

namespace aifabric::workload {

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
class Executor : public backend::BackendSink {
 public:
  Executor(const Program& program, const ClusterMap& cluster, const ExecutorParams& params,
           backend::NetworkBackend& network);
  ExecutionResult run();

  void transfer_done(std::uint64_t token) override;
  void timer(std::uint64_t token) override;

 private:
  // A token is an op index, or a tag in the top byte with what it refers to below it: an op, or the number
  // of a ring send (RingSpec::first_send).
  enum Tag : std::uint64_t {
    kComputeDone = 1,
    kStepDone = 2,
    kNvlink = 3,
    kRingSend = 4,
    kRingStep = 5,
    kPxnLeg = 6,    // the NVLink leg of a ring send through another GPU's NIC
    kGroupPart = 7  // a group's member inside a server, over NVLink
  };
  std::vector<backend::HostPair> group_hosts_;  // scratch: a group's members as hosts
  static constexpr int kTagShift = 56;
  static constexpr std::uint64_t kValueMask = (std::uint64_t{1} << kTagShift) - 1;
  static_assert(Program::kMaxRingSends - 1 <= kValueMask);
  void make_ready(std::uint32_t op);
  void finish(std::uint32_t op);
  void drain();
  void begin_transfer(std::uint32_t op);
  // Latency of one step, with the step cost `cost` (0: the defaults).
  core::TimePs step_ps(std::uint32_t src_gpu, std::uint32_t dst_gpu, std::uint8_t cost) const;
  std::uint64_t on_wire(std::uint64_t bytes) const;  // what a transfer puts on the network
  // Starts moving `bytes` of data between GPUs (NVLink inside a server, else the network; the protocol's
  // lines when `cost` has a payload fraction below 1), done under `token`; false when there is nothing to
  // move.
  bool move(std::uint32_t src_gpu, std::uint32_t dst_gpu, std::uint64_t bytes, std::uint64_t token,
            std::uint8_t cost);
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
  backend::NetworkBackend& network_;
  SharedLinks nvlink_;
  std::vector<std::uint32_t> waiting_;  // predecessors not yet finished, per op
  std::vector<std::uint32_t> finished_stack_;
  std::vector<std::uint64_t> sent_stack_;  // ring sends with nothing to move, done at once
  std::vector<std::uint8_t> ring_joined_;  // per ring position (indexed like the program's ring GPUs)
  // Ring sends through another GPU's NIC (PXN) with one of their two legs done: an open-addressing set of
  // send numbers + 1 (0 = empty), kept at most half full; it grows only while more sends are in flight
  // than ever before.
  std::vector<std::uint64_t> half_done_;
  std::size_t half_done_count_ = 0;
  // Records that one leg of `send` is done; true when the other one was done already.
  bool leg_done(std::uint64_t send);
  ExecutionResult result_;
};

}  // namespace aifabric::workload
