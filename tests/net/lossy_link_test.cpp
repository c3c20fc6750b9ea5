// A link that corrupts frames (LinkParams::ber, docs/models/faults.md): the receiver counts and drops
// them, the transport resends them, and nothing else changes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "api/run.hpp"
#include "core/error.hpp"
#include "io/scenario_loader.hpp"

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

const net::PortReport& port(const api::Result& r, const std::string& name) {
  for (const auto& p : r.ports)
    if (p.name == name) return p;
  throw std::runtime_error("no port " + name);
}

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
  EXPECT_GT(f.finish_ps, clean.flows.at(0).finish_ps);
  EXPECT_EQ(port(clean, "b1->swA").counters.fcs_errors, 0u);
  EXPECT_EQ(clean.flows.at(0).retransmitted_packets, 0u);
  // The same seed draws the same losses.
  const auto again = api::run(io::load_scenario_text(lossy(ber), "lossy.yaml"));
  EXPECT_EQ(again.flows.at(0).finish_ps, f.finish_ps);
  EXPECT_EQ(port(again, "b1->swA").counters.fcs_errors, port(r, "b1->swA").counters.fcs_errors);
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
