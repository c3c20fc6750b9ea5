#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.hpp"
#include "core/time.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric::net {

// Shortest-path next hops. Link i of the spec is ports 2i (a->b) and 2i+1 (b->a). Every host hangs off one
// switch (its ToR); a switch's equal-cost next hops towards a host are those towards the host's ToR, so the
// table is switches x ToRs, not switches x hosts.
class Routing {
 public:
  explicit Routing(const topo::TopologySpec& spec);

  std::uint32_t tor_of(std::uint32_t host) const { return tor_of_host_[host]; }   // node id of the host's ToR
  std::uint32_t host_port(std::uint32_t host) const { return host_port_[host]; }  // host -> ToR
  // Switch ordinal (switches numbered in node order) of a switch node.
  std::uint32_t switch_ordinal(std::uint32_t node) const { return sw_ordinal_[node]; }
  // Equal-cost egress ports at switch node `sw` towards `dst_host`.
  std::span<const std::uint32_t> next_hops(std::uint32_t sw, std::uint32_t dst_host) const {
    return next_hops_at(sw_ordinal_[sw], dst_host);
  }
  // The same by switch ordinal: the engine's hot path, two cache lines per lookup.
  std::span<const std::uint32_t> next_hops_at(std::uint32_t sw_ordinal, std::uint32_t dst_host) const {
    const HostRoute& h = host_route_[dst_host];
    if (sw_ordinal == h.tor_ordinal_sw) return {&h.down_port, 1};
    const Entry& e = table_[static_cast<std::size_t>(sw_ordinal) * tor_count_ + h.tor_index];
    return {hop_ports_.data() + e.offset, e.count};
  }
  std::size_t table_bytes() const;

 private:
  struct Entry {
    std::uint32_t offset = 0;
    std::uint32_t count = 0;
  };
  struct HostRoute {
    std::uint32_t tor_ordinal_sw;  // switch ordinal of the host's ToR
    std::uint32_t tor_index;       // column of the ToR in table_
    std::uint32_t down_port;       // ToR -> host
  };
  std::vector<HostRoute> host_route_;
  std::vector<std::uint32_t> tor_of_host_;
  std::vector<std::uint32_t> host_port_;
  std::vector<std::uint32_t> sw_ordinal_;
  std::vector<std::uint32_t> tor_ordinal_;
  std::uint32_t tor_count_ = 0;
  std::vector<Entry> table_;
  std::vector<std::uint32_t> hop_ports_;
};

// ECMP as switches do it, shared by the packet engine and the flow-level model so both pick the same path.
// RoCEv2 carries per-flow entropy in the UDP source port, drawn per flow from the run's seed; the hash
// covers the 5-tuple (addresses, source port, destination port 4791, protocol 17). `reverse` gives the
// tuple of the flow's ACKs and CNPs.
std::uint32_t flow_tuple_hash(std::uint64_t seed, std::uint32_t flow_index, std::uint32_t src,
                              std::uint32_t dst, bool reverse);
// Each switch salts the hash differently (as real switches seed their hash functions, against
// polarization); multiply-shift maps it onto the `ports` equal-cost ports without a division.
std::uint64_t switch_salt(std::uint32_t node);
inline std::size_t ecmp_pick(std::uint64_t salt, std::uint32_t hash, std::size_t ports) {
  const std::uint64_t h = core::mix64(salt ^ hash);
  return static_cast<std::size_t>((static_cast<core::Uint128>(h) * ports) >> 64);
}

}  // namespace aifabric::net
