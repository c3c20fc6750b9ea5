#pragma once
#include <cstdint>
#include <vector>

#include "backend/flow_spec.hpp"
#include "flow/fluid_network.hpp"
#include "routing/routing.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric::flow {

// The flow-level backend (docs/models/flow.md): each transfer is a fluid flow on the path the packet
// engine's ECMP would give it (with spraying or adaptive routing: the equal-cost port carrying the fewest
// flows at each hop), sharing every link of its path max-min fairly with the others; its last
// byte arrives one path latency after it leaves. No packets, queues, PFC or congestion control: what is
// left is bandwidth sharing, which dominates at scale and costs a few events per transfer.
class FlowNetwork : public FluidNetwork {
 public:
  // `seed` draws the flows' ECMP entropy as the packet engine does; a full packet carries the topology's
  // smallest MTU in `packet_wire_bytes` on the wire, so each link carries payload at its rate times
  // smallest_mtu / packet_wire_bytes.
  FlowNetwork(const topo::TopologySpec& topology, routing::LoadBalancing load_balancing, std::uint64_t seed,
              std::uint32_t packet_wire_bytes);
  void start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                      std::uint64_t token) override;
  void start_group(std::span<const backend::HostPair> members, std::uint64_t bytes_per_member,
                   std::uint32_t rounds, std::uint64_t token) override;
  // Starts a transfer whose ECMP hash is that of the scenario's flow `flow_index` (a `simulate` flow
  // list), so it takes the path the packet engine gives that flow.
  void start_flow(std::uint32_t flow_index, std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                  std::uint64_t token);
  // Background flows (a scenario's traffic: checkpoints, generators) that share the links with the
  // caller's transfers from their start times, each hashed like flow `i` of a `simulate` run; nobody waits
  // for them. The caller's tokens must then leave kBackgroundBit clear.
  void add_background(std::vector<backend::FlowSpec> flows);
  static constexpr std::uint64_t kBackgroundBit = std::uint64_t{1} << 63;
  void run(backend::BackendSink& sink) override;
  double wire_bytes() const { return wire_; }
  // Bytes each directed link (port 2i = link i a->b, 2i+1 = b->a) has carried, payload.
  double carried_bytes(std::uint32_t port) const { return fluid().carried_bytes(port); }
  // The path a transfer with this ECMP entropy key takes (its egress ports into `ports`) and its latency.
  core::TimePs path_latency(std::uint64_t entropy_key, std::uint32_t src, std::uint32_t dst,
                            std::vector<std::uint32_t>* ports);

 private:
  void start_keyed(std::uint64_t entropy_key, std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                   std::uint64_t token);
  const topo::TopologySpec& topology_;
  routing::LoadBalancing load_balancing_;
  std::uint64_t seed_;
  routing::Routing routing_;
  double wire_ = 0;  // wire bytes of a full packet
  std::vector<backend::FlowSpec> background_;
  // How many members of the group whose paths are being chosen already cross each port (zero between
  // groups; sized on the first group), so that spraying and adaptive routing spread the members over the
  // equal-cost ports as they would spread separate flows.
  std::vector<std::uint32_t> group_load_;
};

}  // namespace aifabric::flow
