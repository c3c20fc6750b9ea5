#pragma once
#include <cstdint>
#include <memory>

#include "api/scenario.hpp"
#include "net/results.hpp"
#include "workload/executor.hpp"
#include "workload/program.hpp"

namespace aifabric::api {

workload::ClusterMap cluster_map(const Scenario& scenario);
workload::ExecutorParams executor_params(const Scenario& scenario);
// The ideal network with the scenario's NICs and path latencies.
std::unique_ptr<workload::IdealNetwork> ideal_network(const Scenario& scenario);

struct Execution {
  workload::ExecutionResult result;
  std::uint64_t events = 0;            // engine events (packet model) or ideal-network events
  net::RunStats packet_stats;          // packet model only
  std::vector<net::PortReport> ports;  // packet model only
};

// Runs a program on the scenario's cluster and network model; on the packet model the scenario's traffic
// (checkpoints, background flows) shares the fabric when `with_traffic` is set (the flow and ideal models
// carry the program's transfers only).
Execution execute(const Scenario& scenario, const workload::Program& program, NetworkModel model,
                  bool with_traffic = false);

struct CollectiveRow {
  std::uint64_t bytes = 0;
  core::TimePs time_ps = 0;
  double algbw_gbytes_per_s = 0;
  double busbw_gbytes_per_s = 0;
  std::uint64_t events = 0;
  bool complete = true;  // false when the run stopped first (stop time, deadlock): time_ps is then a floor
};

// One collective of `spec.bytes` on its own, timed from the first rank's start to the last rank's end.
CollectiveRow run_collective(const Scenario& scenario, const workload::CollectiveSpec& spec,
                             NetworkModel model);

}  // namespace aifabric::api
