#pragma once
// A plan request: the `plan:` section of a scenario (docs/models/plan.md). The rest of the scenario (jobs,
// services, traffic, cluster) is the workload portfolio every candidate design is assessed with.
#include <cstdint>
#include <string>
#include <vector>

#include "io/node.hpp"
#include "io/schema.hpp"
#include "net/config.hpp"
#include "plan/catalog.hpp"

namespace aifabric::plan {

// The servers and how they sit in racks.
struct ClusterRequest {
  std::uint32_t gpus_per_server = 8;
  // Links one NIC-side transceiver ends: 2 for servers with twin-port OSFP cages (DGX H100: 4 cages for
  // 8 NICs), 1 for single-port NIC optics (most HGX servers).
  std::uint32_t nic_links_per_cage = 1;
  std::uint32_t servers_per_unit = 0;  // scalable unit (SU); 0: as many as a rail leaf takes at the ratio
  bool fabric_manager_slot = false;    // one server slot of the cluster left for the fabric manager (UFM)
  std::uint32_t fabric_manager_links = 4;
  std::uint32_t storage_nodes = 0;  // on a storage leaf under the top tier of the fabric that carries storage
  double server_rack_units = 8;
  double server_power_w = 10200;
  // Rack layout, deciding cable lengths and so their reach class.
  std::uint32_t servers_per_rack = 4;
  std::uint32_t racks_per_row = 8;
  double rack_width_m = 0.6;
  double row_pitch_m = 3.0;
  double cable_slack_m = 4.0;  // risers, trays and service loops added to every run
};

// What to weigh designs by.
struct ObjectiveRequest {
  double years = 4;  // horizon over which capital, energy and lost GPU time are added
  double energy_usd_per_kwh = 0.10;
  double pue = 1.3;         // facility power / IT power
  double recable_usd = 40;  // labour to move one existing cable when a phase re-spreads links
};

// The storage fabric of designs that keep storage off the compute fabric: every server's storage NICs
// and the storage nodes on a fabric of their own (rail-style: NIC i of each server on leaf i of its SU).
struct StorageFabricRequest {
  net::FabricKind fabric = net::FabricKind::kRoce;
  std::uint32_t nics_per_server = 2;
  double link_rate_gbps = 400;
  double oversubscription = 1;
  std::string switch_name;  // empty: the catalog's first switch of the fabric and speed
};

// The options whose combinations are the candidate designs.
struct OptionsRequest {
  std::vector<net::FabricKind> fabrics;  // infiniband, roce
  std::vector<double> link_rates_gbps;   // 400, 800
  std::vector<double> oversubscription;  // at the rail leaf: 1, 2, 3 (r:1)
  std::vector<std::string> switches;     // restrict to these catalog switches; empty: every match
  std::vector<std::uint32_t> planes;     // identical compute planes (1, 2), a NIC port of each GPU in each
  std::vector<bool> separate_storage;    // false: storage on the compute fabric; true: on its own
};

struct PlanRequest {
  ClusterRequest cluster;
  ObjectiveRequest objective;
  OptionsRequest options;
  StorageFabricRequest storage;
  std::vector<std::uint32_t> phases_gpus;  // GPUs per growth phase, growing; the portfolio runs on the last
  Catalog catalog;
  unsigned threads = 0;  // 0: one per core
};

// Reads `root["plan"]`; every problem is a core::InputError naming the field (plan.phases[1], ...).
PlanRequest parse_plan(const io::Node& root, const std::string& source);

// Every key of the plan section.
std::vector<io::ParamDoc> plan_docs();
// `aifabric params` and docs/parameters.md: the scenario's parameters, then the plan section's.
std::string parameter_reference_markdown();

}  // namespace aifabric::plan
