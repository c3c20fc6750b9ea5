// Links that go down and come back during a run (docs/models/faults.md, Timed faults): the packets the
// link holds are lost, the switches at its ends prune it at once, the others route around it only once
// the routing converges, and the transport recovers what was lost.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/run.hpp"
#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"
#include "ops/diagnose.hpp"
#include "ops/mitigate.hpp"
#include "routing/routing.hpp"
#include "support/scenario.hpp"
#include "telemetry/export.hpp"

namespace aifabric {
namespace {

// Hosts a1 .. a<senders> below leaf swA send `size_bytes` each to b1 below leaf swB, over two spines
// (sp1, sp2) of 400 Gbit/s, 1 us links. `head` holds the fabric and telemetry sections, `tail` the
// faults; `switch_buffer` overrides the switches' buffer (bytes) when not 0.
std::string spines(int senders, std::uint64_t size_bytes, const std::string& head, const std::string& tail,
                   std::uint64_t switch_buffer = 0) {
  std::string nodes, links, flows;
  for (int i = 1; i <= senders; ++i) {
    nodes += fmt::format("    - {{name: a{}, kind: host}}\n", i);
    links += fmt::format("    - {{a: a{}, b: swA}}\n", i);
    flows += fmt::format("      - {{src: a{}, dst: b1, size_bytes: {}}}\n", i, size_bytes);
  }
  return fmt::format(R"({}topology:
  kind: explicit
  link: {{rate_gbps: 400, latency_ns: 1000, mtu_bytes: 4096}}
{}  nodes:
{}    - {{name: b1, kind: host}}
    - {{name: swA, kind: switch}}
    - {{name: swB, kind: switch}}
    - {{name: sp1, kind: switch}}
    - {{name: sp2, kind: switch}}
  links:
{}    - {{a: b1, b: swB}}
    - {{a: swA, b: sp1}}
    - {{a: swA, b: sp2}}
    - {{a: swB, b: sp1}}
    - {{a: swB, b: sp2}}
traffic:
  - kind: flows
    flows:
{}{})",
                     head,
                     switch_buffer > 0 ? fmt::format("  switch: {{buffer_bytes: {}}}\n", switch_buffer) : "",
                     nodes, links, flows, tail);
}

// One 40 MB flow a1 -> b1 on that fabric, routing converging in 50 us: alone, it takes 820.27 us.
// `faults` is the scenario's fault list (none when empty).
std::string two_spines(const std::string& faults) {
  return spines(1, 40'000'000,
                "fabric: {kind: roce, routing_convergence_us: 50}\ntelemetry: {check_interval_us: 10}\n",
                faults.empty() ? "" : "faults: [" + faults + "]\n");
}

// The link swA-sp1 down three times for 25 us every 200 us from 100 us, under two_spines's flow, every
// port's counters sampled every 10 us.
std::string flapping_sampled() {
  return spines(
      1, 40'000'000,
      "fabric: {kind: roce, routing_convergence_us: 50}\n"
      "telemetry: {check_interval_us: 10, sample_interval_us: 10, counters: true}\n",
      "faults: [{kind: link_flap, a: swA, b: sp1, at_us: 100, down_us: 25, period_us: 200, count: 3}]\n");
}

using testing::port;
using testing::run;

// The spine that carries the flow's data in the run without faults (the ECMP hash of its 5-tuple).
std::string data_spine(const api::Result& clean) {
  return port(clean, "swA->sp1").counters.tx_data_bytes > 0 ? "sp1" : "sp2";
}

// One hop of a full frame: 1 us of fiber and 4178 bytes at 400 Gbit/s.
constexpr double kHopUs = 1.0 + 4178.0 * 8 / 400e3;
constexpr double kFrameUs = 4178.0 * 8 / 400e3;

void expect_conserved(const api::Result& r) {
  EXPECT_EQ(r.invariants.violations, 0u) << r.invariants.first_violation;
  EXPECT_TRUE(r.ledger.balanced());
  EXPECT_EQ(r.drops, 0u) << "no queue overflowed: what was lost, the links lost";
  ASSERT_EQ(r.flows_completed, 1u);
  EXPECT_EQ(r.flows.at(0).delivered_bytes, 40'000'000u);
}

TEST(TimedFaults, ARemoteFailureBlackHolesTrafficUntilTheRoutingConverges) {
  // The spine-to-swB link of the flow's path goes down at 200 us. The spine cannot reach swB any other
  // way, so what it receives for b1 is dropped; swA, which does not see the failure, keeps sending
  // through that spine until the routing converges (c = 50 us) and then uses the other one. The first
  // rerouted frame reaches b1 out of order and b1's NACK (back over the other spine: swB prunes its own
  // dead port at once) makes a1 go back to the first lost frame L. The flow is then its clean run
  // delayed by the time from L's first send to its resend: c, plus up to 3 hops that L had travelled
  // before the failure, plus the rerouted frame's 3 hops to b1, the NACK's 4 back, and up to a hop
  // while the frame at swA's port drains: between c + 6 and c + 12 hops (a hop is 1.0836 us).
  const auto clean = run(two_spines(""));
  const std::string sp = data_spine(clean);
  const auto r = run(two_spines(fmt::format("{{kind: link_down, a: {}, b: swB, at_us: 200}}", sp)));
  expect_conserved(r);
  const double added = core::ps_to_us(r.flows.at(0).finish_ps - clean.flows.at(0).finish_ps);
  EXPECT_GE(added, 50 + 6 * kHopUs);
  EXPECT_LE(added, 50 + 12 * kHopUs);
  // The black hole takes every frame swA sent its way for c, one per 83.56 ns (about 598), and the
  // few on the wire or queued past swA when the link failed.
  const auto& hole = port(r, sp + "->swB").counters;
  EXPECT_GE(static_cast<double>(hole.link_down_drops), 50 / kFrameUs);
  EXPECT_LE(static_cast<double>(hole.link_down_drops), 50 / kFrameUs + 3 * kHopUs / kFrameUs + 2);
  EXPECT_EQ(hole.link_downs, 1u);
  EXPECT_EQ(port(r, "swB->" + sp).counters.link_downs, 1u);
  EXPECT_GT(r.ledger.link_down, 0u);
  EXPECT_DOUBLE_EQ(core::ps_to_us(clean.flows.at(0).finish_ps), 820.26692);
}

TEST(TimedFaults, ANackLostInTheBlackHoleCostsAWholeRetransmissionTimeout) {
  // Now swA's own link to the spine fails. swA moves the data to the other spine at once, so b1 sees a
  // gap and sends its one NACK (RoCE's receiver sends one per gap) - but the acknowledgements come back
  // from swB through that spine (the reverse 5-tuple hashes onto it), and the spine has lost its only
  // way to swA: the NACK and every acknowledgement after it fall into the black hole until the routing
  // converges. Then b1 stays silent (it waits for the missing frame) and a1, with nothing acknowledged,
  // resends only when its timeout (1 ms) expires: the flow ends an RTO after its clean time, plus the
  // few hops L had travelled and the timeout's start (the last acknowledgement, a few hops before the
  // failure): between RTO and RTO + 12 hops.
  const auto clean = run(two_spines(""));
  const std::string sp = data_spine(clean);
  ASSERT_GT(port(clean, "swB->" + sp).counters.tx_bytes, 0u) << "the acknowledgements share the spine";
  const auto r = run(two_spines(fmt::format("{{kind: link_down, a: swA, b: {}, at_us: 200}}", sp)));
  expect_conserved(r);
  const double added = core::ps_to_us(r.flows.at(0).finish_ps - clean.flows.at(0).finish_ps);
  EXPECT_GE(added, 1000.0);
  EXPECT_LE(added, 1000.0 + 12 * kHopUs);
  EXPECT_GT(port(r, sp + "->swA").counters.link_down_drops, 0u) << "the black-holed acknowledgements";
}

TEST(TimedFaults, AHostLinkDownAndBackDelaysTheFlowByItsOutage) {
  // a1's own link is down from 200 to 300 us: a1 cannot send, and the frames on the wire are lost.
  // When the link returns a1 goes on with its next frame; it reaches b1 out of order (4 hops) and b1's
  // NACK (4 hops) rewinds a1 to the first lost frame, which had left up to a hop before the failure
  // (less the frame or so a1 sends at once when the link returns): the flow ends 100 us plus 7 to 10
  // hops after its clean time.
  const auto clean = run(two_spines(""));
  const auto r = run(two_spines("{kind: link_down, a: a1, b: swA, at_us: 200, up_at_us: 300}"));
  expect_conserved(r);
  const double added = core::ps_to_us(r.flows.at(0).finish_ps - clean.flows.at(0).finish_ps);
  EXPECT_GE(added, 100 + 7 * kHopUs);
  EXPECT_LE(added, 100 + 10 * kHopUs);
  EXPECT_EQ(port(r, "a1->swA").counters.link_downs, 1u);
}

TEST(TimedFaults, AFlappingLinkIsCountedAndSampledAndTheRunRepeats) {
  // Three downs of 25 us every 200 us from 100 us: each port of the link counts three downs, and the
  // counter samples (every 10 us) show the link down at the three samples inside each outage (100, 110
  // and 120 us for the first: the link event at 100 us was scheduled before that sample) and up
  // elsewhere.
  const std::string sampled = flapping_sampled();
  const auto r = run(sampled);
  expect_conserved(r);
  EXPECT_EQ(port(r, "swA->sp1").counters.link_downs, 3u);
  EXPECT_EQ(port(r, "sp1->swA").counters.link_downs, 3u);
  std::uint32_t swa_sp1 = 0;
  while (r.ports[swa_sp1].name != "swA->sp1") ++swa_sp1;
  std::size_t down_samples = 0;
  for (const auto& s : r.port_samples) {
    if (s.port != swa_sp1) continue;
    const double t = core::ps_to_us(s.time_ps);
    bool inside = false;
    for (int k = 0; k < 3; ++k) inside = inside || (t >= 100 + 200 * k && t < 125 + 200 * k);
    EXPECT_EQ(s.up, !inside) << "at " << t << " us";
    down_samples += inside ? 1 : 0;
    const std::uint64_t downs_so_far = t < 100 ? 0 : t < 300 ? 1 : t < 500 ? 2 : 3;
    EXPECT_EQ(s.link_downs, downs_so_far) << "at " << t << " us";
  }
  EXPECT_EQ(down_samples, 9u);
  const auto again = run(sampled);
  EXPECT_EQ(again.flows.at(0).finish_ps, r.flows.at(0).finish_ps);
  EXPECT_EQ(again.stats.events, r.stats.events);
  EXPECT_EQ(again.stats.fingerprint, r.stats.fingerprint);
}

TEST(TimedFaults, TheWatchdogWaitsForTheRoutingToConverge) {
  // With the default convergence (100 ms) the flow's data falls into the black hole from 200 us until
  // 100.2 ms: nothing is delivered for 100 ms, ten times the deadlock watchdog's 10 ms, but the run
  // is not a deadlock while a convergence is pending. Once the routes avoid the dead link, a1's next
  // timeout (every 1 ms) resends from the first lost frame and the remaining 620 us of data follow:
  // the flow ends between 100.2 ms + 0.62 ms and 1 ms later.
  const auto clean = run(two_spines(""));
  const std::string sp = data_spine(clean);
  const auto r = run(spines(1, 40'000'000, "fabric: {kind: roce}\n",
                            fmt::format("faults: [{{kind: link_down, a: {}, b: swB, at_us: 200}}]\n", sp)));
  EXPECT_FALSE(r.stats.stalled);
  ASSERT_EQ(r.flows_completed, 1u);
  const double finish_ms = core::ps_to_us(r.flows.at(0).finish_ps) / 1e3;
  EXPECT_GE(finish_ms, 100.2 + 0.62);
  EXPECT_LE(finish_ms, 100.2 + 1.0 + 0.63);
}

TEST(TimedFaults, OneOutageTwoFaultsIsOneDown) {
  // Two faults hold the same link down back to back (200-300 us, then 300-400 us): at 300 us one comes
  // up as the other goes down, in either order in the list, so the link stays down - one down, counted
  // once, and the same run both ways.
  const std::string a = "{kind: link_down, a: swA, b: sp2, at_us: 200, up_at_us: 300}";
  const std::string b = "{kind: link_down, a: swA, b: sp2, at_us: 300, up_at_us: 400}";
  const auto ab = run(two_spines(a + ", " + b));
  const auto ba = run(two_spines(b + ", " + a));
  EXPECT_EQ(port(ab, "swA->sp2").counters.link_downs, 1u);
  EXPECT_EQ(port(ba, "sp2->swA").counters.link_downs, 1u);
  EXPECT_EQ(ab.stats.fingerprint, ba.stats.fingerprint);
  expect_conserved(ab);
}

TEST(TimedFaults, DiagnoseFindsTheFlapAndTheTwinVerifiesDrainingIt) {
  // The twin's own telemetry of the flapping link (three downs of 25 us every 200 us, sampled every
  // 10 us) read back by the detectors: one link_flap finding at that link, three downs, the first seen
  // at 100 us and the last at 500 us, each down seen at three samples (30 us). The
  // flaps cost the flow about a retransmission timeout (its acknowledgements fall into the black hole,
  // as above); draining the link (down for the whole run, routes converged) gives the flow the other
  // spine at full speed, so the verified mitigation recovers all of the cost.
  const std::string sampled = flapping_sampled();
  const auto sc = io::load_scenario_text(sampled, "timed.yaml");
  const auto r = api::run(sc);
  const auto d = ops::diagnose(telemetry::from_run(sc, r));
  // (The one flow on one of swA's two uplinks is also an ECMP imbalance, minor, as without the flaps.)
  ASSERT_GE(d.findings.size(), 1u) << ops::diagnosis_text(d);
  for (const auto& other : d.findings) EXPECT_NE(other.kind, "link_down") << ops::diagnosis_text(d);
  const auto& f = d.findings[0];
  EXPECT_EQ(f.kind, "link_flap");
  EXPECT_EQ(f.location, "link sp1-swA");
  EXPECT_EQ(f.downs, 3u);
  EXPECT_NEAR(f.first_seen_s, 100e-6, 1e-12);
  EXPECT_NEAR(f.last_down_s, 500e-6, 1e-12);
  EXPECT_NEAR(f.down_s, 30e-6, 1e-12);
  const auto report =
      ops::verify_mitigations(io::read_yaml(two_spines(""), "timed.yaml"), "timed.yaml", d, 1);
  ASSERT_GE(report.recommended, 0) << ops::mitigation_text(report);
  const auto& best = report.candidates[static_cast<std::size_t>(report.recommended)];
  EXPECT_EQ(best.action, "drain link sp1-swA");
  EXPECT_GT(report.observed_cost, report.baseline_cost + 500) << "p99 FCT, us: about an RTO lost";
  EXPECT_NEAR(best.recovered, 1.0, 0.01) << ops::mitigation_text(report);
}

TEST(TimedFaults, InfinibandCreditsAndPfcPausesRestartWithTheLink) {
  // Flow control across a link that goes down and up: InfiniBand's credits start again from what the
  // receiver's buffer has free, PFC's pauses are re-asserted by an ingress still above XOFF. Four
  // senders behind swA incast on b1 (the pauses are busy), a spine link flaps; the invariant checks
  // (credits within [0, granted], buffers, byte conservation) hold and every flow completes.
  for (const char* kind : {"infiniband", "roce"}) {
    const std::string yaml = spines(
        4, 4'000'000,
        fmt::format("fabric: {{kind: {}, routing_convergence_us: 20}}\ntelemetry: {{check_interval_us: 5}}\n",
                    kind),
        "faults:\n"
        "  - {kind: link_flap, a: swB, b: sp1, at_us: 40, down_us: 15, period_us: 60, count: 4}\n"
        "  - {kind: link_flap, a: swA, b: sp2, at_us: 70, down_us: 10, period_us: 50, count: 3}\n",
        2'000'000);
    const auto r = run(yaml);
    EXPECT_EQ(r.invariants.violations, 0u) << kind << ": " << r.invariants.first_violation;
    EXPECT_GT(r.invariants.checks, 10u) << kind;
    EXPECT_TRUE(r.ledger.balanced()) << kind;
    EXPECT_EQ(r.drops, 0u) << kind << ": lossless";
    EXPECT_EQ(r.flows_completed, 4u) << kind;
    EXPECT_GT(r.ledger.link_down, 0u) << kind;
    EXPECT_EQ(port(r, "swB->sp1").counters.link_downs, 4u) << kind;
  }
}

TEST(TimedFaults, TheFlowLevelRefusesThem) {
  // A link failing during the run is a packet-level event: the flow level says so, naming the faults.
  auto sc = io::load_scenario_text(two_spines("{kind: link_down, a: sp1, b: swB, at_us: 200}"), "timed.yaml");
  sc.fidelity = api::NetworkModel::kFlow;
  try {
    api::run(sc);
    FAIL() << "a timed fault ran at flow level";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("faults: a link, switch or NIC that fails during the run"),
              std::string::npos)
        << e.what();
  }
}

TEST(TimedFaults, RoutingWithoutALinkKeepsThePortNumbers) {
  // The tables a state of the timed faults routes by: the same ports, the link left out of the search.
  const auto sc = io::load_scenario_text(two_spines(""), "timed.yaml");
  const auto& t = sc.topology;
  auto node = [&](const char* name) {
    std::uint32_t i = 0;
    while (t.nodes[i].name != name) ++i;
    return i;
  };
  auto link = [&](const char* a, const char* b) {
    for (std::uint32_t i = 0; i < t.links.size(); ++i)
      if (t.nodes[t.links[i].a].name == a && t.nodes[t.links[i].b].name == b) return i;
    throw std::runtime_error("no link");
  };
  const routing::Routing all(t);
  std::vector<bool> excluded(t.links.size(), false);
  excluded[link("swB", "sp1")] = true;
  const routing::Routing without(t, routing::Routing::Method::kAuto, excluded);
  for (std::uint32_t h = 0; h < t.hosts.size(); ++h) EXPECT_EQ(without.host_port(h), all.host_port(h));
  // swA reaches b1 through both spines, then through sp2 only.
  EXPECT_EQ(all.next_hops(node("swA"), 1).size(), 2u);
  const auto hops = without.next_hops(node("swA"), 1);
  ASSERT_EQ(hops.size(), 1u);
  EXPECT_EQ(hops[0], 2 * link("swA", "sp2"));
  // sp1, cut off from swB, has a longer way left: back down to swA (what a packet caught there takes).
  const auto back = without.next_hops(node("sp1"), 1);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], 2 * link("swA", "sp1") + 1);
  // A host's own link left out: it keeps its port (nothing routes around a host).
  std::vector<bool> host_down(t.links.size(), false);
  host_down[link("a1", "swA")] = true;
  const routing::Routing no_a1(t, routing::Routing::Method::kAuto, host_down);
  EXPECT_EQ(no_a1.host_port(0), all.host_port(0));
}

}  // namespace
}  // namespace aifabric
