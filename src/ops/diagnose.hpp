#pragma once
#include <string>
#include <vector>

#include "telemetry/dataset.hpp"

namespace aifabric::ops {

// What `aifabric diagnose` looks for in a fabric's port telemetry, the thresholds each rule uses, and
// why (docs/models/diagnose.md). One declaration serves the detectors and the report.
struct Rules {
  double degraded_speed_fraction = 0.99;  // a port below this share of its group's median speed
  double hot_utilization = 0.8;           // a congested window: at least this busy ...
  std::size_t hot_windows = 3;      // ... and queueing, this many windows in a row: ECN marks, drops, or
  double hot_queue_bytes = 100000;  // a standing queue this deep (25 full 4 KB packets, 8 us at 100G)
  // PFC storm (NVIDIA's variant of SONiC's watchdog rule, sonic-swss PR #3036): a port paused for more
  // than this share of a window, with packets queued and next to nothing sent, ...
  double storm_paused_fraction = 0.99;
  std::size_t storm_windows = 3;  // ... this many windows in a row (SONiC: detection_time / poll interval)
  double imbalance_ratio = 1.5;   // ECMP: the busiest member at least this many times the mean ...
  double imbalance_min_utilization = 0.2;  // ... of a group at least this busy on average
  // A flapping link: it went down at least this many times in the telemetry (SONiC's flap_count,
  // research-ops A7; a single clean down is a link down, or planned maintenance).
  std::size_t flap_downs = 2;
  // A lossy link (research-ops A6): frames received with a bad FCS, at least this many (not a one-off) ...
  std::size_t lossy_min_errors = 2;
  // ... and at least this share of the frames its peer sent (CorrOpt, SIGCOMM'17: a link corrupting
  // above 1e-8 of its packets is worth taking out; a healthy link is far below, at a BER of 1e-12).
  double lossy_frame_error_ratio = 1e-8;
  // A slow NIC (Microsoft, SIGCOMM'16: the slow-receiver symptom): a host that keeps pausing its switch
  // port for at least this share of a window while the port still sends (1% to hot_utilization of its
  // rate: not a storm, not an incast at line rate), storm_windows windows in a row.
  double slow_nic_paused_fraction = 0.1;
};

// One finding: what is wrong, where, the counters that show it and when they first did.
struct Finding {
  std::string kind;         // link_down, link_flap, switch_down, nic_down, link_degraded, lossy_link,
                            // pfc_storm, nic_slow, incast, hot_spot, ecmp_imbalance
  std::string location;     // "link A-B", "switch S", "host H", "port A->B", "group S->stem"
  std::string evidence;     // counters and values
  double first_seen_s = 0;  // the first sample that shows it
  double detected_s = 0;    // when the rule fired: first_seen_s, or the end of the windows it needs
  std::string severity;     // critical (capacity lost), major (capacity reduced), minor
  // The place as node names, for code: a link's or port's ends (a, b), a switch or host (a); and for a
  // slow link the rate it runs at; for a slow NIC the rate it drains at (its port's throughput).
  std::string a, b;
  double rate_gbps = 0;
  // A lossy link: corrupted frames over the frames sent towards the port, and the bit error rate that
  // gives it on frames of the mean size seen (0 when the peer's frame counters are missing).
  double frame_error_ratio = 0, ber = 0;
  // A flapping link: how many times it went down, when first and last, and how long it stayed down
  // (the samples that saw it down x the interval; 0 when every down fell between two samples).
  std::size_t downs = 0;
  double last_down_s = 0, down_s = 0;
};

struct Diagnosis {
  std::vector<Finding> findings;  // ordered by severity, then first seen, then location
  std::vector<telemetry::DataQuality> quality;
  std::size_t ports = 0, samples = 0;
  double window_s = 0;  // the sampling interval (median spacing of samples)
};

// Runs every detector over the telemetry. Ports are grouped by the names of their ends with digits
// ignored ("su0.rail3->spine12" is in group "su#.rail#->spine#"): the ports of a group are expected to
// be alike (same speed; an ECMP group's members equally loaded).
Diagnosis diagnose(const telemetry::Dataset& data, const Rules& rules = {});

std::string diagnosis_text(const Diagnosis& d);
std::string diagnosis_json(const Diagnosis& d);

}  // namespace aifabric::ops
