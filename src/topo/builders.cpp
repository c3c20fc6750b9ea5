#include "topo/builders.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace aifabric::topo {
namespace {

core::Location at(const std::string& prefix, const std::string& field) {
  return core::Location{{}, 0, 0, prefix + "." + field};
}

// Number of uplinks that carries `down_gbps` of downlink capacity at the given oversubscription.
std::uint32_t uplinks_for(double down_gbps, double up_rate_gbps, double oversub, const std::string& prefix,
                          const std::string& what) {
  const double exact = down_gbps / (oversub * up_rate_gbps);
  const double rounded = std::round(exact);
  if (rounded < 1 || std::fabs(exact - rounded) > 1e-9)
    throw core::InputError(
        at(prefix, "oversubscription"),
        fmt::format("{}: {} Gbit/s of downlinks / ({} x {} Gbit/s uplinks) is {:.4g} uplinks; "
                    "expected a whole number >= 1",
                    what, down_gbps, oversub, up_rate_gbps, exact));
  return static_cast<std::uint32_t>(rounded);
}

std::uint32_t spread(std::uint32_t uplinks, std::uint32_t targets, const std::string& prefix,
                     const std::string& field) {
  if (targets == 0 || uplinks % targets != 0)
    throw core::InputError(
        at(prefix, field),
        fmt::format("{} uplinks per switch cannot be spread evenly over {} {}", uplinks, targets, field));
  return uplinks / targets;
}

void require_positive(std::uint32_t v, const std::string& prefix, const std::string& field) {
  if (v == 0) throw core::InputError(at(prefix, field), "must be >= 1, got 0");
}

// Storage hosts after the GPUs: one storage leaf, with as many uplinks as storage hosts (at least one
// per switch) spread evenly over the switches of the top tier (`top_tier`), so storage is not
// oversubscribed.
void add_storage(TopologySpec& t, const RailOptimizedParams& p, const std::vector<std::uint32_t>& top,
                 const std::string& top_tier, const LinkParams& up_link) {
  if (p.storage_nodes == 0) return;
  const auto leaf = t.add_node("storage.leaf", NodeKind::kSwitch, "leaf", p.leaf.sw);
  for (std::uint32_t i = 0; i < p.storage_nodes; ++i)
    t.add_link(t.add_node(fmt::format("storage{}", i), NodeKind::kHost, "host"), leaf, p.leaf.link, "leaf");
  const auto per_switch = static_cast<std::uint32_t>((p.storage_nodes + top.size() - 1) / top.size());
  for (auto s : top)
    for (std::uint32_t k = 0; k < per_switch; ++k) t.add_link(leaf, s, up_link, top_tier);
}

}  // namespace

TopologySpec build_leaf_spine(const LeafSpineParams& p, const std::string& prefix) {
  require_positive(p.leaves, prefix, "leaves");
  require_positive(p.hosts_per_leaf, prefix, "hosts_per_leaf");
  if (!(p.oversubscription > 0))
    throw core::InputError(at(prefix, "oversubscription"),
                           fmt::format("must be > 0, got {}", p.oversubscription));
  const std::uint32_t up = p.leaves == 1
                               ? 0
                               : uplinks_for(p.hosts_per_leaf * p.leaf.link.rate_gbps, p.spine.link.rate_gbps,
                                             p.oversubscription, prefix, "leaf");
  // A single leaf needs no spine: every host is one switch away from every other.
  const std::uint32_t spines = p.leaves == 1 ? 0 : p.spines == 0 ? up : p.spines;
  const std::uint32_t per_spine = spines == 0 ? 0 : spread(up, spines, prefix, "spines");
  TopologySpec t;
  t.kind = "leaf_spine";
  t.layered = true;
  for (std::uint32_t l = 0; l < p.leaves; ++l)
    for (std::uint32_t h = 0; h < p.hosts_per_leaf; ++h)
      t.add_node(fmt::format("host{}", l * p.hosts_per_leaf + h), NodeKind::kHost, "host");
  std::vector<std::uint32_t> leaves, spine_ids;
  for (std::uint32_t l = 0; l < p.leaves; ++l)
    leaves.push_back(t.add_node(fmt::format("leaf{}", l), NodeKind::kSwitch, "leaf", p.leaf.sw));
  for (std::uint32_t s = 0; s < spines; ++s)
    spine_ids.push_back(t.add_node(fmt::format("spine{}", s), NodeKind::kSwitch, "spine", p.spine.sw));
  for (std::uint32_t l = 0; l < p.leaves; ++l) {
    for (std::uint32_t h = 0; h < p.hosts_per_leaf; ++h)
      t.add_link(t.hosts[l * p.hosts_per_leaf + h], leaves[l], p.leaf.link, "leaf");
    for (auto s : spine_ids)
      for (std::uint32_t k = 0; k < per_spine; ++k) t.add_link(leaves[l], s, p.spine.link, "spine");
  }
  return t;
}

TopologySpec build_fat_tree(const FatTreeParams& p, const std::string& prefix) {
  if (p.k < 2 || p.k % 2 != 0)
    throw core::InputError(at(prefix, "k"), fmt::format("must be an even number >= 2, got {}", p.k));
  const std::uint32_t half = p.k / 2;
  TopologySpec t;
  t.kind = "fat_tree";
  t.layered = true;
  const std::uint32_t hosts = p.k * half * half;
  for (std::uint32_t h = 0; h < hosts; ++h) t.add_node(fmt::format("host{}", h), NodeKind::kHost, "host");
  std::vector<std::uint32_t> edge(p.k * half), agg(p.k * half), core(half * half);
  for (std::uint32_t i = 0; i < edge.size(); ++i)
    edge[i] = t.add_node(fmt::format("edge{}", i), NodeKind::kSwitch, "edge", p.edge.sw);
  for (std::uint32_t i = 0; i < agg.size(); ++i)
    agg[i] = t.add_node(fmt::format("agg{}", i), NodeKind::kSwitch, "agg", p.agg.sw);
  for (std::uint32_t i = 0; i < core.size(); ++i)
    core[i] = t.add_node(fmt::format("core{}", i), NodeKind::kSwitch, "core", p.core.sw);
  for (std::uint32_t pod = 0; pod < p.k; ++pod) {
    for (std::uint32_t e = 0; e < half; ++e) {
      const std::uint32_t edge_id = edge[pod * half + e];
      for (std::uint32_t h = 0; h < half; ++h)
        t.add_link(t.hosts[(pod * half + e) * half + h], edge_id, p.edge.link, "edge");
      for (std::uint32_t a = 0; a < half; ++a) t.add_link(edge_id, agg[pod * half + a], p.agg.link, "agg");
    }
    for (std::uint32_t a = 0; a < half; ++a)
      for (std::uint32_t c = 0; c < half; ++c)
        t.add_link(agg[pod * half + a], core[a * half + c], p.core.link, "core");
  }
  return t;
}

TopologySpec build_rail_optimized(const RailOptimizedParams& p, const std::string& prefix) {
  require_positive(p.scalable_units, prefix, "scalable_units");
  require_positive(p.servers_per_unit, prefix, "servers_per_unit");
  require_positive(p.gpus_per_server, prefix, "gpus_per_server");
  if (!(p.oversubscription > 0))
    throw core::InputError(at(prefix, "oversubscription"),
                           fmt::format("must be > 0, got {}", p.oversubscription));
  const std::uint32_t su = p.scalable_units, srv = p.servers_per_unit, gpus = p.gpus_per_server;
  const std::uint64_t slots = std::uint64_t{su} * srv;
  if (p.servers > slots)
    throw core::InputError(at(prefix, "servers"),
                           fmt::format("{} servers do not fit in {} SUs of {} servers", p.servers, su, srv));
  const std::uint32_t servers = p.servers == 0 ? su * srv : p.servers;
  const std::uint32_t leaf_up = uplinks_for(srv * p.leaf.link.rate_gbps, p.spine.link.rate_gbps,
                                            p.oversubscription, prefix, "rail leaf");
  const bool three_tier = p.core_switches > 0;
  TopologySpec t;
  t.kind = "rail_optimized";
  t.layered = true;
  for (std::uint32_t s = 0; s < servers; ++s)
    for (std::uint32_t g = 0; g < gpus; ++g)
      t.add_node(fmt::format("srv{}.gpu{}", s, g), NodeKind::kHost, "host");
  std::vector<std::uint32_t> leaves(su * gpus);
  for (std::uint32_t u = 0; u < su; ++u)
    for (std::uint32_t g = 0; g < gpus; ++g)
      leaves[u * gpus + g] =
          t.add_node(fmt::format("su{}.rail{}", u, g), NodeKind::kSwitch, "leaf", p.leaf.sw);
  for (std::uint32_t s = 0; s < servers; ++s)
    for (std::uint32_t g = 0; g < gpus; ++g)
      t.add_link(t.hosts[s * gpus + g], leaves[(s / srv) * gpus + g], p.leaf.link, "leaf");
  if (!three_tier) {
    const std::uint32_t spines = p.spines == 0 ? leaf_up : p.spines;
    const std::uint32_t per_spine = spread(leaf_up, spines, prefix, "spines");
    std::vector<std::uint32_t> spine_ids;
    for (std::uint32_t s = 0; s < spines; ++s)
      spine_ids.push_back(t.add_node(fmt::format("spine{}", s), NodeKind::kSwitch, "spine", p.spine.sw));
    for (auto l : leaves)
      for (auto s : spine_ids)
        for (std::uint32_t k = 0; k < per_spine; ++k) t.add_link(l, s, p.spine.link, "spine");
    add_storage(t, p, spine_ids, "spine", p.spine.link);
    return t;
  }
  // Three tiers, as a folded Clos: the leaves of pod p (units_per_pod SUs) connect to pod p's spine
  // group; the cores form one plane per spine index, and spine s of every pod links to every core of
  // plane s, its uplinks matching its downlinks.
  require_positive(p.units_per_pod, prefix, "units_per_pod");
  const std::uint32_t pod_units = p.units_per_pod, pods = (su + pod_units - 1) / pod_units;
  const std::uint32_t spines = p.spines == 0 ? leaf_up : p.spines;
  const std::uint32_t per_spine = spread(leaf_up, spines, prefix, "spines");
  if (p.core_switches % spines != 0)
    throw core::InputError(
        at(prefix, "core_switches"),
        fmt::format("{} core switches do not form {} equal planes (one per spine of a pod)", p.core_switches,
                    spines));
  const std::uint32_t plane_cores = p.core_switches / spines;
  const std::uint32_t spine_down_links = pod_units * gpus * per_spine;
  const std::uint32_t spine_up =
      uplinks_for(spine_down_links * p.spine.link.rate_gbps, p.core.link.rate_gbps, 1.0, prefix, "spine");
  const std::uint32_t per_core = spread(spine_up, plane_cores, prefix, "core_switches");
  std::vector<std::uint32_t> core_ids;
  for (std::uint32_t c = 0; c < p.core_switches; ++c)
    core_ids.push_back(t.add_node(fmt::format("core{}", c), NodeKind::kSwitch, "core", p.core.sw));
  for (std::uint32_t pod = 0; pod < pods; ++pod) {
    for (std::uint32_t s = 0; s < spines; ++s) {
      const auto sid = t.add_node(
          pod_units == 1 ? fmt::format("su{}.spine{}", pod, s) : fmt::format("pod{}.spine{}", pod, s),
          NodeKind::kSwitch, "spine", p.spine.sw);
      for (std::uint32_t u = pod * pod_units; u < std::min(su, (pod + 1) * pod_units); ++u)
        for (std::uint32_t g = 0; g < gpus; ++g)
          for (std::uint32_t k = 0; k < per_spine; ++k)
            t.add_link(leaves[u * gpus + g], sid, p.spine.link, "spine");
      for (std::uint32_t c = 0; c < plane_cores; ++c)
        for (std::uint32_t k = 0; k < per_core; ++k)
          t.add_link(sid, core_ids[s * plane_cores + c], p.core.link, "core");
    }
  }
  add_storage(t, p, core_ids, "core", p.core.link);
  return t;
}

}  // namespace aifabric::topo
