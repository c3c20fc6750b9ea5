#include "flow/ideal_network.hpp"

#include <algorithm>

#include "routing/path.hpp"
#include "routing/routing.hpp"

namespace aifabric::flow {

namespace {
std::vector<double> nic_links(const std::vector<double>& nic) {
  std::vector<double> capacity(2 * nic.size());
  for (std::size_t h = 0; h < nic.size(); ++h) capacity[2 * h] = capacity[2 * h + 1] = nic[h];
  return capacity;
}
}  // namespace

IdealNetwork::IdealNetwork(const std::vector<double>& nic,
                           std::function<core::TimePs(std::uint32_t, std::uint32_t)> latency)
    : FluidNetwork(nic_links(nic)), latency_(std::move(latency)) {}

IdealNetwork::IdealNetwork(const std::vector<double>& nic, core::TimePs latency)
    : IdealNetwork(nic, [latency](std::uint32_t, std::uint32_t) { return latency; }) {}

void IdealNetwork::start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                  std::uint64_t token) {
  const backend::HostPair member{src, dst};
  start_group({&member, 1}, bytes, 1, token);
}

void IdealNetwork::start_group(std::span<const backend::HostPair> members, std::uint64_t bytes,
                               std::uint32_t rounds, std::uint64_t token) {
  std::vector<std::uint32_t> path;
  path.reserve(2 * members.size());
  core::TimePs latency = 0;
  for (const auto& [src, dst] : members) {
    path.push_back(2 * src);
    path.push_back(2 * dst + 1);
    latency = std::max(latency, latency_(src, dst));
  }
  start_fluid(std::move(path), bytes, latency * rounds, token);
}

std::unique_ptr<IdealNetwork> ideal_network(const topo::TopologySpec& t, std::uint32_t packet_wire_bytes) {
  const double wire = packet_wire_bytes;
  const std::uint32_t mtu = t.smallest_mtu();
  auto routing = std::make_shared<routing::Routing>(t);
  std::vector<double> nic(t.hosts.size());
  for (std::uint32_t h = 0; h < t.hosts.size(); ++h) {
    const auto& l = t.links[routing->host_port(h) / 2];
    nic[h] = l.params.rate_gbps * 1e9 / 8.0 / 1e12 * mtu / wire;
  }
  // The ideal network's latency is the first shortest path's (they are alike in the builders' fabrics).
  auto latency = [&t, routing, wire](std::uint32_t src, std::uint32_t dst) {
    return routing::walk_path(t, *routing, src, dst, wire,
                              [](std::uint32_t, std::span<const std::uint32_t>) { return 0; });
  };
  return std::make_unique<IdealNetwork>(std::move(nic), latency);
}

}  // namespace aifabric::flow
