#pragma once
// The design rules of a rail-optimized fabric, as the vendors' reference designs apply them
// (docs/models/plan.md): scalable units of rail leaves, uplinks spread evenly over the spines, a third
// tier when two cannot reach every leaf.
#include <cstdint>
#include <string>

#include "plan/request.hpp"
#include "topo/builders.hpp"

namespace aifabric::plan {

struct Sizing {
  std::uint32_t gpus = 0;
  std::uint32_t servers = 0;  // GPU servers
  std::uint32_t slots = 0;    // server slots: servers, plus one for the fabric manager when reserved
  std::uint32_t rails = 0;
  std::uint32_t radix = 0;
  std::uint32_t servers_per_unit = 0;  // = ports each rail leaf has towards servers
  std::uint32_t units = 0;
  std::uint32_t leaf_up = 0;  // uplinks of each rail leaf
  std::uint32_t tiers = 2;
  std::uint32_t leaves = 0;            // rail leaves (the storage leaf is counted apart)
  std::uint32_t spines = 0;            // every spine of the fabric
  std::uint32_t spines_per_group = 0;  // two tiers: = spines; three: per pod
  std::uint32_t units_per_pod = 1;
  std::uint32_t cores = 0;
  std::uint32_t storage_leaves = 0;
  double oversubscription = 1;
};

// Sizes the fabric for `gpus` GPUs on `sw` at `ratio`:1 at the leaf, in two tiers when they reach every
// leaf and three otherwise. `ratio_field` names the option in errors. A ratio that does not split an
// SU's ports into whole uplinks, an SU larger than the radix, or a cluster beyond what three tiers reach
// is a core::InputError.
Sizing size_fabric(const ClusterRequest& cluster, std::uint32_t gpus, const SwitchModel& sw, double ratio,
                   const std::string& ratio_field);
// Three tiers even where two would do, with the core built for `core_for_gpus` (>= gpus) so that growing
// to that size adds leaves and spines but moves no spine-core cable: the pre-provisioned path.
Sizing size_three_tiers(const ClusterRequest& cluster, std::uint32_t gpus, std::uint32_t core_for_gpus,
                        const SwitchModel& sw, double ratio, const std::string& ratio_field);

// The rail_optimized builder's parameters for a sizing at `rate_gbps` (latency 500 ns and 4 KB MTU: they
// change nothing that is bought), with the cluster's storage nodes.
topo::RailOptimizedParams builder_params(const Sizing& sizing, double rate_gbps, std::uint32_t storage_nodes);

}  // namespace aifabric::plan
