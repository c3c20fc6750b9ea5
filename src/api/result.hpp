#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "net/results.hpp"
#include "net/simulation.hpp"

namespace aifabric::api {

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};

// What one run produced. Everything here is a pure function of (scenario, seed) except `cost`, which
// describes the run itself and is never written to result files.
struct Result {
  std::string scenario;
  std::uint64_t seed = 0;
  net::RunStats stats;
  std::vector<net::FlowResult> flows;
  std::vector<net::PortReport> ports;
  std::vector<net::SeriesRow> series;
  std::vector<net::PortSample> port_samples;  // telemetry.counters, packet level
  std::vector<net::Simulation::BufferPeak> buffers;
  net::ByteLedger ledger;
  net::InvariantReport invariants;
  std::uint64_t flows_completed = 0;
  Percentiles fct_us;
  Percentiles slowdown;
  std::uint64_t drops = 0, ecn_marks = 0, pause_frames = 0, retransmitted_packets = 0, cnps = 0;
  core::TimePs paused_ps = 0;
  std::vector<std::uint32_t> hottest;  // indices into `ports`, by utilization, ties in port order
  std::size_t hosts = 0, switches = 0, links = 0;
  struct Cost {
    double wall_seconds = 0;
    double events_per_second = 0;
    std::uint64_t peak_rss_bytes = 0;
  } cost;
};

}  // namespace aifabric::api
