#include "api/flow_network.hpp"

#include <algorithm>

#include "api/path.hpp"

namespace aifabric::api {

FlowNetwork::FlowNetwork(const Scenario& sc) : sc_(sc), routing_(sc.topology) {
  const auto& t = sc.topology;
  std::uint32_t mtu = t.links.front().params.mtu_bytes;
  for (const auto& l : t.links) mtu = std::min(mtu, l.params.mtu_bytes);
  wire_ = mtu + sc.fabric.framing.header_bytes + sc.fabric.framing.gap_bytes;
  // Each direction of each link carries payload at its rate times the payload fraction of a full packet.
  std::vector<double> capacity(t.links.size() * 2);
  for (std::uint32_t i = 0; i < t.links.size(); ++i)
    capacity[2 * i] = capacity[2 * i + 1] = t.links[i].params.rate_gbps * 1e9 / 8.0 / 1e12 * mtu / wire_;
  fluid_ = std::make_unique<flow::MaxMinFluid>(
      std::move(capacity),
      [this](core::TimePs at, std::uint64_t key) { queue_.schedule(at, slots_.put(key), kFluid); });
}

core::TimePs FlowNetwork::path_latency(std::uint64_t entropy_key, std::uint32_t src, std::uint32_t dst,
                                       std::vector<std::uint32_t>* ports) {
  // The packet engine's ECMP path: the same 5-tuple hash and per-switch salts.
  const std::uint32_t hash = net::flow_tuple_hash(sc_.run.seed, entropy_key, src, dst, false);
  auto choose = [&](std::uint32_t sw, std::span<const std::uint32_t> hops) {
    std::size_t pick = net::ecmp_pick(net::switch_salt(sw), hash, hops.size());
    if (sc_.fabric.load_balancing == net::LoadBalancing::kEcmp) return pick;
    // Spraying and adaptive routing spread load over the equal-cost ports: place the whole transfer on
    // the port with the fewest flows, starting from the hash's choice so ties stay deterministic.
    std::size_t best = pick;
    for (std::size_t k = 1; k < hops.size(); ++k) {
      const std::size_t c = (pick + k) % hops.size();
      if (fluid_->flows_on(hops[c]) < fluid_->flows_on(hops[best])) best = c;
    }
    return best;
  };
  return walk_path(sc_.topology, routing_, src, dst, wire_, choose, ports);
}

void FlowNetwork::start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                 std::uint64_t token) {
  start_keyed(net::transfer_entropy_key(token), src, dst, bytes, token);
}

void FlowNetwork::start_flow(std::uint32_t flow_index, std::uint32_t src, std::uint32_t dst,
                             std::uint64_t bytes, std::uint64_t token) {
  start_keyed(flow_index, src, dst, bytes, token);
}

void FlowNetwork::start_keyed(std::uint64_t entropy_key, std::uint32_t src, std::uint32_t dst,
                              std::uint64_t bytes, std::uint64_t token) {
  std::vector<std::uint32_t> path;
  const core::TimePs latency = path_latency(entropy_key, src, dst, &path);
  const std::uint32_t s = started_.put(token);
  if (s >= latency_.size()) latency_.resize(s + 1);
  latency_[s] = latency;
  fluid_->start(queue_.now(), std::move(path), static_cast<double>(bytes), s);
}

void FlowNetwork::start_group(std::span<const workload::HostPair> members, std::uint64_t bytes,
                              std::uint32_t rounds, std::uint64_t token) {
  // One fluid flow crossing every member's path: the members share one rate, the slowest member's.
  std::vector<std::uint32_t> path;
  core::TimePs latency = 0;
  for (std::uint32_t j = 0; j < members.size(); ++j)
    latency = std::max(
        latency, path_latency(net::group_entropy_key(token, j), members[j].first, members[j].second, &path));
  const std::uint32_t s = started_.put(token);
  if (s >= latency_.size()) latency_.resize(s + 1);
  latency_[s] = latency * rounds;
  fluid_->start(queue_.now(), std::move(path), static_cast<double>(bytes), s);
}

void FlowNetwork::set_timer(core::TimePs at, std::uint64_t token) {
  queue_.schedule(at, slots_.put(token), kExternal);
}

void FlowNetwork::run(workload::BackendSink& sink) {
  fluid_->flush(queue_.now());
  while (!queue_.empty()) {
    const core::Event e = queue_.pop();
    ++events_;
    switch (e.kind) {
      case kExternal:
        sink.timer(slots_.take(e.target));
        break;
      case kFluid: {
        std::uint64_t user = 0;
        if (fluid_->on_timer(queue_.now(), slots_.take(e.target), user)) {
          const auto s = static_cast<std::uint32_t>(user);
          queue_.schedule(queue_.now() + latency_[s], s, kArrival);
        }
        break;
      }
      default:
        sink.transfer_done(started_.take(e.target));  // arrival of a started transfer
    }
    // Everything that happens at this instant is in: solve the rates once for all of it.
    if (queue_.empty() || queue_.next_time() != queue_.now()) fluid_->flush(queue_.now());
  }
}

}  // namespace aifabric::api
