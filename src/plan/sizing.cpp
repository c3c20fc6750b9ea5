#include "plan/sizing.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <vector>

namespace aifabric::plan {

namespace {

using core::field_error;

// `x` / `ratio` when it is a whole number (within rounding), else nothing.
std::optional<std::uint32_t> whole_uplinks(std::uint32_t down, double ratio) {
  const double exact = down / ratio;
  const double rounded = std::round(exact);
  if (rounded < 1 || std::fabs(exact - rounded) > 1e-9) return std::nullopt;
  return static_cast<std::uint32_t>(rounded);
}

// The smallest divisor d of `n` with d >= lo, or 0.
std::uint32_t smallest_divisor_at_least(std::uint32_t n, std::uint64_t lo) {
  for (std::uint64_t d = std::max<std::uint64_t>(lo, 1); d <= n; ++d)
    if (n % d == 0) return static_cast<std::uint32_t>(d);
  return 0;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// A given SU size: it must split into whole uplinks at the ratio and fit the radix.
void check_unit_size(std::uint32_t d, std::uint32_t k, double ratio, const std::string& ratio_field) {
  const auto up = whole_uplinks(d, ratio);
  if (!up)
    throw field_error(ratio_field,
                      fmt::format("{}:1 on SUs of {} servers (plan.cluster.servers_per_unit) gives "
                                  "{:.4g} uplinks per rail leaf; expected a whole number",
                                  ratio, d, d / ratio));
  if (d + *up > k)
    throw field_error(
        "plan.cluster.servers_per_unit",
        fmt::format("{} servers and {} uplinks per rail leaf exceed the switch's {} ports", d, *up, k));
}

// The SU sizes worth trying: those that split into whole uplinks at the ratio, fit the radix (at most
// k r / (r + 1) down) and give as few SUs as the largest of them, smallest first.
std::vector<std::uint32_t> unit_sizes(std::uint32_t slots, std::uint32_t k, double ratio,
                                      const std::string& ratio_field) {
  const auto most = static_cast<std::uint32_t>(std::floor(k * ratio / (ratio + 1) + 1e-9));
  std::uint32_t largest = 0;
  for (std::uint32_t d = most; d >= 1 && largest == 0; --d)
    if (whole_uplinks(d, ratio) && d + *whole_uplinks(d, ratio) <= k) largest = d;
  if (largest == 0)
    throw field_error(
        ratio_field,
        fmt::format("{}:1 splits no rail leaf of {} ports into whole down and up ports", ratio, k));
  const std::uint64_t units = ceil_div(slots, largest);
  std::vector<std::uint32_t> out;
  for (auto d = static_cast<std::uint32_t>(ceil_div(slots, units)); d <= largest; ++d)
    if (whole_uplinks(d, ratio)) out.push_back(d);
  return out;
}

Sizing size(const ClusterRequest& c, std::uint32_t spu, std::uint32_t gpus, std::uint32_t core_for_gpus,
            const SwitchModel& sw, double ratio, bool force_three_tiers) {
  Sizing s;
  s.gpus = gpus;
  s.rails = c.gpus_per_server;
  s.radix = sw.ports;
  s.servers = gpus / c.gpus_per_server;
  s.slots = s.servers + (c.fabric_manager_slot ? 1 : 0);
  const std::uint32_t k = sw.ports;
  s.servers_per_unit = spu;
  s.oversubscription = ratio;
  s.leaf_up = *whole_uplinks(s.servers_per_unit, ratio);
  s.units = static_cast<std::uint32_t>(ceil_div(s.slots, s.servers_per_unit));
  s.leaves = s.units * s.rails;
  s.storage_leaves = c.storage_nodes > 0 ? 1 : 0;
  const std::uint32_t st = s.storage_leaves;
  // The storage leaf's links to each top-tier switch: as many uplinks as storage nodes, spread evenly
  // (the rail_optimized builder's rule), so storage is not oversubscribed.
  auto storage_links = [&](std::uint64_t tops) -> std::uint64_t {
    return c.storage_nodes == 0 ? 0 : ceil_div(c.storage_nodes, tops);
  };

  // Two tiers: the fewest spines that split each leaf's uplinks evenly (each leaf sends leaf_up / s
  // links to every spine) and whose ports hold every leaf's share and the storage leaf's link.
  if (!force_three_tiers) {
    const std::uint64_t need = ceil_div(std::uint64_t{s.leaves} * s.leaf_up + st, k);
    for (std::uint32_t sp = smallest_divisor_at_least(s.leaf_up, need); sp != 0;
         sp = smallest_divisor_at_least(s.leaf_up, sp + 1)) {
      if (std::uint64_t{s.leaves} * (s.leaf_up / sp) + storage_links(sp) > k) continue;
      if (st > 0 && c.storage_nodes + sp * storage_links(sp) > k) continue;
      s.tiers = 2;
      s.spines = s.spines_per_group = sp;
      return s;
    }
  }
  // Three tiers: pods of units_per_pod SUs, each with its own spine group whose down ports (half the
  // radix) take the pod's uplinks; one core plane per spine index, each spine's uplinks spread evenly
  // over its plane, every core taking one share from every pod. The smallest pod that works (one SU, as
  // the SuperPOD, whenever the core reaches every SU).
  const std::uint32_t half = k / 2;
  const std::uint64_t core_units =
      ceil_div(core_for_gpus / c.gpus_per_server + (c.fabric_manager_slot ? 1 : 0), s.servers_per_unit);
  for (std::uint32_t g = 1; g <= s.units && g * s.rails <= half; ++g) {
    const std::uint32_t pod_leaves = g * s.rails;
    const std::uint32_t sp =
        smallest_divisor_at_least(s.leaf_up, ceil_div(std::uint64_t{pod_leaves} * s.leaf_up, half));
    if (sp == 0) continue;
    const std::uint32_t spine_up = pod_leaves * (s.leaf_up / sp);
    const std::uint64_t pods = ceil_div(s.units, g), core_pods = std::max(pods, ceil_div(core_units, g));
    const std::uint32_t plane = smallest_divisor_at_least(spine_up, ceil_div(core_pods * spine_up + st, k));
    if (plane == 0) continue;
    const std::uint64_t cores = std::uint64_t{sp} * plane;
    if (core_pods * (spine_up / plane) + storage_links(cores) > k) continue;
    if (st > 0 && c.storage_nodes + cores * storage_links(cores) > k) continue;
    s.tiers = 3;
    s.units_per_pod = g;
    s.spines_per_group = sp;
    s.spines = static_cast<std::uint32_t>(pods * sp);
    s.cores = sp * plane;
    return s;
  }
  if (st > 0)
    throw field_error(
        "plan.cluster.storage_nodes",
        fmt::format("{} storage nodes and a link to every top-tier switch do not fit one storage "
                    "leaf of {} ports at {} GPUs; put storage on its own fabric or use fewer nodes",
                    c.storage_nodes, k, gpus));
  throw field_error("plan.phases",
                    fmt::format("{} GPUs ({} SUs of {} servers) are beyond what three tiers of "
                                "{}-port {} switches reach",
                                gpus, s.units, s.servers_per_unit, k, sw.name));
}

// With the SU size given, that size; else each worth trying, keeping the design with the fewest
// switches (then the smallest SU): an SU whose uplinks have few divisors can need more spines than a
// slightly smaller one.
Sizing best_size(const ClusterRequest& c, std::uint32_t gpus, std::uint32_t core_for_gpus,
                 const SwitchModel& sw, double ratio, const std::string& ratio_field,
                 bool force_three_tiers) {
  const std::uint32_t slots = gpus / c.gpus_per_server + (c.fabric_manager_slot ? 1 : 0);
  if (c.servers_per_unit > 0) {
    check_unit_size(c.servers_per_unit, sw.ports, ratio, ratio_field);
    return size(c, c.servers_per_unit, gpus, core_for_gpus, sw, ratio, force_three_tiers);
  }
  std::optional<Sizing> best;
  std::optional<core::InputError> first_error;
  for (const auto d : unit_sizes(slots, sw.ports, ratio, ratio_field)) {
    try {
      Sizing s = size(c, d, gpus, core_for_gpus, sw, ratio, force_three_tiers);
      const auto switches = [](const Sizing& x) { return std::uint64_t{x.leaves} + x.spines + x.cores; };
      if (!best || switches(s) < switches(*best)) best = s;
    } catch (const core::InputError& e) {
      if (!first_error) first_error = e;
    }
  }
  if (!best) throw *first_error;
  return *best;
}

}  // namespace

Sizing size_fabric(const ClusterRequest& c, std::uint32_t gpus, const SwitchModel& sw, double ratio,
                   const std::string& ratio_field) {
  return best_size(c, gpus, gpus, sw, ratio, ratio_field, false);
}

Sizing size_three_tiers(const ClusterRequest& c, std::uint32_t gpus, std::uint32_t core_for_gpus,
                        const SwitchModel& sw, double ratio, const std::string& ratio_field) {
  return best_size(c, gpus, std::max(gpus, core_for_gpus), sw, ratio, ratio_field, true);
}

topo::RailOptimizedParams builder_params(const Sizing& s, double rate_gbps, std::uint32_t storage_nodes) {
  topo::RailOptimizedParams p;
  p.scalable_units = s.units;
  p.servers_per_unit = s.servers_per_unit;
  p.gpus_per_server = s.rails;
  p.servers = s.servers;
  p.spines = s.spines_per_group;
  p.core_switches = s.cores;
  p.units_per_pod = s.units_per_pod;
  p.oversubscription = s.oversubscription;
  p.storage_nodes = storage_nodes;
  for (auto* tier : {&p.leaf, &p.spine, &p.core}) {
    tier->link.rate_gbps = rate_gbps;
    tier->link.latency_ns = 500;
    tier->link.mtu_bytes = 4096;
  }
  return p;
}

}  // namespace aifabric::plan
