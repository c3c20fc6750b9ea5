#pragma once
// The physical layer of a built design: every cable with both ends, its length from the rack layout and
// the medium that reaches it; transceivers (a twin-port module ends two links); switches, NICs, power,
// rack units and capital cost (docs/models/plan.md).
#include <cstdint>
#include <string>
#include <vector>

#include "plan/catalog.hpp"
#include "plan/request.hpp"
#include "plan/sizing.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric::plan {

struct BomLine {
  std::string item;  // catalog name
  std::string role;  // "leaf switch", "node-leaf cable", "switch-side transceiver", ...
  std::uint64_t count = 0;
  double unit_power_w = 0;
  double unit_price_usd = 0;
  std::string source;
};

// One cable of the plant.
struct CableRun {
  std::string tier;  // "leaf" (server to leaf), "spine" (leaf to spine), "core", "fabric_manager"
  std::string a_device, a_port, b_device, b_port;
  double length_m = 0;
  std::string medium;  // dac, acc, multimode, single_mode
  std::string cable;   // catalog name
};

struct TierCount {
  std::string tier;  // leaf, spine, core, storage_leaf
  std::uint32_t switches = 0;
  std::uint64_t ports_used = 0;
  std::uint64_t ports_free = 0;
};

struct Bom {
  std::vector<BomLine> lines;
  std::vector<CableRun> cables;
  std::vector<TierCount> tiers;
  std::uint64_t cables_by_tier[4] = {0, 0, 0, 0};  // leaf (with fabric manager links), spine, core, storage
  std::uint64_t switch_transceivers = 0, node_transceivers = 0;
  double switch_power_w = 0, optics_power_w = 0, nic_power_w = 0, cable_power_w = 0;
  double capex_usd = 0;
  double rack_units = 0;  // switches and servers
  std::uint32_t racks = 0;
  double network_rack_units = 0;  // the switches'
  std::uint32_t network_racks = 0;
  double network_power_w() const { return switch_power_w + optics_power_w + nic_power_w + cable_power_w; }
  // Switches of one tier ("leaf", "spine", "core", ...; 0 when it has none), and of every tier.
  std::uint32_t switches_in(const std::string& tier) const;
  std::uint32_t switch_count() const;
};

// Dollars as people read them: $950, $36k, $1.25M (negative with a leading minus).
std::string format_usd(double usd);

// The bill of materials of `topology` (built from `sizing` with `sw` at `rate_gbps`). A link no medium
// in the catalog reaches, or a missing NIC or transceiver, is a core::InputError naming the catalog.
Bom bill_of_materials(const topo::TopologySpec& topology, const Sizing& sizing, const SwitchModel& sw,
                      double rate_gbps, const ClusterRequest& cluster, const Catalog& catalog);

// A fabric of `planes` identical planes, `b` being one: switches, cables, transceivers and their power
// and price times `planes`, cables named by plane (`plane1/su0.rail0`, server port `nic0/1`); each GPU's
// one NIC has a port in every plane (a NIC of planes x `rate_gbps` from the catalog).
void replicate_planes(Bom& b, std::uint32_t planes, double rate_gbps, std::uint64_t gpus,
                      const Catalog& catalog);

}  // namespace aifabric::plan
