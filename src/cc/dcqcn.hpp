#pragma once
#include <cstdint>
#include <limits>

#include "core/time.hpp"

namespace aifabric::cc {

// DCQCN (Zhu et al., SIGCOMM 2015). The maths and the sources of the defaults are in docs/models/dcqcn.md;
// the defaults themselves are declared once, in io/scenario_loader.cpp.
struct DcqcnParams {
  double g = 0;                            // alpha gain
  core::TimePs alpha_period_ps = 0;        // K: alpha decays once per period without a CNP
  core::TimePs rate_timer_ps = 0;          // T: rate-increase timer
  std::uint64_t byte_counter_bytes = 0;    // B: rate-increase byte counter
  std::uint32_t fast_recovery_stages = 0;  // F
  double rate_ai_bps = 0;                  // additive increase step
  double rate_hai_bps = 0;                 // hyper increase step
  double min_rate_bps = 0;
  double initial_alpha = 1;
  core::TimePs cnp_interval_ps = 0;  // notification point: at most one CNP per flow per interval
  bool clamp_target_rate = false;    // target rate := current rate on every cut, not only the first
};

inline constexpr core::TimePs kNever = std::numeric_limits<core::TimePs>::max();

// Reaction point state of one flow (one QP). No timers of its own: the owner schedules one event at
// `timer_deadline()` and calls `on_timer`; alpha's decay is applied in closed form when a CNP arrives.
class DcqcnReactionPoint {
 public:
  void reset(double line_rate_bps, const DcqcnParams& p, core::TimePs now);
  double rate_bps() const { return rc_; }
  double target_bps() const { return rt_; }
  double alpha() const { return alpha_; }
  bool at_line_rate() const { return rc_ >= line_; }
  core::TimePs timer_deadline() const { return deadline_; }

  void on_cnp(const DcqcnParams& p, core::TimePs now);
  // Returns true when the rate changed.
  bool on_bytes_sent(const DcqcnParams& p, std::uint64_t bytes);
  // Call at `timer_deadline()`. Returns true when the rate changed.
  bool on_timer(const DcqcnParams& p, core::TimePs now);

 private:
  void increase(const DcqcnParams& p);

  double line_ = 0;
  double rc_ = 0;
  double rt_ = 0;
  double alpha_ = 1;
  core::TimePs alpha_time_ = 0;
  core::TimePs deadline_ = kNever;
  std::uint64_t bytes_ = 0;
  std::uint32_t timer_stage_ = 0;
  std::uint32_t byte_stage_ = 0;
};

}  // namespace aifabric::cc
