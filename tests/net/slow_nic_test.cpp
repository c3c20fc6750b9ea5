// A NIC that drains what it receives below its line rate (docs/models/faults.md, Slow receivers): the
// frames wait in its receive buffer, and the fabric holds its switch port back (RoCE: the NIC's XOFF;
// InfiniBand: the credits it returns only as it drains), so the flow runs at the NIC's rate, nothing is
// lost, and the pause or the withheld credits reach the switch.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/run.hpp"
#include "io/scenario_loader.hpp"
#include "support/scenario.hpp"

namespace aifabric {
namespace {

// One 8 MB flow a1 -> b1 through one switch, 100 Gbit/s links of 1 us, senders at line rate (no
// congestion control, so the only thing slowing the flow is the fault). `fabric` is the fabric's kind
// and any more of its keys, `faults` the fault list.
std::string one_switch(const std::string& fabric, const std::string& faults) {
  return fmt::format(R"(fabric: {{kind: {}, congestion_control: none}}
telemetry: {{check_interval_us: 10}}
topology:
  kind: explicit
  link: {{rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}
  nodes: [{{name: a1, kind: host}}, {{name: b1, kind: host}}, {{name: sw, kind: switch}}]
  links: [{{a: a1, b: sw}}, {{a: b1, b: sw}}]
traffic:
  - kind: flows
    flows: [{{src: a1, dst: b1, size_bytes: 8000000}}]
faults: [{}]
)",
                     fabric, faults);
}

using testing::port;
using testing::run;

TEST(SlowNic, TheFlowRunsAtTheNicsRateAndNothingIsLost) {
  // b1 drains at 25 Gbit/s from the start: the flow's bottleneck is 25 Gbit/s of wire bytes, as if
  // b1's link ran at 25 Gbit/s, so its completion time matches that run within 2% (the slow NIC's
  // buffer adds one frame's drain at the end; the slow link one frame's serialization at each end).
  // At line rate it is 4 times faster (within 2%: the 1 us hops are under 0.5% of it).
  for (const char* kind : {"roce", "infiniband"}) {
    const auto slow = run(one_switch(kind, "{kind: nic_slow, node: b1, rate_gbps: 25}"));
    const auto link = run(one_switch(kind, "{kind: link_degraded, a: b1, b: sw, rate_gbps: 25}"));
    const auto fast = run(one_switch(kind, ""));
    ASSERT_EQ(slow.flows.size(), 1u);
    ASSERT_TRUE(slow.flows[0].completed()) << kind;
    const double t = slow.flows[0].fct_us(), t_link = link.flows[0].fct_us(), t_fast = fast.flows[0].fct_us();
    EXPECT_NEAR(t / t_link, 1.0, 0.02) << kind << ": " << t << " us against " << t_link << " us";
    EXPECT_NEAR(t / t_fast, 4.0, 0.08) << kind << ": " << t << " us against " << t_fast << " us";
    EXPECT_EQ(slow.flows[0].retransmitted_packets, 0u) << kind << ": lossless";
    EXPECT_EQ(slow.ledger.dropped, 0u) << kind;
    EXPECT_TRUE(slow.ledger.balanced()) << kind;
    EXPECT_EQ(slow.flows[0].delivered_bytes, 8'000'000u) << kind;
    EXPECT_EQ(slow.invariants.violations, 0u) << kind << ": " << slow.invariants.first_violation;
    EXPECT_GT(slow.invariants.checks, 10u) << kind;
  }
}

TEST(SlowNic, RoceHoldsTheSwitchPortWithPauses) {
  // The NIC's buffer reaches the fabric's xoff_bytes and it sends XOFF; draining to xon_bytes, XON. The
  // switch port towards it is paused for most of the run: at 25 of 100 Gbit/s it may send a quarter of
  // the time, so paused time is at least half the flow's time.
  const auto r = run(one_switch("roce", "{kind: nic_slow, node: b1, rate_gbps: 25}"));
  const auto& nic = port(r, "b1->sw").counters;
  const auto& sw = port(r, "sw->b1").counters;
  EXPECT_GT(nic.pause_sent, 10u);
  EXPECT_EQ(sw.pause_received, nic.pause_sent);
  EXPECT_GT(static_cast<double>(sw.paused_ps),
            0.5 * static_cast<double>(r.flows[0].finish_ps - r.flows[0].start_ps));
  // Nothing else pauses it: at line rate, no pause at all.
  const auto fast = run(one_switch("roce", ""));
  EXPECT_EQ(port(fast, "b1->sw").counters.pause_sent, 0u);
}

TEST(SlowNic, ItsPausesComeAndGoSoThePfcWatchdogLeavesIt) {
  // Draining at 25 Gbit/s the NIC pauses its port for a few microseconds at a time (XOFF at xoff_bytes,
  // XON two frames lower): never 50 us without a break, so the switches' PFC watchdog finds no storm and
  // drops nothing (docs/models/pfc.md, PFC watchdog).
  const auto r =
      run(one_switch("roce, pfc: {watchdog_detection_us: 50}", "{kind: nic_slow, node: b1, rate_gbps: 25}"));
  ASSERT_TRUE(r.flows[0].completed());
  EXPECT_GT(port(r, "sw->b1").counters.pause_received, 10u);
  EXPECT_EQ(port(r, "sw->b1").counters.pfc_wd_storms, 0u);
  EXPECT_EQ(port(r, "sw->b1").counters.pfc_wd_drops, 0u);
}

TEST(SlowNic, FromAGivenTime) {
  // b1 slows to 25 Gbit/s at 200 us. Before, the flow moves at its line-rate pace r (payload bytes per
  // us, from the run without the fault); after, at r / 4. Expected completion: 200 us + (8 MB - 200 r)
  // / (r / 4); within 2% (the switch's queue and the NIC's buffer filling at the change).
  const auto fast = run(one_switch("roce", ""));
  const double r = 8e6 / fast.flows[0].fct_us();
  const double expected = 200 + (8e6 - 200 * r) / (r / 4);
  const auto slow = run(one_switch("roce", "{kind: nic_slow, gpu: 1, rate_gbps: 25, at_us: 200}"));
  EXPECT_NEAR(slow.flows[0].fct_us() / expected, 1.0, 0.02)
      << slow.flows[0].fct_us() << " us against " << expected;
}

TEST(SlowNic, ItsLinkGoingDownAndUpKeepsFlowControlWhole) {
  // b1's link fails at 300 us and comes back at 400 us while its slow NIC's buffer holds frames. What was
  // on the link is lost and resent; the frames in the buffer are still drained. InfiniBand: the switch
  // port's credits restart from what the NIC's buffer leaves free (never above the grant); RoCE: the NIC
  // pauses the port again at once while its buffer is full. The invariant checks (credits within
  // [0, grant], the NIC's buffer within the grant, bytes conserved) hold throughout, and the flow
  // completes.
  for (const char* kind : {"roce", "infiniband"}) {
    const auto r = run(one_switch(kind,
                                  "{kind: nic_slow, node: b1, rate_gbps: 25}, "
                                  "{kind: nic_down, node: b1, at_us: 300, up_at_us: 400}"));
    ASSERT_TRUE(r.flows[0].completed()) << kind;
    EXPECT_EQ(r.flows[0].delivered_bytes, 8'000'000u) << kind;
    EXPECT_GT(r.flows[0].retransmitted_packets, 0u) << kind << ": what the link held was resent";
    EXPECT_EQ(r.invariants.violations, 0u) << kind << ": " << r.invariants.first_violation;
    EXPECT_TRUE(r.ledger.balanced()) << kind;
  }
}

TEST(SlowNic, TheSameScenarioGivesTheSameRun) {
  const std::string yaml = one_switch("roce", "{kind: nic_slow, node: b1, rate_gbps: 40, at_us: 50}");
  const auto a = run(yaml), b = run(yaml);
  EXPECT_EQ(a.flows[0].finish_ps, b.flows[0].finish_ps);
  EXPECT_EQ(a.stats.fingerprint, b.stats.fingerprint);
  EXPECT_EQ(a.stats.events, b.stats.events);
  EXPECT_EQ(port(a, "sw->b1").counters.paused_ps, port(b, "sw->b1").counters.paused_ps);
}

TEST(SlowNic, TheFlowLevelRefusesIt) {
  auto sc =
      io::load_scenario_text(one_switch("roce", "{kind: nic_slow, node: b1, rate_gbps: 25}"), "slow.yaml");
  sc.fidelity = api::NetworkModel::kFlow;
  try {
    api::run(sc);
    FAIL() << "a slow NIC ran at flow level";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("faults: a nic_slow exists at packet level only"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace aifabric
