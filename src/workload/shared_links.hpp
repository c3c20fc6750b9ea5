#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "core/time.hpp"

namespace aifabric::workload {

// Fluid model of transfers between endpoints that each have an egress and an ingress capacity (a GPU's
// NVLink ports into the NVSwitch, or a host's NIC on a non-blocking network). A transfer's rate is
// min(egress / transfers leaving its source, ingress / transfers entering its destination): equal shares per
// endpoint, which is the max-min fair allocation for the symmetric patterns collectives produce
// (docs/models/collectives.md). Rates change only when a transfer starts or ends, and only for transfers
// sharing an endpoint with it.
class SharedLinks {
 public:
  // `set_timer(at, key)` must later call on_timer(key) at time `at`. Keys use the low 56 bits only, so the
  // caller may keep its own tag in the top byte.
  SharedLinks(std::vector<double> egress_bytes_per_ps, std::vector<double> ingress_bytes_per_ps,
              std::function<void(core::TimePs, std::uint64_t)> set_timer);

  // Starts a transfer; `user` is returned by on_timer when it completes.
  void start(core::TimePs now, std::uint32_t src, std::uint32_t dst, double bytes, std::uint64_t user);
  // Handles a timer set through set_timer. Returns true and sets `user` when a transfer completed.
  bool on_timer(core::TimePs now, std::uint64_t key, std::uint64_t& user);
  std::size_t active() const { return active_; }
  static constexpr std::uint32_t kGenerationMask = 0xffffff;

 private:
  struct Transfer {
    std::uint32_t src, dst;
    double remaining;
    double rate = 0;  // bytes per ps
    core::TimePs since = 0;
    std::uint32_t generation = 0;
    bool live = false;
    std::uint64_t user = 0;
  };
  void reschedule(core::TimePs now, std::uint32_t t);
  void refresh_endpoint(core::TimePs now, std::uint32_t src, std::uint32_t dst);

  std::vector<double> egress_, ingress_;
  std::function<void(core::TimePs, std::uint64_t)> set_timer_;
  std::vector<Transfer> transfers_;
  std::vector<std::uint32_t> free_;
  std::vector<std::vector<std::uint32_t>> out_, in_;  // live transfers per endpoint
  std::size_t active_ = 0;
};

}  // namespace aifabric::workload
