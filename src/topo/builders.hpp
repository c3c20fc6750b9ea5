#pragma once
#include <cstdint>

#include "topo/topology_spec.hpp"

namespace aifabric::topo {

// Two-tier leaf-spine. Each leaf has `hosts_per_leaf` hosts and enough uplinks that
// downlink capacity / uplink capacity = `oversubscription`; the uplinks are spread evenly over the spines.
struct LeafSpineParams {
  std::uint32_t leaves = 0;
  std::uint32_t hosts_per_leaf = 0;
  std::uint32_t spines = 0;  // 0: one spine per leaf uplink
  double oversubscription = 1;
  TierParams leaf;   // host-leaf links and leaf switches
  TierParams spine;  // leaf-spine links and spine switches
};

// Three-tier k-ary fat-tree (Al-Fares et al., 2008): k pods of k/2 edge and k/2 aggregation switches,
// (k/2)^2 core switches, k^3/4 hosts; full bisection bandwidth.
struct FatTreeParams {
  std::uint32_t k = 0;
  TierParams edge;
  TierParams agg;
  TierParams core;
};

// Rail-optimized GPU cluster (NVIDIA DGX SuperPOD style). A scalable unit (SU) holds `servers_per_unit`
// servers of `gpus_per_server` GPUs, each GPU with its own NIC; NIC i of every server in the SU connects to
// rail leaf i of that SU. Two tiers: every leaf connects to every spine. Three tiers (core_switches > 0):
// each pod of `units_per_pod` SUs has its own `spines` spine switches, and spine s of every pod connects
// to every core switch of plane s.
struct RailOptimizedParams {
  std::uint32_t scalable_units = 0;
  std::uint32_t servers_per_unit = 0;
  std::uint32_t gpus_per_server = 0;
  std::uint32_t spines = 0;         // 0: one spine per leaf uplink (two tiers) or per SU (three tiers)
  std::uint32_t core_switches = 0;  // 0: two tiers
  double oversubscription = 1;      // at the leaf
  std::uint32_t storage_nodes = 0;  // storage hosts on their own leaf, its uplinks spread over the top tier
  TierParams leaf;
  TierParams spine;
  TierParams core;
  // Servers present, filling the SUs in order (0: every slot). The leaves and uplinks of every SU are
  // built whole, as a reference design builds an SU that is not full (a slot left for a fabric manager).
  std::uint32_t servers = 0;
  // Three tiers: SUs per pod. A pod's leaves all connect to the pod's spines (one group per pod); 1 is
  // the DGX SuperPOD layout, k/2 leaves per pod the k-ary fat-tree's.
  std::uint32_t units_per_pod = 1;
};

// Each builder throws core::InputError naming `prefix`.<field> when its parameters cannot make a fabric.
TopologySpec build_leaf_spine(const LeafSpineParams& p, const std::string& prefix);
TopologySpec build_fat_tree(const FatTreeParams& p, const std::string& prefix);
TopologySpec build_rail_optimized(const RailOptimizedParams& p, const std::string& prefix);

}  // namespace aifabric::topo
