// A link that corrupts frames (LinkParams::ber, docs/models/faults.md): the receiver counts and drops
// them, the transport resends them, and nothing else changes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "api/run.hpp"
#include "core/error.hpp"
#include "io/scenario_loader.hpp"
#include "support/scenario.hpp"

namespace aifabric {
namespace {

// One 40 MB RoCE flow a1 -> swA -> b1 over 400 Gbit/s links; the swA-b1 link has bit error rate `ber`.
std::string lossy(double ber, const char* fidelity = "packet") {
  return fmt::format(R"(fidelity: {}
fabric: {{kind: roce}}
topology:
  kind: explicit
  link: {{rate_gbps: 400, latency_ns: 1000, mtu_bytes: 4096}}
  nodes:
    - {{name: a1, kind: host}}
    - {{name: b1, kind: host}}
    - {{name: swA, kind: switch}}
  links:
    - {{a: a1, b: swA}}
    - {{a: swA, b: b1, ber: {}}}
traffic:
  - kind: flows
    flows: [{{src: a1, dst: b1, size_bytes: 40000000}}]
)",
                     fidelity, ber);
}

using testing::port;

TEST(LossyLink, CorruptedFramesAreCountedAtTheReceiverAndResent) {
  // A 4178-byte frame (4096 payload, 62 header, 20 preamble and gap) is 33,424 bits on the wire; a bit
  // error rate of -ln(1 - 1e-3) / 33,424 = 2.9932e-8 corrupts each with probability q = 1e-3. Of the n
  // data frames swA sends to b1, b1 drops a binomial(n, q) number: within 5 standard deviations of nq
  // (sqrt(nq(1 - q)), about 3.2 for n near 10,000). Each loss is resent (go-back-N: the lost frame and
  // those behind it), so the flow completes, later than without loss, with every byte delivered once.
  const double q = 1e-3;
  const double ber = -std::log1p(-q) / (4178.0 * 8);
  const auto clean = api::run(io::load_scenario_text(lossy(0), "lossy.yaml"));
  const auto r = api::run(io::load_scenario_text(lossy(ber), "lossy.yaml"));
  ASSERT_EQ(r.flows_completed, 1u);
  const auto& f = r.flows.at(0);
  EXPECT_EQ(f.delivered_bytes, 40'000'000u);
  const double n = static_cast<double>(port(r, "swA->b1").counters.tx_packets);
  const double errors = static_cast<double>(port(r, "b1->swA").counters.fcs_errors);
  EXPECT_NEAR(errors, n * q, 5 * std::sqrt(n * q * (1 - q)) + 1) << n << " frames";
  EXPECT_GT(errors, 0.0);
  EXPECT_GE(static_cast<double>(f.retransmitted_packets), errors);
  EXPECT_EQ(port(r, "swA->b1").counters.fcs_errors, 0u) << "swA receives only acknowledgements";
  EXPECT_EQ(r.drops, 0u) << "no queue dropped anything";
  // The ledger keeps corrupted bytes apart from queue drops: full 4096-byte payloads but for the last.
  EXPECT_EQ(r.ledger.dropped, 0u);
  EXPECT_LE(static_cast<double>(r.ledger.corrupted), errors * 4096);
  EXPECT_GE(static_cast<double>(r.ledger.corrupted), (errors - 1) * 4096 + 1);
  EXPECT_GT(f.finish_ps, clean.flows.at(0).finish_ps);
  EXPECT_EQ(port(clean, "b1->swA").counters.fcs_errors, 0u);
  EXPECT_EQ(clean.flows.at(0).retransmitted_packets, 0u);
  // The same seed draws the same losses.
  const auto again = api::run(io::load_scenario_text(lossy(ber), "lossy.yaml"));
  EXPECT_EQ(again.flows.at(0).finish_ps, f.finish_ps);
  EXPECT_EQ(port(again, "b1->swA").counters.fcs_errors, port(r, "b1->swA").counters.fcs_errors);
}

// One 400 MB RoCE flow between two sites `km` apart over one 400 Gbit/s circuit corrupting a fraction q of
// its frames: the run's result.
api::Result across_sites(double km, double q) {
  const double ber = q > 0 ? -std::log1p(-q) / (4178.0 * 8) : 0;
  return api::run(io::load_scenario_text(fmt::format(R"(fabric: {{kind: roce}}
topology:
  kind: sites
  link: {{rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}
  sites:
    - {{name: east, fabric: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: 8}}, border: {{buffer_bytes: 4000000000}}}}
    - {{name: west, fabric: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: 8}}, border: {{buffer_bytes: 4000000000}}}}
  inter_site_links: [{{a: east, b: west, distance_km: {}, circuits: 1, ber: {}}}]
cluster: {{gpu: h100, gpus_per_server: 4}}
traffic:
  - kind: flows
    flows: [{{src: 0, dst: 8, size_bytes: 400000000}}]
)",
                                                     km, ber),
                                         "wan.yaml"));
}

TEST(LossyLink, GoBackNOverAWanLinkResendsARoundTripOfFramesPerLoss) {
  // A RoCE sender runs at line rate without a window; after a loss the receiver's NACK reaches it one
  // round trip after the lost frame left, and it goes back: every frame sent in that round trip again.
  // 80 km: one-way 80 x 5 us + 0.5 us (the circuit) + 4 x 0.5 us (host, leaf, border links) = 402.5 us,
  // so each rewind resends W = RTT / t_frame = 805 us / 83.56 ns = 9,634 frames (t_frame: 4178 bytes at
  // 400 Gbit/s), within 2% (the NACK's own serialization, the frames in the switches). A loss inside a
  // window already being resent costs nothing more (the receiver NACKs once until the missing frame
  // comes), so the resent frames are a whole number of windows, between 1 and the number of losses. The
  // flow takes its lossless time plus the resent frames at line rate, within 0.5%: at 80 km a frame loss
  // rate of 1e-4 makes a 400 MB transfer about 50% longer.
  const double frame_ns = 4178.0 * 8 / 400;
  const double window = 2 * 402'500 / frame_ns;
  const auto clean = across_sites(80, 0);
  for (const double q : {3e-5, 1e-4}) {
    const auto r = across_sites(80, q);
    ASSERT_EQ(r.flows_completed, 1u);
    std::uint64_t losses = 0;
    for (const auto& p : r.ports) losses += p.counters.fcs_errors;
    const auto& f = r.flows.at(0);
    const double windows = static_cast<double>(f.retransmitted_packets) / window;
    const double rewinds = std::round(windows);
    EXPECT_GE(rewinds, 1.0) << q;
    EXPECT_LE(rewinds, static_cast<double>(losses)) << q;
    EXPECT_NEAR(windows, rewinds, 0.02 * rewinds) << q;
    const double added_ns = core::ps_to_us(f.finish_ps - clean.flows.at(0).finish_ps) * 1e3;
    EXPECT_NEAR(added_ns / (static_cast<double>(f.retransmitted_packets) * frame_ns), 1.0, 0.005) << q;
    std::printf(
        "80 km, frame loss %g: %llu losses, %.0f rewinds of %.0f frames, FCT %.0f us (lossless %.0f us)\n", q,
        static_cast<unsigned long long>(losses), rewinds, window, f.fct_us(), clean.flows.at(0).fct_us());
  }
}

TEST(LossyLink, ALinkDegradedFaultWithABerIsTheSameLossyLink) {
  // The fault sets the link's ber; the loss stream is named by the link's ends, so the run is the one with
  // the ber written on the link.
  const double ber = 3e-8;
  auto faulted = lossy(0);
  faulted += "faults: [{kind: link_degraded, a: swA, b: b1, ber: 3e-8}]\n";
  const auto a = api::run(io::load_scenario_text(faulted, "lossy.yaml"));
  const auto b = api::run(io::load_scenario_text(lossy(ber), "lossy.yaml"));
  EXPECT_GT(port(a, "b1->swA").counters.fcs_errors, 0u);
  EXPECT_EQ(port(a, "b1->swA").counters.fcs_errors, port(b, "b1->swA").counters.fcs_errors);
  EXPECT_EQ(a.flows.at(0).finish_ps, b.flows.at(0).finish_ps);
}

TEST(LossyLink, TheFlowLevelRefusesALossyLink) {
  try {
    api::run(io::load_scenario_text(lossy(1e-9, "flow"), "lossy.yaml"));
    FAIL() << "expected an InputError";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("only the packet level models"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("swA-b1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace aifabric
