#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "backend/network_backend.hpp"
#include "backend/token_slots.hpp"
#include "core/event_queue.hpp"
#include "core/time.hpp"
#include "flow/max_min.hpp"

namespace aifabric::flow {

// What the fluid backends share: one clock for the caller's timers and a flow::MaxMinFluid over some
// links; a transfer (or group) is one fluid flow, done a fixed delay after its last byte leaves. The
// rates are solved once per instant, after every event at that time.
class FluidNetwork : public backend::NetworkBackend {
 public:
  explicit FluidNetwork(std::vector<double> link_payload_bytes_per_ps);
  core::TimePs now() const override { return queue_.now(); }
  void set_timer(core::TimePs at, std::uint64_t token) override;
  void run(backend::BackendSink& sink) override;
  std::uint64_t events() const { return events_; }
  // Called every kProgressEvents events with the simulated time and the events so far.
  void set_progress(std::function<void(core::TimePs, std::uint64_t)> progress) {
    progress_ = std::move(progress);
  }
  static constexpr std::uint64_t kProgressEvents = std::uint64_t{1} << 16;

 protected:
  // Moves `bytes` over the links of `path`; the caller's `token` is done `delay` after the last byte left.
  void start_fluid(std::vector<std::uint32_t> path, std::uint64_t bytes, core::TimePs delay,
                   std::uint64_t token);
  const flow::MaxMinFluid& fluid() const { return fluid_; }

 private:
  enum Kind : std::uint32_t { kExternal, kFluid, kArrival };

  core::EventQueue queue_;
  backend::TokenSlots slots_;  // timers: the caller's tokens and the fluid model's keys
  flow::MaxMinFluid fluid_;
  backend::TokenSlots started_;      // the caller's token of each transfer in flight
  std::vector<core::TimePs> delay_;  // by slot of started_: from last byte out to done
  std::uint64_t events_ = 0;
  std::function<void(core::TimePs, std::uint64_t)> progress_;
};

}  // namespace aifabric::flow
