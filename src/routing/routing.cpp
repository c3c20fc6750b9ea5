#include "routing/routing.hpp"

#include <algorithm>
#include <limits>
#include <queue>

#include "core/error.hpp"

namespace aifabric::routing {

namespace {
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
// Beyond this many switch x ToR entries a layered fabric is routed from its structure at lookup time.
constexpr std::size_t kMaxTableEntries = std::size_t{1} << 22;

// The node at the far end of egress port `port`.
std::uint32_t peer_node(const topo::TopologySpec& spec, std::uint32_t port) {
  const auto& l = spec.links[port / 2];
  return port % 2 == 0 ? l.b : l.a;
}
}  // namespace

Routing::Routing(const topo::TopologySpec& spec, Method method, const std::vector<bool>& excluded) {
  const std::size_t n = spec.nodes.size();
  AIFABRIC_ASSERT(excluded.empty() || excluded.size() == spec.links.size(),
                  "excluded links given for a different topology");
  std::vector<std::vector<std::uint32_t>> out_ports(n);  // egress ports of each node, live links only
  std::vector<std::uint32_t> host_link(n, kNone);        // a host's port, live or not
  bool any_excluded = false;
  for (std::uint32_t i = 0; i < spec.links.size(); ++i) {
    for (std::uint32_t dir = 0; dir < 2; ++dir) {
      const std::uint32_t node = dir == 0 ? spec.links[i].a : spec.links[i].b;
      if (spec.nodes[node].kind == topo::NodeKind::kHost && host_link[node] == kNone)
        host_link[node] = 2 * i + dir;
    }
    if (!excluded.empty() && excluded[i]) {
      any_excluded = true;
      continue;
    }
    out_ports[spec.links[i].a].push_back(2 * i);
    out_ports[spec.links[i].b].push_back(2 * i + 1);
  }
  auto peer = [&](std::uint32_t port) { return peer_node(spec, port); };
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
    const std::uint32_t hp = host_link[spec.hosts[h]];
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
  if (spec.layered && method == Method::kAuto && !any_excluded) {
    build_structure(spec, out_ports, switches);
    if (switches.size() * tors.size() <= kMaxTableEntries) {
      table_.resize(switches.size() * tors.size());
      for (std::uint32_t s = 0; s < switches.size(); ++s)
        for (std::uint32_t t = 0; t < tors.size(); ++t)
          if (switches[s] != tors[t]) table_[static_cast<std::size_t>(s) * tor_count_ + t] = structural(s, t);
    }
    return;
  }
  build_search(spec, out_ports, switches, tors);
}

void Routing::build_structure(const topo::TopologySpec& spec,
                              const std::vector<std::vector<std::uint32_t>>& out_ports,
                              const std::vector<std::uint32_t>& switches) {
  auto peer = [&](std::uint32_t port) { return peer_node(spec, port); };
  // A switch-to-switch link goes up towards the endpoint of the tier it is named after.
  auto goes_up = [&](std::uint32_t port) { return spec.nodes[peer(port)].tier == spec.links[port / 2].tier; };
  const std::size_t count = switches.size();
  std::vector<std::vector<std::uint32_t>> down(count), up(count);
  std::vector<std::uint32_t> pending(count, 0);  // down-children not yet placed, per switch
  for (std::uint32_t s = 0; s < count; ++s)
    for (auto p : out_ports[switches[s]]) {
      if (spec.nodes[peer(p)].kind != topo::NodeKind::kSwitch) continue;
      (goes_up(p) ? up : down)[s].push_back(p);
    }
  for (std::uint32_t s = 0; s < count; ++s) pending[s] = static_cast<std::uint32_t>(down[s].size());
  // Children before parents (Kahn's order over the down links).
  std::vector<std::uint32_t> order;
  for (std::uint32_t s = 0; s < count; ++s)
    if (pending[s] == 0) order.push_back(s);
  for (std::size_t i = 0; i < order.size(); ++i)
    for (auto p : up[order[i]]) {
      const std::uint32_t parent = sw_ordinal_[peer(p)];
      if (--pending[parent] == 0) order.push_back(parent);
    }
  AIFABRIC_ASSERT(order.size() == count, "layered topology with a cycle of up links");
  // Down-reach per switch, with the least depth to each ToR and the down ports achieving it.
  std::vector<std::vector<Down>> reach(count);
  std::vector<std::vector<std::uint32_t>> depth(count);
  struct Candidate {
    std::uint32_t tor, depth, port;
    bool operator<(const Candidate& o) const {
      return tor != o.tor ? tor < o.tor : depth != o.depth ? depth < o.depth : port < o.port;
    }
  };
  std::vector<Candidate> cand;
  for (auto s : order) {
    const std::uint32_t node = switches[s];
    if (tor_ordinal_[node] != kNone) {
      reach[s].push_back(Down{tor_ordinal_[node], {}});
      depth[s].push_back(0);
    }
    cand.clear();
    for (auto p : down[s]) {
      const std::uint32_t child = sw_ordinal_[peer(p)];
      for (std::size_t k = 0; k < reach[child].size(); ++k)
        cand.push_back({reach[child][k].tor, depth[child][k] + 1, p});
    }
    std::sort(cand.begin(), cand.end());
    for (std::size_t i = 0; i < cand.size();) {
      std::size_t j = i;
      const auto offset = static_cast<std::uint32_t>(hop_ports_.size());
      while (j < cand.size() && cand[j].tor == cand[i].tor) {
        if (cand[j].depth == cand[i].depth) hop_ports_.push_back(cand[j].port);
        ++j;
      }
      if (cand[i].tor != tor_ordinal_[node]) {
        reach[s].push_back(
            Down{cand[i].tor, {offset, static_cast<std::uint32_t>(hop_ports_.size()) - offset}});
        depth[s].push_back(cand[i].depth);
      } else {
        hop_ports_.resize(offset);
      }
      i = j;
    }
    std::vector<std::size_t> idx(reach[s].size());
    for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
    std::sort(idx.begin(), idx.end(),
              [&](std::size_t a, std::size_t b) { return reach[s][a].tor < reach[s][b].tor; });
    std::vector<Down> sorted_reach;
    std::vector<std::uint32_t> sorted_depth;
    for (auto k : idx) {
      sorted_reach.push_back(reach[s][k]);
      sorted_depth.push_back(depth[s][k]);
    }
    reach[s] = std::move(sorted_reach);
    depth[s] = std::move(sorted_depth);
  }
  up_.resize(count);
  down_begin_.resize(count + 1);
  for (std::uint32_t s = 0; s < count; ++s) {
    down_begin_[s] = static_cast<std::uint32_t>(downs_.size());
    downs_.insert(downs_.end(), reach[s].begin(), reach[s].end());
    up_[s].offset = static_cast<std::uint32_t>(hop_ports_.size());
    hop_ports_.insert(hop_ports_.end(), up[s].begin(), up[s].end());
    up_[s].count = static_cast<std::uint32_t>(up[s].size());
  }
  down_begin_[count] = static_cast<std::uint32_t>(downs_.size());
}

const Routing::Entry& Routing::structural(std::uint32_t sw, std::uint32_t tor) const {
  const auto first = downs_.begin() + down_begin_[sw], last = downs_.begin() + down_begin_[sw + 1];
  const auto it =
      std::lower_bound(first, last, tor, [](const Down& d, std::uint32_t t) { return d.tor < t; });
  return it != last && it->tor == tor ? it->ports : up_[sw];
}

void Routing::build_search(const topo::TopologySpec& spec,
                           const std::vector<std::vector<std::uint32_t>>& out_ports,
                           const std::vector<std::uint32_t>& switches,
                           const std::vector<std::uint32_t>& tors) {
  auto peer = [&](std::uint32_t port) { return peer_node(spec, port); };
  const std::size_t n = spec.nodes.size();
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
         downs_.size() * sizeof(Down) + (up_.size() + down_begin_.size()) * sizeof(Entry) +
         (tor_of_host_.size() * 5 + sw_ordinal_.size() * 2) * sizeof(std::uint32_t);
}

std::uint32_t flow_tuple_hash(std::uint64_t seed, std::uint64_t entropy_key, std::uint32_t src,
                              std::uint32_t dst, bool reverse) {
  core::Rng rng(seed, core::hash_combine(2, entropy_key));
  const std::uint64_t sport = 49152 + rng.below(16384);
  const std::uint64_t ports_proto = (sport << 16) ^ (4791u << 1) ^ 17u;
  const std::uint64_t addresses =
      reverse ? (std::uint64_t{dst} << 32) ^ src : (std::uint64_t{src} << 32) ^ dst;
  return static_cast<std::uint32_t>(core::hash_combine(addresses, ports_proto));
}

std::uint64_t switch_salt(std::uint32_t node) {
  return core::mix64(node + 0x9e37ull);
}

}  // namespace aifabric::routing
