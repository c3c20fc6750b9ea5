#include "topo/sites.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/error.hpp"

namespace aifabric::topo {
namespace {

// A builder tier's height; the top tier of a site is its highest. An explicit fabric's switches are all
// of tier "switch", so each connects to the border routers.
int tier_height(const std::string& tier) {
  if (tier == "agg" || tier == "spine") return 1;
  if (tier == "core") return 2;
  return 0;
}

}  // namespace

TopologySpec join_sites(const std::vector<SiteSpec>& sites, const std::vector<InterSiteLink>& links,
                        const std::string& prefix) {
  using core::InputError;
  auto where = [&](const std::string& f) { return core::Location{{}, 0, 0, prefix + "." + f}; };
  if (sites.size() < 2)
    throw InputError(where("sites"),
                     fmt::format("a multi-site fabric needs at least 2 sites, got {}", sites.size()));
  std::set<std::string> names;
  for (const auto& s : sites) {
    if (s.name.empty() || s.name.find_first_of("/,\"\n\r") != std::string::npos)
      throw InputError(
          where(s.field + ".name"),
          fmt::format("expected a non-empty name without '/', comma, quote or line break, got '{}'", s.name));
    if (!names.insert(s.name).second)
      throw InputError(where(s.field + ".name"), fmt::format("duplicate site name '{}'", s.name));
    if (s.border_routers == 0) throw InputError(where(s.field + ".border_routers"), "must be >= 1");
  }
  TopologySpec t;
  t.kind = "sites";
  std::vector<std::vector<std::uint32_t>> borders(sites.size());
  std::vector<std::uint32_t> offsets;
  for (std::uint32_t si = 0; si < sites.size(); ++si) {
    const auto& s = sites[si];
    const auto& f = s.fabric;
    const auto offset = static_cast<std::uint32_t>(t.nodes.size());
    offsets.push_back(offset);
    int top = -1;
    for (const auto& n : f.nodes) {
      t.add_node(s.name + "/" + n.name, n.kind, n.tier, n.sw);
      if (n.kind == NodeKind::kSwitch) top = std::max(top, tier_height(n.tier));
    }
    if (top < 0)
      throw InputError(where(s.field + ".fabric"),
                       "the site's fabric has no switch to join the border routers");
    for (const auto& l : f.links)
      t.add_link(offset + l.a, offset + l.b, l.params, l.tier, s.field + ".fabric." + l.field);
    for (const auto& l : f.failed_links) {
      LinkSpec moved = l;
      moved.a += offset;
      moved.b += offset;
      t.failed_links.push_back(moved);
    }
    for (std::uint32_t r = 0; r < s.border_routers; ++r)
      borders[si].push_back(
          t.add_node(fmt::format("{}/border{}", s.name, r), NodeKind::kSwitch, "border", s.border_switch));
    for (std::uint32_t n = 0; n < f.nodes.size(); ++n)
      if (f.nodes[n].kind == NodeKind::kSwitch && tier_height(f.nodes[n].tier) == top)
        for (auto b : borders[si])
          t.add_link(offset + n, b, s.border_link, "border", s.field + ".border_link");
  }
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto& l = links[i];
    if (l.a == l.b)
      throw InputError(where(l.field), fmt::format("joins site '{}' to itself", sites[l.a].name));
    if (!(l.distance_km >= 0))
      throw InputError(where(l.field + ".distance_km"),
                       fmt::format("must be >= 0 km, got {}", l.distance_km));
    if (l.circuits == 0) throw InputError(where(l.field + ".circuits"), "must be >= 1");
    LinkParams p = l.circuit;
    p.latency_ns += l.distance_km * kFibreNsPerKm;
    for (std::uint32_t c = 0; c < l.circuits; ++c)
      t.add_link(borders[l.a][c % borders[l.a].size()], borders[l.b][c % borders[l.b].size()], p,
                 "inter_site", fmt::format("{}.circuit{}", l.field, c));
  }
  // Hosts site after site, each site's in its own order.
  t.hosts.clear();
  for (std::uint32_t si = 0; si < sites.size(); ++si) {
    const auto& f = sites[si].fabric;
    t.sites.push_back(SiteRange{sites[si].name, static_cast<std::uint32_t>(t.hosts.size()),
                                static_cast<std::uint32_t>(f.hosts.size())});
    for (auto d : f.down_hosts) t.down_hosts.push_back(t.sites.back().first_host + d);
    for (auto h : f.hosts) t.hosts.push_back(offsets[si] + h);
  }
  std::sort(t.down_hosts.begin(), t.down_hosts.end());
  return t;
}

std::uint32_t site_of_host(const TopologySpec& spec, std::uint32_t host) {
  std::uint32_t s = 0;
  while (s + 1 < spec.sites.size() && host >= spec.sites[s + 1].first_host) ++s;
  return s;
}

double site_delay_ns(const TopologySpec& spec, std::uint32_t a, std::uint32_t b) {
  const auto n = spec.sites.size();
  auto site_of_node = [&](std::uint32_t node) -> std::size_t {
    const auto& name = spec.nodes[node].name;
    const auto prefix = name.substr(0, name.find('/'));
    for (std::size_t k = 0; k < n; ++k)
      if (spec.sites[k].name == prefix) return k;
    return n;
  };
  // The fastest circuit between each pair of sites, then Dijkstra over the (few) sites.
  std::vector<std::vector<double>> direct(n, std::vector<double>(n, -1));
  for (const auto& l : spec.links) {
    if (l.tier != "inter_site") continue;
    const auto x = site_of_node(l.a), y = site_of_node(l.b);
    if (x == n || y == n) continue;
    for (auto [u, v] : {std::pair{x, y}, std::pair{y, x}})
      if (direct[u][v] < 0 || l.params.latency_ns < direct[u][v]) direct[u][v] = l.params.latency_ns;
  }
  std::vector<double> best(n, -1);
  std::vector<char> done(n, 0);
  best[a] = 0;
  for (std::size_t round = 0; round < n; ++round) {
    std::size_t u = n;
    for (std::size_t k = 0; k < n; ++k)
      if (!done[k] && best[k] >= 0 && (u == n || best[k] < best[u])) u = k;
    if (u == n) break;
    done[u] = 1;
    for (std::size_t v = 0; v < n; ++v)
      if (direct[u][v] >= 0 && (best[v] < 0 || best[u] + direct[u][v] < best[v]))
        best[v] = best[u] + direct[u][v];
  }
  return best[b];
}

}  // namespace aifabric::topo
