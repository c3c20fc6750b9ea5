#include "flow/fluid_network.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace aifabric::flow {

FluidNetwork::FluidNetwork(std::vector<double> capacity)
    : fluid_(std::move(capacity),
             [this](core::TimePs at, std::uint64_t key) { queue_.schedule(at, slots_.put(key), kFluid); }) {}

void FluidNetwork::start_fluid(std::vector<std::uint32_t> path, std::uint64_t bytes, core::TimePs delay,
                               std::uint64_t token) {
  const std::uint32_t slot = started_.put(token);
  if (slot >= delay_.size()) delay_.resize(slot + 1);
  delay_[slot] = delay;
  fluid_.start(queue_.now(), std::move(path), static_cast<double>(bytes), slot);
}

void FluidNetwork::set_timer(core::TimePs at, std::uint64_t token) {
  queue_.schedule(at, slots_.put(token), kExternal);
}

void FluidNetwork::run(backend::BackendSink& sink) {
  fluid_.flush(queue_.now());
  while (!queue_.empty()) {
    const core::Event e = queue_.pop();
    ++events_;
    switch (e.kind) {
      case kExternal:
        sink.timer(slots_.take(e.target));
        break;
      case kFluid: {
        std::uint64_t user = 0;
        if (fluid_.on_timer(queue_.now(), slots_.take(e.target), user)) {
          const auto slot = static_cast<std::uint32_t>(user);
          queue_.schedule(queue_.now() + delay_[slot], slot, kArrival);
        }
        break;
      }
      case kArrival:
        sink.transfer_done(started_.take(e.target));
        break;
      default:
        AIFABRIC_ASSERT(false, "unknown fluid-network event");
    }
    // Everything that happens at this instant is in: solve the rates once for all of it.
    if (queue_.empty() || queue_.next_time() != queue_.now()) fluid_.flush(queue_.now());
    if (events_ % kProgressEvents == 0 && progress_) progress_(queue_.now(), events_);
  }
}

}  // namespace aifabric::flow
