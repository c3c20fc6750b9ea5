#include "cc/dcqcn.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace aifabric::cc {
namespace {

DcqcnParams params() {
  DcqcnParams p;
  p.g = 1.0 / 256;
  p.alpha_period_ps = 55'000'000;
  p.rate_timer_ps = 55'000'000;
  p.byte_counter_bytes = 10'000'000;
  p.fast_recovery_stages = 5;
  p.rate_ai_bps = 40e6;
  p.rate_hai_bps = 200e6;
  p.min_rate_bps = 100e6;
  p.initial_alpha = 1.0;
  p.cnp_interval_ps = 50'000'000;
  return p;
}

TEST(Dcqcn, FirstCnpHalvesTheRateAndRaisesAlpha) {
  DcqcnReactionPoint rp;
  const auto p = params();
  rp.reset(100e9, p, 0);
  rp.on_cnp(p, 0);
  // Rc = 100G x (1 - 1/2) = 50G; alpha = (1 - g) x 1 + g = 1; the rate timer starts.
  EXPECT_DOUBLE_EQ(rp.rate_bps(), 50e9);
  EXPECT_DOUBLE_EQ(rp.target_bps(), 100e9);
  EXPECT_DOUBLE_EQ(rp.alpha(), 1.0);
  EXPECT_EQ(rp.timer_deadline(), 55'000'000);
}

TEST(Dcqcn, AlphaDecaysOncePerQuietPeriod) {
  DcqcnReactionPoint rp;
  const auto p = params();
  rp.reset(100e9, p, 0);
  rp.on_cnp(p, 0);
  // Three whole K periods (and a bit) without a CNP: alpha = (1-g)^3 before the second cut, which then
  // multiplies the rate by 1 - alpha/2 and sets alpha = (1-g) alpha + g.
  const double decayed = std::pow(1.0 - p.g, 3);
  const double rate_before = rp.rate_bps();
  rp.on_cnp(p, 3 * p.alpha_period_ps + 1000);
  EXPECT_NEAR(rp.rate_bps(), rate_before * (1.0 - decayed / 2.0), 1.0);
  EXPECT_NEAR(rp.alpha(), (1.0 - p.g) * decayed + p.g, 1e-12);
}

TEST(Dcqcn, RecoversThroughFastRecoveryThenAdditiveIncrease) {
  DcqcnReactionPoint rp;
  const auto p = params();
  rp.reset(100e9, p, 0);
  rp.on_cnp(p, 0);
  // Fast recovery: F = 5 timer events each halve the distance to the 100G target: 100 - 50 / 2^i.
  core::TimePs t = 0;
  for (int i = 1; i <= 5; ++i) {
    t += p.rate_timer_ps;
    ASSERT_TRUE(rp.on_timer(p, t));
    EXPECT_NEAR(rp.rate_bps(), 100e9 - 50e9 / std::pow(2.0, i), 1.0) << "stage " << i;
  }
  // Then additive increase: the target (already 100G, the cap) stays and the rate keeps halving the gap.
  // The rate converges to line rate; the timer stops there.
  for (int i = 0; i < 60 && !rp.at_line_rate(); ++i) {
    t += p.rate_timer_ps;
    rp.on_timer(p, t);
  }
  EXPECT_TRUE(rp.at_line_rate());
  EXPECT_EQ(rp.timer_deadline(), kNever);
}

TEST(Dcqcn, ClampedTargetFollowsEveryCut) {
  auto p = params();
  DcqcnReactionPoint free_rp, clamped_rp;
  free_rp.reset(100e9, p, 0);
  free_rp.on_cnp(p, 0);
  free_rp.on_cnp(p, 1000);
  // Unclamped: two back-to-back cuts keep the target of the rate before the first (100G).
  EXPECT_DOUBLE_EQ(free_rp.target_bps(), 100e9);
  p.clamp_target_rate = true;
  clamped_rp.reset(100e9, p, 0);
  clamped_rp.on_cnp(p, 0);
  clamped_rp.on_cnp(p, 1000);
  EXPECT_DOUBLE_EQ(clamped_rp.target_bps(), 50e9);
}

TEST(Dcqcn, RateNeverFallsBelowTheMinimum) {
  DcqcnReactionPoint rp;
  const auto p = params();
  rp.reset(100e9, p, 0);
  for (int i = 0; i < 100; ++i) rp.on_cnp(p, i * 1000);
  EXPECT_DOUBLE_EQ(rp.rate_bps(), p.min_rate_bps);
}

}  // namespace
}  // namespace aifabric::cc
