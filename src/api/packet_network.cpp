#include "api/packet_network.hpp"

namespace aifabric::api {

void PacketNetwork::start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                   std::uint64_t token) {
  const std::uint32_t flow = sim_.add_flow({src, dst, bytes, sim_.now()});
  if (flow >= flow_token_.size()) flow_token_.resize(flow + 1, kNoToken);
  flow_token_[flow] = token;
}

void PacketNetwork::set_timer(core::TimePs at, std::uint64_t token) {
  std::uint32_t id;
  if (!free_timers_.empty()) {
    id = free_timers_.back();
    free_timers_.pop_back();
    timer_token_[id] = token;
  } else {
    id = static_cast<std::uint32_t>(timer_token_.size());
    timer_token_.push_back(token);
  }
  sim_.set_timer(at, id);
}

void PacketNetwork::run(workload::BackendSink& sink) {
  sink_ = &sink;
  sim_.set_listener(this);
  sim_.run();
  sim_.set_listener(nullptr);
  sink_ = nullptr;
}

void PacketNetwork::flow_done(std::uint32_t flow) {
  // Background flows (checkpoints, traffic generators) were not started here: nobody waits for them.
  if (flow < flow_token_.size() && flow_token_[flow] != kNoToken) sink_->transfer_done(flow_token_[flow]);
}

void PacketNetwork::timer(std::uint32_t id) {
  const std::uint64_t token = timer_token_[id];
  free_timers_.push_back(id);
  sink_->timer(token);
}

}  // namespace aifabric::api
