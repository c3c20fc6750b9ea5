#include "topo/topology_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <queue>
#include <unordered_set>

#include "core/error.hpp"

namespace aifabric::topo {

std::uint32_t TopologySpec::add_node(std::string name, NodeKind node_kind, std::string tier,
                                     SwitchParams sw) {
  const auto id = static_cast<std::uint32_t>(nodes.size());
  nodes.push_back(NodeSpec{std::move(name), node_kind, std::move(tier), sw});
  if (node_kind == NodeKind::kHost) hosts.push_back(id);
  return id;
}

void TopologySpec::add_link(std::uint32_t a, std::uint32_t b, const LinkParams& p, std::string tier,
                            std::string field) {
  links.push_back(LinkSpec{a, b, p, std::move(tier), std::move(field)});
}

std::uint32_t TopologySpec::smallest_mtu() const {
  std::uint32_t mtu = links.empty() ? 0 : links.front().params.mtu_bytes;
  for (const auto& l : links) mtu = std::min(mtu, l.params.mtu_bytes);
  return mtu;
}

bool TopologySpec::host_down(std::uint32_t host) const {
  return std::binary_search(down_hosts.begin(), down_hosts.end(), host);
}

std::vector<std::uint32_t> cut_off_hosts(const TopologySpec& spec) {
  std::vector<std::vector<std::uint32_t>> adj(spec.nodes.size());
  for (const auto& l : spec.links) {
    if (l.a >= spec.nodes.size() || l.b >= spec.nodes.size()) continue;  // validate reports it
    adj[l.a].push_back(l.b);
    adj[l.b].push_back(l.a);
  }
  std::vector<std::uint32_t> group(spec.nodes.size(), 0);  // 0: not reached yet
  std::vector<std::size_t> members(1, 0);                  // hosts in service per group
  std::vector<std::uint32_t> host_of(spec.nodes.size(), 0);
  for (std::uint32_t h = 0; h < spec.hosts.size(); ++h) host_of[spec.hosts[h]] = h;
  for (std::uint32_t h = 0; h < spec.hosts.size(); ++h) {
    if (spec.host_down(h) || group[spec.hosts[h]] != 0) continue;
    const auto id = static_cast<std::uint32_t>(members.size());
    members.push_back(0);
    std::queue<std::uint32_t> q;
    q.push(spec.hosts[h]);
    group[spec.hosts[h]] = id;
    while (!q.empty()) {
      const auto u = q.front();
      q.pop();
      if (spec.nodes[u].kind == NodeKind::kHost) {
        if (!spec.host_down(host_of[u])) ++members[id];
        if (u != spec.hosts[h]) continue;  // hosts do not forward
      }
      for (auto v : adj[u])
        if (group[v] == 0) {
          group[v] = id;
          q.push(v);
        }
    }
  }
  std::uint32_t main = 1;
  for (std::uint32_t g = 1; g < members.size(); ++g)
    if (members[g] > members[main]) main = g;
  std::vector<std::uint32_t> out;
  for (std::uint32_t h = 0; h < spec.hosts.size(); ++h)
    if (!spec.host_down(h) && group[spec.hosts[h]] != main) out.push_back(h);
  return out;
}

void validate(const TopologySpec& spec, const std::string& prefix) {
  using core::InputError;
  auto where = [&](const std::string& f) {
    return core::Location{{}, 0, 0, prefix.empty() ? f : prefix + "." + f};
  };
  if (spec.hosts.size() < 2)
    throw InputError(where("hosts"), fmt::format("need at least 2 hosts, got {}", spec.hosts.size()));
  std::unordered_set<std::string> names;
  for (std::size_t i = 0; i < spec.nodes.size(); ++i) {
    const auto& n = spec.nodes[i];
    if (n.name.empty()) throw InputError(where(fmt::format("nodes[{}].name", i)), "must not be empty");
    if (n.name.find_first_of(",\"\n\r") != std::string::npos)
      throw InputError(
          where(fmt::format("nodes[{}].name", i)),
          fmt::format("'{}' contains a comma, quote or line break, which CSV results cannot hold", n.name));
    if (!names.insert(n.name).second)
      throw InputError(where(fmt::format("nodes[{}].name", i)),
                       fmt::format("duplicate node name '{}'", n.name));
    if (n.kind == NodeKind::kSwitch && n.sw.buffer_bytes == 0)
      throw InputError(where(fmt::format("nodes[{}].buffer_bytes", i)), "switch buffer must be > 0 bytes");
  }
  std::vector<std::vector<std::uint32_t>> adj(spec.nodes.size());
  std::vector<int> host_links(spec.nodes.size(), 0);
  for (std::size_t i = 0; i < spec.links.size(); ++i) {
    const auto& l = spec.links[i];
    const std::string f = l.field.empty() ? fmt::format("links[{}]", i) : l.field;
    if (l.a >= spec.nodes.size() || l.b >= spec.nodes.size())
      throw InputError(where(f), fmt::format("endpoint out of range (have {} nodes)", spec.nodes.size()));
    if (l.a == l.b) throw InputError(where(f), fmt::format("link from '{}' to itself", spec.nodes[l.a].name));
    if (!(l.params.rate_gbps > 0))
      throw InputError(where(f + ".rate_gbps"),
                       fmt::format("must be > 0 Gbit/s, got {}", l.params.rate_gbps));
    if (!(l.params.latency_ns >= 0))
      throw InputError(where(f + ".latency_ns"), fmt::format("must be >= 0 ns, got {}", l.params.latency_ns));
    if (l.params.mtu_bytes < 64)
      throw InputError(where(f + ".mtu_bytes"),
                       fmt::format("must be >= 64 bytes, got {}", l.params.mtu_bytes));
    const bool ha = spec.nodes[l.a].kind == NodeKind::kHost;
    const bool hb = spec.nodes[l.b].kind == NodeKind::kHost;
    if (ha && hb)
      throw InputError(where(f),
                       fmt::format("hosts '{}' and '{}' are linked directly; a host connects to a switch",
                                   spec.nodes[l.a].name, spec.nodes[l.b].name));
    if (ha) ++host_links[l.a];
    if (hb) ++host_links[l.b];
    adj[l.a].push_back(l.b);
    adj[l.b].push_back(l.a);
  }
  for (auto h : spec.hosts) {
    if (host_links[h] != 1)
      throw InputError(where("links"),
                       fmt::format("host '{}' has {} links; a host has exactly one link to a switch",
                                   spec.nodes[h].name, host_links[h]));
  }
  // Every host in service must reach every other: one BFS from the first covers them all.
  std::vector<std::uint32_t> up;
  for (std::uint32_t h = 0; h < spec.hosts.size(); ++h)
    if (!spec.host_down(h)) up.push_back(spec.hosts[h]);
  if (up.size() < 2)
    throw InputError(
        where("hosts"),
        fmt::format("need at least 2 hosts in service, got {} (faults took the others out)", up.size()));
  std::vector<char> seen(spec.nodes.size(), 0);
  std::queue<std::uint32_t> q;
  q.push(up.front());
  seen[up.front()] = 1;
  while (!q.empty()) {
    const auto u = q.front();
    q.pop();
    for (auto v : adj[u]) {
      // Paths run through switches only: a host is a leaf of the graph.
      if (!seen[v]) {
        seen[v] = 1;
        if (spec.nodes[v].kind == NodeKind::kSwitch) q.push(v);
      }
    }
  }
  for (auto h : up) {
    if (!seen[h])
      throw InputError(where("links"), fmt::format("host '{}' is unreachable from host '{}'",
                                                   spec.nodes[h].name, spec.nodes[up.front()].name));
  }
}

}  // namespace aifabric::topo
