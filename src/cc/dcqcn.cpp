#include "cc/dcqcn.hpp"

#include <algorithm>
#include <cmath>

namespace aifabric::cc {

void DcqcnReactionPoint::reset(double line_rate_bps, const DcqcnParams& p, core::TimePs now) {
  line_ = rc_ = rt_ = line_rate_bps;
  alpha_ = p.initial_alpha;
  alpha_time_ = now;
  deadline_ = kNever;
  bytes_ = 0;
  timer_stage_ = byte_stage_ = 0;
}

void DcqcnReactionPoint::on_cnp(const DcqcnParams& p, core::TimePs now) {
  // Alpha decayed by (1-g) once per K without a CNP since the last update (closed form of the K timer).
  const auto periods = (now - alpha_time_) / p.alpha_period_ps;
  if (periods > 0) alpha_ *= std::pow(1.0 - p.g, static_cast<double>(periods));
  alpha_time_ = now;
  // Without clamping, back-to-back cuts keep the target of the rate before the first of them, so fast
  // recovery heads back there (NVIDIA firmware default, clamp_tgt_rate = 0); clamping resets it every cut.
  if (p.clamp_target_rate || timer_stage_ + byte_stage_ > 0) rt_ = rc_;
  rc_ = std::max(p.min_rate_bps, rc_ * (1.0 - alpha_ / 2.0));
  alpha_ = (1.0 - p.g) * alpha_ + p.g;
  timer_stage_ = byte_stage_ = 0;
  bytes_ = 0;
  deadline_ = now + p.rate_timer_ps;
}

bool DcqcnReactionPoint::on_bytes_sent(const DcqcnParams& p, std::uint64_t bytes) {
  if (rc_ >= line_) return false;
  bytes_ += bytes;
  bool changed = false;
  while (bytes_ >= p.byte_counter_bytes && rc_ < line_) {
    bytes_ -= p.byte_counter_bytes;
    ++byte_stage_;
    increase(p);
    changed = true;
  }
  return changed;
}

bool DcqcnReactionPoint::on_timer(const DcqcnParams& p, core::TimePs now) {
  if (now < deadline_ || deadline_ == kNever) return false;
  ++timer_stage_;
  increase(p);
  deadline_ = rc_ >= line_ ? kNever : now + p.rate_timer_ps;
  return true;
}

void DcqcnReactionPoint::increase(const DcqcnParams& p) {
  const std::uint32_t hi = std::max(timer_stage_, byte_stage_);
  const std::uint32_t lo = std::min(timer_stage_, byte_stage_);
  if (hi <= p.fast_recovery_stages) {
    // Fast recovery (until the timer or the byte counter has counted F increase events since the cut):
    // move halfway back to the target.
  } else if (lo > p.fast_recovery_stages) {
    rt_ += static_cast<double>(lo - p.fast_recovery_stages) * p.rate_hai_bps;
  } else {
    rt_ += p.rate_ai_bps;
  }
  rt_ = std::min(rt_, line_);
  rc_ = std::min(line_, (rt_ + rc_) / 2.0);
  // Within half a bit per second of line rate is line rate: stop the timer instead of creeping forever.
  if (line_ - rc_ < 0.5) rc_ = line_;
  if (rc_ >= line_) deadline_ = kNever;
}

}  // namespace aifabric::cc
