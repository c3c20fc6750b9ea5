#pragma once
#include <cstdint>
#include <memory>

#include "api/scenario.hpp"
#include "flow/ideal_network.hpp"
#include "net/results.hpp"
#include "workload/executor.hpp"
#include "workload/program.hpp"

namespace aifabric::flow {
class FlowNetwork;
}

namespace aifabric::api {

workload::ClusterMap cluster_map(const Scenario& scenario);
workload::ExecutorParams executor_params(const Scenario& scenario);
// Faults only the packet engine models (a PFC storm) refused at flow level, as an InputError.
void require_packet_level_faults(const Scenario& scenario);
// The ports of a flow-level run that ended at `end_ps`: bytes carried (payload, and packets and wire bytes
// as full packets of the topology's MTU would carry them) and utilization over the run. Queues, marks,
// pauses and drops do not exist at flow level and stay zero.
std::vector<net::PortReport> flow_port_reports(const topo::TopologySpec& topology,
                                               const flow::FlowNetwork& net, core::TimePs end_ps);
// The ideal network with the scenario's NICs and path latencies.
std::unique_ptr<flow::IdealNetwork> ideal_network(const Scenario& scenario);

struct Execution {
  workload::ExecutionResult result;
  std::uint64_t events = 0;            // engine events (packet model) or ideal-network events
  net::RunStats packet_stats;          // packet model only
  std::vector<net::PortReport> ports;  // packet and flow models (flow: bytes and utilization only)
};

// Runs a program on the scenario's cluster and network model. With `with_traffic` the scenario's traffic
// (checkpoints, background flows) shares the fabric, packet by packet or as fluid flows; the ideal network
// carries the program's transfers only.
Execution execute(const Scenario& scenario, const workload::Program& program, NetworkModel model,
                  bool with_traffic = false);

}  // namespace aifabric::api
