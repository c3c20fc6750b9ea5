#include "net/packet_network.hpp"

#include "core/error.hpp"

namespace aifabric::net {

void PacketNetwork::start_transfer(std::uint32_t src, std::uint32_t dst, std::uint64_t bytes,
                                   std::uint64_t token) {
  const std::uint32_t flow =
      sim_.add_flow({src, dst, bytes, sim_.now(), routing::transfer_entropy_key(token)});
  if (flow >= flow_token_.size()) flow_token_.resize(flow + 1, kNoToken);
  flow_token_[flow] = token;
}

void PacketNetwork::start_group(std::span<const backend::HostPair> members, std::uint64_t bytes,
                                std::uint32_t rounds, std::uint64_t token) {
  AIFABRIC_ASSERT(rounds == 1, "the packet model runs collectives step by step");
  const std::uint32_t g = groups_.put(token);
  if (g >= group_left_.size()) group_left_.resize(g + 1);
  group_left_[g] = static_cast<std::uint32_t>(members.size());
  for (std::uint32_t j = 0; j < members.size(); ++j) {
    const std::uint32_t flow = sim_.add_flow(
        {members[j].first, members[j].second, bytes, sim_.now(), routing::group_entropy_key(token, j)});
    if (flow >= flow_token_.size()) flow_token_.resize(flow + 1, kNoToken);
    flow_token_[flow] = kGroupBit | g;
  }
}

void PacketNetwork::set_timer(core::TimePs at, std::uint64_t token) {
  sim_.set_timer(at, timers_.put(token));
}

void PacketNetwork::run(backend::BackendSink& sink) {
  sink_ = &sink;
  sim_.set_listener(this);
  sim_.run();
  sim_.set_listener(nullptr);
  sink_ = nullptr;
}

void PacketNetwork::flow_done(std::uint32_t flow) {
  // Background flows (checkpoints, traffic generators) were not started here: nobody waits for them.
  if (flow >= flow_token_.size() || flow_token_[flow] == kNoToken) return;
  const std::uint64_t t = flow_token_[flow];
  if ((t & kGroupBit) == 0) {
    sink_->transfer_done(t);
  } else if (--group_left_[t & ~kGroupBit] == 0) {
    sink_->transfer_done(groups_.take(static_cast<std::uint32_t>(t & ~kGroupBit)));
  }
}

void PacketNetwork::timer(std::uint32_t id) {
  sink_->timer(timers_.take(id));
}

}  // namespace aifabric::net
