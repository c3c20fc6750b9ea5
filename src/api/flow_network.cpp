#include "api/flow_network.hpp"

#include <algorithm>

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
      [this](core::TimePs at, std::uint64_t key) { queue_.schedule(at, slot(key), kFluid); });
}

std::uint32_t FlowNetwork::slot(std::uint64_t value) {
  if (!free_slots_.empty()) {
    const std::uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    slots_[s] = value;
    return s;
  }
  slots_.push_back(value);
  latency_.push_back(0);
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

core::TimePs FlowNetwork::path_latency(std::uint32_t src, std::uint32_t dst,
                                       std::vector<std::uint32_t>* ports) {
  // The packet engine's ECMP path: the same 5-tuple hash and per-switch salts.
  const std::uint32_t hash = net::flow_tuple_hash(sc_.run.seed, transfers_, src, dst, false);
  const auto& t = sc_.topology;
  core::TimePs total = 0;
  std::uint32_t port = routing_.host_port(src);
  for (int hop = 0;; ++hop) {
    if (ports) ports->push_back(port);
    const auto& l = t.links[port / 2];
    const std::uint32_t peer = port % 2 == 0 ? l.b : l.a;
    total += core::ns_to_ps(l.params.latency_ns);
    if (hop > 0)
      total += core::serialization_ps(static_cast<std::uint64_t>(wire_),
                                      static_cast<std::uint64_t>(l.params.rate_gbps * 1e9));
    if (peer == t.hosts[dst]) break;
    const auto hops = routing_.next_hops(peer, dst);
    std::size_t pick = hops.size() == 1 ? 0 : net::ecmp_pick(net::switch_salt(peer), hash, hops.size());
    if (sc_.fabric.load_balancing != net::LoadBalancing::kEcmp) {
      // Spraying and adaptive routing spread load over the equal-cost ports: place the whole transfer on
      // the port with the fewest flows, starting from the hash's choice so ties stay deterministic.
      std::size_t best = pick;
      for (std::size_t k = 1; k < hops.size(); ++k) {
        const std::size_t c = (pick + k) % hops.size();
        if (fluid_->flows_on(hops[c]) < fluid_->flows_on(hops[best])) best = c;
      }
      pick = best;
    }
    port = hops[pick];
  }
  return total;
}

void FlowNetwork::start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                 std::uint64_t token) {
  std::vector<std::uint32_t> path;
  const core::TimePs latency = path_latency(src, dst, &path);
  ++transfers_;
  const std::uint32_t s = slot(token);
  latency_[s] = latency;
  fluid_->start(queue_.now(), std::move(path), static_cast<double>(bytes), s);
}

void FlowNetwork::set_timer(core::TimePs at, std::uint64_t token) {
  queue_.schedule(at, slot(token), kExternal);
}

void FlowNetwork::run(workload::BackendSink& sink) {
  while (!queue_.empty()) {
    const core::Event e = queue_.pop();
    ++events_;
    const std::uint64_t value = slots_[e.target];
    switch (e.kind) {
      case kExternal:
        free_slots_.push_back(e.target);
        sink.timer(value);
        break;
      case kFluid: {
        free_slots_.push_back(e.target);
        std::uint64_t user = 0;
        if (fluid_->on_timer(queue_.now(), value, user)) {
          const auto s = static_cast<std::uint32_t>(user);
          queue_.schedule(queue_.now() + latency_[s], s, kArrival);
        }
        break;
      }
      default:  // arrival: the slot holds the caller's token
        free_slots_.push_back(e.target);
        sink.transfer_done(value);
    }
  }
}

}  // namespace aifabric::api
