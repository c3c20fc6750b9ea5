#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace aifabric::topo {

enum class NodeKind : std::uint8_t { kHost, kSwitch };
enum class BufferMode : std::uint8_t { kShared, kPerPort };

// Parameters of one link (both directions). The MTU is the largest payload a packet carries; headers
// are added on top (see docs/models/packet.md).
struct LinkParams {
  double rate_gbps = 0;
  double latency_ns = 0;
  std::uint32_t mtu_bytes = 0;
  double ber = 0;  // bit error rate left after FEC: frames it corrupts are dropped (packet level)
};

struct SwitchParams {
  std::uint64_t buffer_bytes = 0;
  BufferMode buffer_mode = BufferMode::kShared;
};

// A switch tier's settings: the links that hang below it (towards the hosts) and its switches.
struct TierParams {
  LinkParams link;
  SwitchParams sw;
};

struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::kHost;
  std::string tier;  // "host" for hosts, the tier name for switches
  SwitchParams sw;   // switches only
};

// A site of a multi-site fabric (topo/sites.hpp): its name and its hosts, one range in host order.
struct SiteRange {
  std::string name;
  std::uint32_t first_host = 0;
  std::uint32_t hosts = 0;
};

struct LinkSpec {
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  LinkParams params;
  std::string tier;   // the tier whose downlinks this is, or "explicit"
  std::string field;  // where the link came from, for error messages
};

// Pure data describing a fabric. Builders produce it, `validate` checks it, the engine instantiates it.
struct TopologySpec {
  std::string kind;
  std::vector<NodeSpec> nodes;
  std::vector<LinkSpec> links;
  std::vector<std::uint32_t> hosts;  // node index of host i, in host order
  // Set by the builders: a layered Clos (every switch-to-switch link joins a lower tier to the tier named
  // by the link, and a switch's up ports are all equivalent), so shortest paths go up, then down, and
  // routes follow from the structure. Cleared when links are taken out of service.
  bool layered = false;
  // Host indices taken out of service by faults (a failed NIC, the host's switch down, or cut off from
  // the rest of the fabric), ascending. They keep their one link, so every engine still has a port for
  // them, but no workload may use them, and they need not reach the other hosts.
  std::vector<std::uint32_t> down_hosts;
  // Links taken out of service by faults (not simulated; telemetry reports their ports as down).
  std::vector<LinkSpec> failed_links;
  // The sites, when the fabric joins several (topo::join_sites); empty for one site.
  std::vector<SiteRange> sites;

  std::uint32_t add_node(std::string name, NodeKind kind, std::string tier, SwitchParams sw = {});
  void add_link(std::uint32_t a, std::uint32_t b, const LinkParams& p, std::string tier,
                std::string field = {});
  std::size_t switch_count() const { return nodes.size() - hosts.size(); }
  // The largest payload every link carries: the smallest link MTU (the fabric's packets are this size).
  std::uint32_t smallest_mtu() const;
  bool host_down(std::uint32_t host) const;
};

// The hosts in service that cannot reach the largest group of hosts in service (ties: the group of the
// lowest host index), ascending: what faults cut off from the rest of the fabric.
std::vector<std::uint32_t> cut_off_hosts(const TopologySpec& spec);

// Checks what every engine relies on: unique names, endpoints in range, positive rates and MTUs, no self
// loops, each host on exactly one link to a switch, every host in service reaching every other (at least
// two in service). Throws
// core::InputError naming `field_prefix` and the offending element.
void validate(const TopologySpec& spec, const std::string& field_prefix);

}  // namespace aifabric::topo
