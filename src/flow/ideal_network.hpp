#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "flow/fluid_network.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric::flow {

// A non-blocking, congestion-free network: each host's NIC sends and receives at its line rate times the
// payload fraction, shared max-min fairly among its concurrent transfers, and a transfer's last byte
// arrives one path latency after it leaves (docs/models/collectives.md). Links 2h and 2h + 1 are host
// h's sending and receiving sides.
class IdealNetwork : public FluidNetwork {
 public:
  // `latency(src, dst)`: propagation and forwarding delay of the path between two hosts.
  IdealNetwork(const std::vector<double>& nic_payload_bytes_per_ps,
               std::function<core::TimePs(std::uint32_t, std::uint32_t)> latency);
  // Same latency between every pair of distinct hosts.
  IdealNetwork(const std::vector<double>& nic_payload_bytes_per_ps, core::TimePs latency);
  void start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                      std::uint64_t token) override;
  void start_group(std::span<const backend::HostPair> members, std::uint64_t bytes_per_member,
                   std::uint32_t rounds, std::uint64_t token) override;

 private:
  std::function<core::TimePs(std::uint32_t, std::uint32_t)> latency_;
};

// The ideal network of a topology: each host's NIC at its link's payload rate (a full packet carries the
// smallest MTU in `packet_wire_bytes` on the wire), the latency of the first shortest path between hosts.
std::unique_ptr<IdealNetwork> ideal_network(const topo::TopologySpec& topology,
                                            std::uint32_t packet_wire_bytes);

}  // namespace aifabric::flow
