// The switches' PFC watchdog (docs/models/pfc.md, PFC watchdog): a port paused without a break for the
// detection time with packets queued is in a storm; what waits behind the pause, and what is routed to the
// port after, is dropped, and its pauses ignored, until no XOFF has arrived for the restoration time. The
// pause stops spreading, so the flows that were only its victims go on.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/run.hpp"
#include "io/scenario_loader.hpp"
#include "support/scenario.hpp"

namespace aifabric {
namespace {

// a1 and a2 below switch swA, b1 and c1 below swB, one 100 Gbit/s link swA-swB, 1 us links. From 150 us
// a1 sends 1 MB to b1 and a2 sends 4 MB to c1; b1's NIC storms from 100 us (`storm` gives its end). The
// storm holds swB->b1; a1's packets fill swB's ingress from swA, which pauses swA->swB, and a2's flow to
// c1, which shares that link and its one lossless class, waits behind them: the victim.
std::string two_switches(const std::string& pfc, const std::string& storm) {
  return fmt::format(R"(fabric: {{kind: roce, congestion_control: none, pfc: {{{}}}}}
telemetry: {{check_interval_us: 10}}
stop_time_us: 3000
topology:
  kind: explicit
  link: {{rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}
  nodes: [{{name: a1, kind: host}}, {{name: a2, kind: host}}, {{name: b1, kind: host}}, {{name: c1, kind: host}},
          {{name: swA, kind: switch}}, {{name: swB, kind: switch}}]
  links: [{{a: a1, b: swA}}, {{a: a2, b: swA}}, {{a: b1, b: swB}}, {{a: c1, b: swB}}, {{a: swA, b: swB}}]
traffic:
  - kind: flows
    flows:
      - {{src: a1, dst: b1, size_bytes: 1000000, start_us: 150}}
      - {{src: a2, dst: c1, size_bytes: 4000000, start_us: 150}}
faults: [{{kind: pfc_storm, node: b1, at_us: 100{}}}]
)",
                     pfc, storm);
}

using testing::port;
using testing::run;

TEST(PfcWatchdog, WithoutItTheStormsPauseStopsItsVictim) {
  const auto r = run(two_switches("", ""));
  ASSERT_EQ(r.flows.size(), 2u);
  EXPECT_FALSE(r.flows[0].completed());
  EXPECT_FALSE(r.flows[1].completed()) << "the victim behind the pause finished";
  EXPECT_GT(port(r, "swA->swB").counters.pause_received, 0u);
}

TEST(PfcWatchdog, ItDropsWhatTheStormHoldsAndTheVictimGoesOn) {
  // Detection 100 us: swB->b1 is paused from about 100 us; at 200 us it has been paused 100 us with a1's
  // packets queued (from about 150 us): a storm. Its queue is dropped, swB's ingress from swA drains and
  // sends XON, and a2's flow goes on. a1's packets still cross swA-swB (swB drops them), so the victim
  // shares that link with a1's 1 MB (245 frames, 1,020,090 wire bytes: 81.6 us at 100 Gbit/s). Its
  // completion is then at most its time alone (4 MB at 100 Gbit/s) + the 50 us it waited at most
  // (150 .. 200 us) + those 81.6 us, within 10 us.
  const auto alone = run(two_switches("watchdog_detection_us: 100", ", up_at_us: 101"));
  const auto r = run(two_switches("watchdog_detection_us: 100", ""));
  ASSERT_TRUE(r.flows[1].completed());
  const double ideal = core::ps_to_us(r.flows[1].ideal_ps);
  EXPECT_LE(r.flows[1].fct_us(), ideal + 50 + 81.6 + 10) << "ideal " << ideal << " us";
  const auto& k = port(r, "swB->b1").counters;
  EXPECT_EQ(k.pfc_wd_storms, 1u);
  EXPECT_GT(k.pfc_wd_drops, 0u);
  // The watchdog's drops are its own counter, not buffer drops (a lossless fabric drops nothing else).
  EXPECT_EQ(r.drops, 0u);
  EXPECT_EQ(r.invariants.violations, 0u) << r.invariants.first_violation;
  EXPECT_TRUE(r.ledger.balanced());
  for (const auto& p : r.ports) {
    if (p.name != "swB->b1") {
      EXPECT_EQ(p.counters.pfc_wd_storms, 0u) << p.name;
    }
  }
  // The storm never ends: the flow to b1 never completes (its packets are dropped at swB).
  EXPECT_FALSE(r.flows[0].completed());
  // A storm that ends at 101 us, before anything queues behind it, is not one for the watchdog.
  EXPECT_EQ(port(alone, "swB->b1").counters.pfc_wd_storms, 0u);
  EXPECT_TRUE(alone.flows[0].completed() && alone.flows[1].completed());
}

TEST(PfcWatchdog, ItRestoresThePortOnceThePausesStop) {
  // The storm ends at 600 us (XON). The NIC refreshed its XOFF every 167.8 us (half of 65535 x 512 bit
  // times at 100 Gbit/s), last at 100 + 2 x 167.8 = 435.5 us, at swB about 1 us later. Restoration
  // 300 us: no XOFF for 300 us at about 736.5 us, when the port stops dropping; a1's flow, whose packets
  // were dropped until then, recovers by go-back-N and completes after it.
  const auto r =
      run(two_switches("watchdog_detection_us: 100, watchdog_restoration_us: 300", ", up_at_us: 600"));
  ASSERT_TRUE(r.flows[0].completed()) << "the storming host's flow after restoration";
  ASSERT_TRUE(r.flows[1].completed());
  EXPECT_GT(core::ps_to_us(r.flows[0].finish_ps), 736.0);
  EXPECT_GT(r.flows[0].retransmitted_packets, 0u);
  EXPECT_EQ(port(r, "swB->b1").counters.pfc_wd_storms, 1u);
  EXPECT_EQ(r.invariants.violations, 0u) << r.invariants.first_violation;
}

}  // namespace
}  // namespace aifabric
