#pragma once
#include <cstdint>
#include <vector>

#include "net/simulation.hpp"
#include "workload/executor.hpp"

namespace aifabric::api {

// The packet engine as a workload::NetworkBackend: each transfer becomes a flow added while the simulation
// runs, each timer an engine event, so compute, NVLink and network events share one ordered clock.
class PacketNetwork : public workload::NetworkBackend, public net::FlowListener {
 public:
  explicit PacketNetwork(net::Simulation& sim) : sim_(sim) {}
  core::TimePs now() const override { return sim_.now(); }
  void start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                      std::uint64_t token) override;
  void set_timer(core::TimePs at, std::uint64_t token) override;
  void run(workload::BackendSink& sink) override;

  void flow_done(std::uint32_t flow) override;
  void timer(std::uint32_t id) override;

 private:
  static constexpr std::uint64_t kNoToken = ~std::uint64_t{0};
  net::Simulation& sim_;
  workload::BackendSink* sink_ = nullptr;
  std::vector<std::uint64_t> flow_token_;
  workload::TokenSlots timers_;
};

}  // namespace aifabric::api
