#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "core/time.hpp"

namespace aifabric::flow {

// Fluid flows over shared links with max-min fair rates (docs/models/flow.md): progressive filling, the
// way SimGrid's lmm solves it. When a flow starts or ends, only the flows connected to it through shared
// links (its component) are re-solved; every other flow keeps its rate and its completion timer.
class MaxMinFluid {
 public:
  // `set_timer(at, key)` must later call on_timer(key) at time `at`. Keys use the low 56 bits.
  MaxMinFluid(std::vector<double> capacity_bytes_per_ps,
              std::function<void(core::TimePs, std::uint64_t)> set_timer);

  // Starts moving `bytes` over the links of `path` (indices into the capacities).
  void start(core::TimePs now, std::vector<std::uint32_t> path, double bytes, std::uint64_t user);
  // Returns true and sets `user` when the timer completes a flow.
  bool on_timer(core::TimePs now, std::uint64_t key, std::uint64_t& user);

  std::size_t active() const { return active_; }
  double rate(std::uint64_t user) const;  // current rate of the live flow with this user tag (tests)
  double carried_bytes(std::uint32_t link) const { return carried_[link]; }
  std::size_t flows_on(std::uint32_t link) const { return on_link_[link].size(); }

 private:
  struct Flow {
    std::vector<std::uint32_t> path;
    double remaining = 0;
    double rate = 0;
    core::TimePs since = 0;
    std::uint32_t generation = 0;
    bool live = false;
    bool frozen = false;
    std::uint64_t user = 0;
  };
  void settle(core::TimePs now, Flow& f, std::uint32_t id);
  void solve(core::TimePs now, const std::vector<std::uint32_t>& seed_links);

  std::vector<double> capacity_;
  std::function<void(core::TimePs, std::uint64_t)> set_timer_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> free_;
  std::vector<std::vector<std::uint32_t>> on_link_;  // live flows per link
  std::vector<double> carried_;                      // bytes moved per link so far
  // Scratch for solve(), kept to avoid allocating per change.
  std::vector<std::uint32_t> link_mark_, flow_mark_;
  std::uint32_t epoch_ = 0;
  std::size_t active_ = 0;
};

}  // namespace aifabric::flow
