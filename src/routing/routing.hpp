#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.hpp"
#include "core/time.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric::routing {

// How a switch chooses among equal-cost egress ports: a per-flow 5-tuple hash, per-packet round robin, or
// per packet the least-loaded port.
enum class LoadBalancing : std::uint8_t { kEcmp, kSpray, kAdaptive };
// Its name in the scenario format and the result files.
inline const char* name(LoadBalancing l) {
  switch (l) {
    case LoadBalancing::kEcmp:
      return "ecmp";
    case LoadBalancing::kSpray:
      return "spray";
    case LoadBalancing::kAdaptive:
      return "adaptive";
  }
  return "?";
}

// Shortest-path next hops. Link i of the spec is ports 2i (a->b) and 2i+1 (b->a). Every host hangs off one
// switch (its ToR); a switch's equal-cost next hops towards a host are those towards the host's ToR.
//
// A layered Clos (TopologySpec::layered) is routed from its structure: each switch knows the ToRs below it
// with the down ports that reach each at the least depth, and otherwise goes up through all its up ports.
// That costs the sum of the switches' down-reach, not switches x ToRs: a 131,072-GPU three-tier fabric
// needs tens of MB. Other fabrics (explicit, or with failed links) get a breadth-first search per ToR
// into a switches x ToRs table. A layered fabric small enough is also expanded into that table, which
// the packet engine reads in two cache lines per hop.
//
// `excluded` (by link index, empty or one flag per link) names links that are down: routes are searched
// without them, ports keep their numbers, and a host whose link is excluded keeps its port (it is not
// reachable, and nothing routes around it). The packet engine builds one table per state of its timed
// link events this way.
class Routing {
 public:
  enum class Method : std::uint8_t { kAuto, kSearch };  // kSearch forces the table search (tests)
  explicit Routing(const topo::TopologySpec& spec, Method method = Method::kAuto,
                   const std::vector<bool>& excluded = {});

  std::uint32_t tor_of(std::uint32_t host) const { return tor_of_host_[host]; }   // node id of the host's ToR
  std::uint32_t host_port(std::uint32_t host) const { return host_port_[host]; }  // host -> ToR
  // Switch ordinal (switches numbered in node order) of a switch node.
  std::uint32_t switch_ordinal(std::uint32_t node) const { return sw_ordinal_[node]; }
  // Equal-cost egress ports at switch node `sw` towards `dst_host`.
  std::span<const std::uint32_t> next_hops(std::uint32_t sw, std::uint32_t dst_host) const {
    return next_hops_at(sw_ordinal_[sw], dst_host);
  }
  // The same by switch ordinal: the engine's hot path.
  std::span<const std::uint32_t> next_hops_at(std::uint32_t sw_ordinal, std::uint32_t dst_host) const {
    const HostRoute& h = host_route_[dst_host];
    if (sw_ordinal == h.tor_ordinal_sw) return {&h.down_port, 1};
    const Entry& e = table_.empty() ? structural(sw_ordinal, h.tor_index)
                                    : table_[static_cast<std::size_t>(sw_ordinal) * tor_count_ + h.tor_index];
    return {hop_ports_.data() + e.offset, e.count};
  }
  std::size_t table_bytes() const;
  bool from_structure() const { return !down_begin_.empty(); }

 private:
  struct Entry {
    std::uint32_t offset = 0;
    std::uint32_t count = 0;
  };
  struct HostRoute {
    std::uint32_t tor_ordinal_sw;  // switch ordinal of the host's ToR
    std::uint32_t tor_index;       // ToR ordinal: column of the ToR in table_
    std::uint32_t down_port;       // ToR -> host
  };
  struct Down {
    std::uint32_t tor;  // ToR ordinal
    Entry ports;
  };
  const Entry& structural(std::uint32_t sw_ordinal, std::uint32_t tor) const;
  void build_structure(const topo::TopologySpec& spec,
                       const std::vector<std::vector<std::uint32_t>>& out_ports,
                       const std::vector<std::uint32_t>& switches);
  void build_search(const topo::TopologySpec& spec, const std::vector<std::vector<std::uint32_t>>& out_ports,
                    const std::vector<std::uint32_t>& switches, const std::vector<std::uint32_t>& tors);

  std::vector<HostRoute> host_route_;
  std::vector<std::uint32_t> tor_of_host_;
  std::vector<std::uint32_t> host_port_;
  std::vector<std::uint32_t> sw_ordinal_;
  std::vector<std::uint32_t> tor_ordinal_;
  std::uint32_t tor_count_ = 0;
  std::vector<Entry> table_;  // switches x ToRs, when expanded or searched
  std::vector<std::uint32_t> hop_ports_;
  // The structure, per switch ordinal: its down-reach (sorted by ToR, [down_begin_, down_begin_ + 1)) and
  // its up ports.
  std::vector<std::uint32_t> down_begin_;
  std::vector<Down> downs_;
  std::vector<Entry> up_;
};

// ECMP as switches do it, shared by the packet engine and the flow-level model so both pick the same path.
// RoCEv2 carries per-flow entropy in the UDP source port, drawn per flow from the run's seed; the hash
// covers the 5-tuple (addresses, source port, destination port 4791, protocol 17). `reverse` gives the
// tuple of the flow's ACKs and CNPs.
std::uint32_t flow_tuple_hash(std::uint64_t seed, std::uint64_t entropy_key, std::uint32_t src,
                              std::uint32_t dst, bool reverse);
// The entropy key of a workload transfer identified by `token` (its op), apart from flow indices.
inline std::uint64_t transfer_entropy_key(std::uint64_t token) {
  return (std::uint64_t{1} << 63) | token;
}
// The same for member `member` of a group of transfers.
inline std::uint64_t group_entropy_key(std::uint64_t token, std::uint32_t member) {
  return (std::uint64_t{3} << 62) | core::hash_combine(token, member) >> 2;
}
// Each switch salts the hash differently (as real switches seed their hash functions, against
// polarization); multiply-shift maps it onto the `ports` equal-cost ports without a division.
std::uint64_t switch_salt(std::uint32_t node);
inline std::size_t ecmp_pick(std::uint64_t salt, std::uint32_t hash, std::size_t ports) {
  const std::uint64_t h = core::mix64(salt ^ hash);
  return static_cast<std::size_t>((static_cast<core::Uint128>(h) * ports) >> 64);
}

}  // namespace aifabric::routing
