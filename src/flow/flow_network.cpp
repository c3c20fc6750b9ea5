#include "flow/flow_network.hpp"

#include <algorithm>

#include "routing/path.hpp"

namespace aifabric::flow {

namespace {

// Each direction of each link carries payload at its rate times the payload fraction of a full packet.
std::vector<double> link_capacities(const topo::TopologySpec& t, std::uint32_t packet_wire_bytes) {
  const double fraction = t.smallest_mtu() / static_cast<double>(packet_wire_bytes);
  std::vector<double> capacity(t.links.size() * 2);
  for (std::uint32_t i = 0; i < t.links.size(); ++i)
    capacity[2 * i] = capacity[2 * i + 1] = t.links[i].params.rate_gbps * 1e9 / 8.0 / 1e12 * fraction;
  return capacity;
}

}  // namespace

FlowNetwork::FlowNetwork(const topo::TopologySpec& topology, routing::LoadBalancing load_balancing,
                         std::uint64_t seed, std::uint32_t packet_wire_bytes)
    : FluidNetwork(link_capacities(topology, packet_wire_bytes)),
      topology_(topology),
      load_balancing_(load_balancing),
      seed_(seed),
      routing_(topology),
      wire_(packet_wire_bytes) {}

core::TimePs FlowNetwork::path_latency(std::uint64_t entropy_key, std::uint32_t src, std::uint32_t dst,
                                       std::vector<std::uint32_t>* ports) {
  // The packet engine's ECMP path: the same 5-tuple hash and per-switch salts.
  const std::uint32_t hash = routing::flow_tuple_hash(seed_, entropy_key, src, dst, false);
  auto choose = [&](std::uint32_t sw, std::span<const std::uint32_t> hops) {
    std::size_t pick = routing::ecmp_pick(routing::switch_salt(sw), hash, hops.size());
    if (load_balancing_ == routing::LoadBalancing::kEcmp) return pick;
    // Spraying and adaptive routing spread load over the equal-cost ports: place the whole transfer on
    // the port with the fewest flows, starting from the hash's choice so ties stay deterministic.
    auto load = [&](std::uint32_t port) {
      return fluid().flows_on(port) + (group_load_.empty() ? 0 : group_load_[port]);  // zero between groups
    };
    std::size_t best = pick;
    for (std::size_t k = 1; k < hops.size(); ++k) {
      const std::size_t c = (pick + k) % hops.size();
      if (load(hops[c]) < load(hops[best])) best = c;
    }
    return best;
  };
  return routing::walk_path(topology_, routing_, src, dst, wire_, choose, ports);
}

void FlowNetwork::add_background(std::vector<backend::FlowSpec> flows) {
  background_ = std::move(flows);
  for (std::uint32_t i = 0; i < background_.size(); ++i)
    set_timer(background_[i].start_ps, kBackgroundBit | i);
}

void FlowNetwork::run(backend::BackendSink& sink) {
  // The background flows' timers and completions stay here; everything else goes to `sink`.
  struct Filter : backend::BackendSink {
    FlowNetwork& net;
    backend::BackendSink& caller;
    Filter(FlowNetwork& n, backend::BackendSink& c) : net(n), caller(c) {}
    void timer(std::uint64_t token) override {
      if ((token & kBackgroundBit) == 0) return caller.timer(token);
      const auto i = static_cast<std::uint32_t>(token & ~kBackgroundBit);
      const auto& f = net.background_[i];
      net.start_flow(i, f.src, f.dst, f.size_bytes, token);
    }
    void transfer_done(std::uint64_t token) override {
      if ((token & kBackgroundBit) == 0) caller.transfer_done(token);
    }
  } filter(*this, sink);
  FluidNetwork::run(filter);
}

void FlowNetwork::start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                 std::uint64_t token) {
  start_keyed(routing::transfer_entropy_key(token), src, dst, bytes, token);
}

void FlowNetwork::start_flow(std::uint32_t flow_index, std::uint32_t src, std::uint32_t dst,
                             std::uint64_t bytes, std::uint64_t token) {
  start_keyed(flow_index, src, dst, bytes, token);
}

void FlowNetwork::start_keyed(std::uint64_t entropy_key, std::uint32_t src, std::uint32_t dst,
                              std::uint64_t bytes, std::uint64_t token) {
  std::vector<std::uint32_t> path;
  const core::TimePs latency = path_latency(entropy_key, src, dst, &path);
  start_fluid(std::move(path), bytes, latency, token);
}

void FlowNetwork::start_group(std::span<const backend::HostPair> members, std::uint64_t bytes,
                              std::uint32_t rounds, std::uint64_t token) {
  // One fluid flow crossing every member's path: the members share one rate, the slowest member's.
  std::vector<std::uint32_t> path;
  core::TimePs latency = 0;
  const bool spread = load_balancing_ != routing::LoadBalancing::kEcmp && members.size() > 1;
  if (spread && group_load_.empty()) group_load_.assign(topology_.links.size() * 2, 0);
  for (std::uint32_t j = 0; j < members.size(); ++j) {
    const std::size_t from = path.size();
    latency = std::max(latency, path_latency(routing::group_entropy_key(token, j), members[j].first,
                                             members[j].second, &path));
    if (spread)
      for (std::size_t k = from; k < path.size(); ++k) ++group_load_[path[k]];
  }
  if (spread)
    for (const std::uint32_t port : path) --group_load_[port];
  start_fluid(std::move(path), bytes, latency * rounds, token);
}

}  // namespace aifabric::flow
