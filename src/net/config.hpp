#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "cc/dcqcn.hpp"
#include "core/time.hpp"
#include "routing/routing.hpp"

namespace aifabric::net {

// Traffic classes on every egress port. Control carries ACK/NACK/CNP and is served first; data carries
// RDMA payload and is the class PFC protects (the RoCE "lossless priority").
enum TrafficClass : std::uint8_t { kControl = 0, kData = 1 };
inline constexpr int kClasses = 2;

enum class FabricKind : std::uint8_t { kRoce, kInfiniband, kEthernet };
enum class Scheduler : std::uint8_t { kStrict, kDwrr };
enum class CongestionControl : std::uint8_t { kNone, kDcqcn };

// The names the scenario format and the result files use, one table each.
inline const char* name(FabricKind k) {
  switch (k) {
    case FabricKind::kRoce:
      return "roce";
    case FabricKind::kInfiniband:
      return "infiniband";
    case FabricKind::kEthernet:
      return "ethernet";
  }
  return "?";
}
inline const char* name(CongestionControl c) {
  return c == CongestionControl::kDcqcn ? "dcqcn" : "none";
}
inline const char* name(Scheduler s) {
  return s == Scheduler::kDwrr ? "dwrr" : "strict";
}

struct EcnParams {
  bool enabled = false;
  std::uint64_t kmin_bytes = 0;
  std::uint64_t kmax_bytes = 0;
  double pmax = 0;
  bool mark_on_dequeue = true;  // mark as the packet leaves the queue (fresher signal) or as it joins
};

// PFC thresholds per ingress queue (port, priority). 0 for xon/headroom selects the derived value.
struct PfcParams {
  bool enabled = false;
  std::uint64_t xoff_bytes = 0;
  std::uint64_t xon_bytes = 0;       // 0: xoff - 2 x MTU frame
  std::uint64_t headroom_bytes = 0;  // 0: derived per port from its rate and latency (docs/models/pfc.md)
  // The switches' PFC watchdog (SONiC's pfcwd with its default action, drop): a switch port whose data
  // queue has been paused without a break for watchdog_detection_ps with packets queued is in a storm; its
  // queued data packets are dropped, and so is every data packet routed to it, its pauses ignored, until
  // no XOFF has arrived for watchdog_restoration_ps. 0 = no watchdog.
  core::TimePs watchdog_detection_ps = 0;
  core::TimePs watchdog_restoration_ps = 200'000'000'000;  // 200 ms, SONiC's default
};

struct TransportParams {
  std::uint32_t ack_every_packets = 1;
  core::TimePs rto_ps = 0;
};

// Per-packet wire overheads in bytes, added to the payload (docs/models/packet.md).
struct Framing {
  std::uint32_t header_bytes = 0;      // headers and trailers of a data packet
  std::uint32_t gap_bytes = 0;         // preamble + inter-frame gap (Ethernet), 0 for InfiniBand
  std::uint32_t control_bytes = 0;     // ACK / NACK frame
  std::uint32_t cnp_bytes = 0;         // congestion notification packet
  std::uint32_t link_frame_bytes = 0;  // PFC pause frame or IB flow-control packet

  // Bytes on the wire of a data packet carrying `payload_bytes`.
  std::uint32_t data_wire_bytes(std::uint32_t payload_bytes) const {
    return payload_bytes + header_bytes + gap_bytes;
  }
};

// The framing of a fabric kind (docs/models/packet.md): Ethernet frames carry Eth 14 + IPv4 20 + UDP 8 +
// BTH 12 + ICRC 4 + FCS 4 and cost 8 preamble + 12 inter-frame gap more on the wire; an ACK adds a 4-byte
// AETH, a CNP 16 reserved bytes; a PFC frame is a 64-byte MAC control frame. InfiniBand packets carry
// LRH 8 + BTH 12 + ICRC 4 + VCRC 2; a flow-control packet is 6 bytes.
inline Framing framing_of(FabricKind kind) {
  return kind == FabricKind::kInfiniband ? Framing{26, 0, 30, 30, 6} : Framing{62, 20, 66, 78, 64};
}

struct FabricConfig {
  FabricKind kind = FabricKind::kRoce;
  routing::LoadBalancing load_balancing = routing::LoadBalancing::kEcmp;
  Scheduler scheduler = Scheduler::kStrict;
  std::uint32_t dwrr_quantum_bytes[kClasses] = {0, 0};
  CongestionControl cc = CongestionControl::kDcqcn;
  EcnParams ecn;
  PfcParams pfc;
  cc::DcqcnParams dcqcn;
  TransportParams transport;
  Framing framing;
  // How long after a link goes down or comes up the other switches route by the new state (their ECMP
  // groups shrink or grow back): the routing protocol's propagation and every FIB's update. The switch at
  // either end of the link prunes it at once (docs/models/faults.md, Timed faults).
  core::TimePs routing_convergence_ps = 0;
  // InfiniBand: share of each port's receive buffer granted as credits to the control VL.
  double ib_control_vl_share = 0.125;

  bool lossless() const { return kind == FabricKind::kInfiniband || pfc.enabled; }
  bool credit_based() const { return kind == FabricKind::kInfiniband; }
  bool out_of_order_receiver() const { return load_balancing != routing::LoadBalancing::kEcmp; }
};

// Engine knobs that are not part of the modelled network.
struct RunOptions {
  std::uint64_t seed = 1;
  core::TimePs stop_ps = 0;             // hard stop; 0 = none (the run ends when every flow completes)
  core::TimePs sample_interval_ps = 0;  // time-series sampling; 0 = off
  bool sample_counters = false;         // at each sample, every port's counters too (PortSample)
  // PFC storms (faults): from `at_ps` on, host `host`'s NIC stops draining and keeps its switch port
  // paused, refreshing its XOFF every half pause quanta (65535 x 512 bit times) at its link's rate; at
  // `end_ps` (0 = never) it sends XON and stops.
  struct PfcStorm {
    std::uint32_t host;
    core::TimePs at_ps;
    core::TimePs end_ps = 0;
  };
  std::vector<PfcStorm> pfc_storms;
  // Slow receivers (faults): from `at_ps` on, host `host`'s NIC drains what it receives at `rate_bps`,
  // below its line rate (a NIC short of PCIe or host-memory bandwidth, Microsoft's "slow receiver"
  // symptom). What arrives faster waits in the NIC's receive buffer: on RoCE the NIC sends XOFF when the
  // buffer holds the fabric's PFC xoff_bytes and XON below xon_bytes; on InfiniBand it returns credits
  // only as it drains. Lossless fabrics only.
  struct SlowNic {
    std::uint32_t host;
    core::TimePs at_ps;
    std::uint64_t rate_bps;
  };
  std::vector<SlowNic> slow_nics;
  // Timed link faults: at `at_ps` link `link` (an index into the topology's links) goes down or comes
  // back up, both directions. Sorted by time, then as given.
  struct LinkEvent {
    std::uint32_t link;
    core::TimePs at_ps;
    bool up;
  };
  std::vector<LinkEvent> link_events;
  core::TimePs check_interval_ps = 0;  // invariant checks (conservation, buffers, credits); 0 = off
  // Called every kProgressEvents events with the simulated time and the events so far, for a caller that
  // shows a long run's progress; empty = none. Not a scenario value.
  std::function<void(core::TimePs simulated_ps, std::uint64_t events)> progress;
  static constexpr std::uint64_t kProgressEvents = std::uint64_t{1} << 20;
};

}  // namespace aifabric::net
