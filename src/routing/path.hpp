#pragma once
#include <cstdint>
#include <vector>

#include "core/time.hpp"
#include "routing/routing.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric::routing {

// Walks the path from host `src` to host `dst`; at each switch `choose(switch_node, equal_cost_ports)`
// returns the index of the port taken. Appends the egress ports to `ports` when given, and returns the
// path's latency for a long transfer: the links' propagation plus, at each switch, one packet of
// `wire_bytes` stored before it is forwarded (the pipeline fill).
template <class Choose>
core::TimePs walk_path(const topo::TopologySpec& t, const Routing& routing, std::uint32_t src,
                       std::uint32_t dst, double wire_bytes, Choose&& choose,
                       std::vector<std::uint32_t>* ports = nullptr) {
  core::TimePs total = 0;
  std::uint32_t port = routing.host_port(src);
  for (int hop = 0;; ++hop) {
    if (ports != nullptr) ports->push_back(port);
    const auto& l = t.links[port / 2];
    const std::uint32_t peer = port % 2 == 0 ? l.b : l.a;
    total += core::ns_to_ps(l.params.latency_ns);
    if (hop > 0)
      total += core::serialization_ps(static_cast<std::uint64_t>(wire_bytes),
                                      static_cast<std::uint64_t>(l.params.rate_gbps * 1e9));
    if (peer == t.hosts[dst]) return total;
    const auto hops = routing.next_hops(peer, dst);
    port = hops[hops.size() == 1 ? 0 : choose(peer, hops)];
  }
}

}  // namespace aifabric::routing
