#pragma once
#include <cstdint>
#include <vector>

#include "backend/network_backend.hpp"
#include "backend/token_slots.hpp"
#include "net/simulation.hpp"

namespace aifabric::net {

// The packet engine as a backend::NetworkBackend: each transfer becomes a flow added while the simulation
// runs, each timer an engine event, so compute, NVLink and network events share one ordered clock.
class PacketNetwork : public backend::NetworkBackend, public net::FlowListener {
 public:
  // Completed transfers' records are recycled (Simulation::recycle_finished_flows).
  explicit PacketNetwork(net::Simulation& sim) : sim_(sim) { sim_.recycle_finished_flows(); }
  core::TimePs now() const override { return sim_.now(); }
  void start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                      std::uint64_t token) override;
  // The members run as concurrent flows; the group is done when they all are. One round only: the packet
  // model is given collectives step by step (docs/models/flow.md).
  void start_group(std::span<const backend::HostPair> members, std::uint64_t bytes_per_member,
                   std::uint32_t rounds, std::uint64_t token) override;
  void set_timer(core::TimePs at, std::uint64_t token) override;
  void run(backend::BackendSink& sink) override;

  void flow_done(std::uint32_t flow) override;
  void timer(std::uint32_t id) override;

 private:
  static constexpr std::uint64_t kNoToken = ~std::uint64_t{0};
  net::Simulation& sim_;
  backend::BackendSink* sink_ = nullptr;
  static constexpr std::uint64_t kGroupBit = std::uint64_t{1} << 63;
  std::vector<std::uint64_t> flow_token_;  // the caller's token, or kGroupBit | slot of groups_
  backend::TokenSlots groups_;
  std::vector<std::uint32_t> group_left_;  // by slot of groups_: members not done
  backend::TokenSlots timers_;
};

}  // namespace aifabric::net
