#pragma once
// The loaders of the scenario's sections, one file each, used by scenario_loader.cpp. Each reads its
// section of the document through the schemas (scenario_schemas.hpp) and throws core::InputError naming
// the file, line and field.
#include <cstdint>
#include <string>
#include <vector>

#include "api/scenario.hpp"
#include "io/node.hpp"
#include "workload/placement.hpp"

namespace aifabric::io {

// The run's memory, estimated from the counts of links and flows before they are allocated, and refused
// above `limits.max_memory_gbytes`. The costs per link (2 KB, with its share of hosts, switches and
// routes) and per flow (400 B) are one calibration: the peak RSS of `aifabric validate` on fat-trees
// k = 32 and 48 and on Poisson traffic of 100k and 400k flows (docs/models/run_size.md). The estimate is
// a guard against sizes no machine holds, not a prediction. The planner (src/plan) uses it too.
class SizeBudget {
 public:
  static constexpr double kBytesPerLink = 2048;
  static constexpr double kBytesPerFlow = 400;
  explicit SizeBudget(double max_gbytes) : max_bytes_(max_gbytes * 1e9), max_gbytes_(max_gbytes) {}
  // Adds `links` (or `flows`) planned by the value at `where`; throws there when the total is too large.
  void add_links(double links, const core::Location& where) { add(links, 0, where); }
  void add_flows(double flows, const core::Location& where) { add(0, flows, where); }

 private:
  void add(double links, double flows, const core::Location& where);
  double max_bytes_, max_gbytes_;
  double links_ = 0, flows_ = 0;
};

// fabric_loader.cpp: the fabric and its cross-field rules (PFC only on roce, ECN and congestion control
// defaults, `auto` load balancing, DCQCN needs ECN, kmax > kmin, xon <= xoff) and its framing.
net::FabricConfig load_fabric(const Node& node, const ParseContext& ctx);
// fabric_loader.cpp: checks that need both the fabric and the topology (a DWRR quantum holds a packet, a
// retransmission timeout outlasts the longest round trip between sites), and the settings derived from it.
void fit_fabric_to_topology(api::Scenario& sc, const Node& fabric, const ParseContext& ctx);

// topology_loader.cpp: builds and validates the topology, with its failed links removed and the
// scenario's link, switch and NIC faults applied (`faults`, the scenario's list; may be undefined), each
// described in `applied`.
topo::TopologySpec load_topology(const Node& node, const Node& faults, std::vector<std::string>& applied,
                                 const ParseContext& ctx, SizeBudget& budget);

// fault_loader.cpp: the `faults` list. The link, switch and NIC faults change the topology (links removed
// or slowed, hosts out of service: TopologySpec::down_hosts, with the hosts they cut off); each fault
// applied is described in `applied`.
// The index of the site named at `n` (a text) on a topology of kind sites, else an InputError at `field`.
std::uint32_t site_named(const Node& n, const topo::TopologySpec& topology, const ParseContext& ctx,
                         const std::string& field);

void apply_topology_faults(const Node& faults, topo::TopologySpec& t, std::vector<std::string>& applied,
                           const ParseContext& ctx);
// fault_loader.cpp: the stragglers (Faults::compute_factor), PFC storms (RunOptions::pfc_storms), slow
// NICs (RunOptions::slow_nics) and timed link events, once the fabric and the cluster are loaded.
void apply_run_faults(const Node& faults, api::Scenario& sc, const ParseContext& ctx);

// traffic_loader.cpp: the flows of the traffic generators.
std::vector<backend::FlowSpec> load_traffic(const Node& node, const topo::TopologySpec& topology,
                                            std::uint64_t seed, const ParseContext& ctx, SizeBudget& budget);

// workload_loader.cpp: the GPU cluster over the topology's hosts, the collective sweep, training jobs and
// inference services (each checked by workload::check, on GPUs no other workload holds).
void load_cluster(const Node& node, const Node& topology, api::Scenario& sc, const ParseContext& ctx);
void load_collective(const Node& node, api::Scenario& sc, const ParseContext& ctx);
void load_jobs(const Node& node, api::Scenario& sc, workload::GpuClaims& claims, const ParseContext& ctx);
void load_services(const Node& node, api::Scenario& sc, workload::GpuClaims& claims, const ParseContext& ctx);

}  // namespace aifabric::io
