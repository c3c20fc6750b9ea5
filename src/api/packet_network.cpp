#include "api/packet_network.hpp"

namespace aifabric::api {

void PacketNetwork::start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                   std::uint64_t token) {
  const std::uint32_t flow = sim_.add_flow({src, dst, bytes, sim_.now(), net::transfer_entropy_key(token)});
  if (flow >= flow_token_.size()) flow_token_.resize(flow + 1, kNoToken);
  flow_token_[flow] = token;
}

void PacketNetwork::set_timer(core::TimePs at, std::uint64_t token) {
  sim_.set_timer(at, timers_.put(token));
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
  sink_->timer(timers_.take(id));
}

}  // namespace aifabric::api
