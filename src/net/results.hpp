#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "net/config.hpp"

namespace aifabric::net {

// Counters of one egress port (one direction of a link) and its queues. Field meanings and units are
// documented in docs/output.md.
struct PortCounters {
  std::uint64_t tx_bytes = 0;  // all frames, wire bytes
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_data_bytes = 0;  // payload of data packets
  std::uint64_t drops[kClasses] = {0, 0};
  std::uint64_t drop_bytes[kClasses] = {0, 0};
  std::uint64_t ecn_marks = 0;
  std::uint64_t pause_sent = 0;   // XOFF frames sent on this port (to its peer)
  std::uint64_t resume_sent = 0;  // XON frames
  std::uint64_t pause_received = 0;
  std::uint64_t fcs_errors = 0;  // frames this port's node received corrupted from its peer, and dropped
  std::uint64_t link_down_drops =
      0;                         // packets lost to the link being down: queued, on the wire, or routed to it
  std::uint64_t link_downs = 0;  // times the link went down (timed faults)
  std::uint64_t pfc_wd_storms = 0;  // storms the switch's PFC watchdog found on this port
  std::uint64_t pfc_wd_drops = 0;   // data packets its watchdog dropped (queued at, or routed to, the port)
  core::TimePs paused_ps = 0;       // time the data class spent paused
  core::TimePs pause_started = -1;
  std::uint64_t max_queue_bytes[kClasses] = {0, 0};
  double queue_byte_ps[kClasses] = {0, 0};  // integral of queue depth over time
  core::TimePs queue_changed[kClasses] = {0, 0};
  std::int64_t min_credits = 0;  // InfiniBand: lowest credit balance seen (bytes)
};

struct PortReport {
  std::string name;  // "from->to" (with "#k" for the k-th parallel link)
  std::string from, to;
  double rate_gbps = 0;
  PortCounters counters;
  double utilization = 0;  // tx wire bits / (rate x simulated time)
  double mean_queue_bytes[kClasses] = {0, 0};
};

struct FlowResult {
  std::uint32_t id = 0, src = 0, dst = 0;
  std::uint64_t size_bytes = 0;
  core::TimePs start_ps = 0;
  core::TimePs finish_ps = -1;  // last byte delivered at the receiver; -1: did not complete
  core::TimePs ideal_ps = 0;    // alone on its empty path
  std::uint64_t retransmitted_packets = 0;
  std::uint64_t cnps = 0;
  std::uint64_t delivered_bytes = 0;  // distinct payload bytes the receiver has accepted
  double fct_us() const { return core::ps_to_us(finish_ps - start_ps); }
  double slowdown() const {
    return static_cast<double>(finish_ps - start_ps) / static_cast<double>(ideal_ps);
  }
  bool completed() const { return finish_ps >= 0; }
};

struct SeriesRow {
  core::TimePs time_ps;
  std::uint32_t port;
  double utilization;
  std::uint64_t queue_bytes;
};

// One port's cumulative counters at one sampling time (telemetry.counters): what a switch's counter
// poll reads. Counters count from the start of the run; queue_bytes is the depth at the sample and
// watermark_bytes the deepest since the start (SONiC's persistent watermark).
struct PortSample {
  core::TimePs time_ps = 0;
  std::uint32_t port = 0;
  std::uint64_t tx_bytes = 0, tx_packets = 0, drops = 0, ecn_marks = 0;
  std::uint64_t pause_sent = 0, resume_sent = 0, pause_received = 0;
  core::TimePs paused_ps = 0;
  std::uint64_t queue_bytes = 0, watermark_bytes = 0;
  std::uint64_t fcs_errors = 0;
  std::uint64_t link_downs = 0;
  std::uint64_t pfc_wd_storms = 0, pfc_wd_drops = 0;
  bool up = true;  // the link's state at the sample
};

// Totals for conservation: every data payload byte a NIC put on the wire is delivered, dropped, or in flight.
struct ByteLedger {
  std::uint64_t injected = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped = 0;    // at a queue (buffer full), or by a switch's PFC watchdog
  std::uint64_t corrupted = 0;  // on a lossy link (LinkParams::ber), dropped by the receiver's MAC
  std::uint64_t link_down = 0;  // lost to a link going down (timed faults), or sent where no route led
  std::uint64_t in_flight = 0;
  bool balanced() const { return injected == delivered + dropped + corrupted + link_down + in_flight; }
};

struct InvariantReport {
  std::uint64_t checks = 0;
  std::uint64_t violations = 0;
  std::string first_violation;
};

struct RunStats {
  std::uint64_t events = 0;
  core::TimePs end_ps = 0;
  std::uint64_t fingerprint = 0;
  bool all_completed = false;
  bool stopped_early = false;  // hit the stop time with flows unfinished
  bool stalled = false;  // flows unfinished and nothing delivered for the watchdog's interval (deadlock)
};

}  // namespace aifabric::net
