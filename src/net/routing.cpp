#include "net/routing.hpp"

#include <limits>
#include <queue>

namespace aifabric::net {

Routing::Routing(const topo::TopologySpec& spec) {
  constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  const std::size_t n = spec.nodes.size();
  std::vector<std::vector<std::uint32_t>> out_ports(n);  // egress ports of each node
  for (std::uint32_t i = 0; i < spec.links.size(); ++i) {
    out_ports[spec.links[i].a].push_back(2 * i);
    out_ports[spec.links[i].b].push_back(2 * i + 1);
  }
  auto peer = [&](std::uint32_t port) {
    const auto& l = spec.links[port / 2];
    return port % 2 == 0 ? l.b : l.a;
  };
  std::vector<std::uint32_t> host_ordinal(n, kNone);
  for (std::uint32_t h = 0; h < spec.hosts.size(); ++h) host_ordinal[spec.hosts[h]] = h;

  tor_of_host_.resize(spec.hosts.size());
  host_port_.resize(spec.hosts.size());
  host_route_.resize(spec.hosts.size());
  sw_ordinal_.assign(n, kNone);
  tor_ordinal_.assign(n, kNone);
  std::vector<std::uint32_t> switches, tors;
  for (std::uint32_t v = 0; v < n; ++v) {
    if (spec.nodes[v].kind == topo::NodeKind::kSwitch) {
      sw_ordinal_[v] = static_cast<std::uint32_t>(switches.size());
      switches.push_back(v);
    }
  }
  for (std::uint32_t h = 0; h < spec.hosts.size(); ++h) {
    const std::uint32_t hp = out_ports[spec.hosts[h]].front();
    const std::uint32_t tor = peer(hp);
    tor_of_host_[h] = tor;
    host_port_[h] = hp;
    if (tor_ordinal_[tor] == kNone) {
      tor_ordinal_[tor] = static_cast<std::uint32_t>(tors.size());
      tors.push_back(tor);
    }
    host_route_[h] = HostRoute{sw_ordinal_[tor], tor_ordinal_[tor], hp ^ 1u};
  }
  tor_count_ = static_cast<std::uint32_t>(tors.size());
  table_.resize(switches.size() * tors.size());
  std::vector<std::uint32_t> dist(n);
  for (std::uint32_t t = 0; t < tors.size(); ++t) {
    // BFS over switches from the ToR; hosts never forward.
    std::fill(dist.begin(), dist.end(), kNone);
    std::queue<std::uint32_t> q;
    dist[tors[t]] = 0;
    q.push(tors[t]);
    while (!q.empty()) {
      const auto u = q.front();
      q.pop();
      for (auto p : out_ports[u]) {
        const auto v = peer(p);
        if (spec.nodes[v].kind != topo::NodeKind::kSwitch || dist[v] != kNone) continue;
        dist[v] = dist[u] + 1;
        q.push(v);
      }
    }
    for (std::uint32_t s = 0; s < switches.size(); ++s) {
      const auto u = switches[s];
      Entry& e = table_[static_cast<std::size_t>(s) * tor_count_ + t];
      e.offset = static_cast<std::uint32_t>(hop_ports_.size());
      if (dist[u] == kNone || u == tors[t]) continue;
      for (auto p : out_ports[u]) {
        const auto v = peer(p);
        if (spec.nodes[v].kind == topo::NodeKind::kSwitch && dist[v] + 1 == dist[u]) hop_ports_.push_back(p);
      }
      e.count = static_cast<std::uint32_t>(hop_ports_.size()) - e.offset;
    }
  }
}

std::size_t Routing::table_bytes() const {
  return table_.size() * sizeof(Entry) + hop_ports_.size() * sizeof(std::uint32_t) +
         (tor_of_host_.size() * 5 + sw_ordinal_.size() * 2) * sizeof(std::uint32_t);
}

std::uint32_t flow_tuple_hash(std::uint64_t seed, std::uint32_t flow_index, std::uint32_t src,
                              std::uint32_t dst, bool reverse) {
  core::Rng rng(seed, core::hash_combine(2, flow_index));
  const std::uint64_t sport = 49152 + rng.below(16384);
  const std::uint64_t ports_proto = (sport << 16) ^ (4791u << 1) ^ 17u;
  const std::uint64_t addresses =
      reverse ? (std::uint64_t{dst} << 32) ^ src : (std::uint64_t{src} << 32) ^ dst;
  return static_cast<std::uint32_t>(core::hash_combine(addresses, ports_proto));
}

std::uint64_t switch_salt(std::uint32_t node) {
  return core::mix64(node + 0x9e37ull);
}

}  // namespace aifabric::net
