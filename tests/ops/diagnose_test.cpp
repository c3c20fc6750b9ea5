// The detectors on telemetry built by hand (each rule's threshold met and just missed), the roll-up of
// ports down into a switch, a host or a link, symptoms folded into their cause, and a slice of the
// labelled fault corpus scored against the issue's bars.
#include "ops/diagnose.hpp"

#include <gtest/gtest.h>

#include "ops/corpus.hpp"

namespace aifabric::ops {
namespace {

using telemetry::Dataset;
using telemetry::Series;

int m(const char* name) {
  return telemetry::metric_index(name);
}

// Ports of a two-leaf, two-spine fabric with two hosts per leaf, sampled at t = 0, 1, ..., n - 1 s: every
// port up at 100 Gbit/s and idle unless `edit` changes it.
struct Fabric {
  Dataset data;
  explicit Fabric(std::size_t n = 6) {
    std::vector<std::pair<std::string, std::string>> links = {
        {"h0", "leaf0"},     {"h1", "leaf0"},     {"h2", "leaf1"},     {"h3", "leaf1"},
        {"leaf0", "spine0"}, {"leaf0", "spine1"}, {"leaf1", "spine0"}, {"leaf1", "spine1"}};
    for (const auto& [a, b] : links)
      for (const auto& [f, t] : {std::pair{a, b}, std::pair{b, a}})
        for (const char* metric : {"aifabric_port_transmit_bytes_total", "aifabric_port_queue_bytes",
                                   "aifabric_port_ecn_marked_packets_total",
                                   "aifabric_port_speed_bytes_per_second", "aifabric_port_up"}) {
          Series s{m(metric), f + "->" + t, f, t, {}, {}};
          for (std::size_t i = 0; i < n; ++i) {
            s.t_s.push_back(double(i));
            const std::string name = metric;
            s.value.push_back(name == "aifabric_port_speed_bytes_per_second" ? 12.5e9
                              : name == "aifabric_port_up"                   ? 1
                                                                             : 0);
          }
          data.series.push_back(s);
        }
  }
  Series& at(const std::string& port, const char* metric) {
    for (auto& s : data.series)
      if (s.port == port && s.metric == m(metric)) return s;
    throw std::runtime_error("no series " + port);
  }
  // The port at `util` of its line rate from window `from` on, with `queue` bytes queued.
  void busy(const std::string& port, double util, double queue, std::size_t from = 1) {
    auto& tx = at(port, "aifabric_port_transmit_bytes_total");
    auto& q = at(port, "aifabric_port_queue_bytes");
    for (std::size_t i = 1; i < tx.value.size(); ++i) {
      tx.value[i] = tx.value[i - 1] + (i >= from ? util * 12.5e9 : 0);
      q.value[i] = i >= from ? queue : 0;
    }
  }
  void down(const std::string& port, std::size_t from = 0) {
    auto& up = at(port, "aifabric_port_up");
    for (std::size_t i = from; i < up.value.size(); ++i) up.value[i] = 0;
  }
};

TEST(Diagnose, AHealthyFabricHasNoFinding) {
  Fabric f;
  f.busy("leaf0->spine0", 0.5, 0);
  f.busy("leaf0->spine1", 0.5, 0);
  const auto d = diagnose(f.data);
  EXPECT_TRUE(d.findings.empty()) << diagnosis_text(d);
  EXPECT_EQ(d.ports, 16u);
  EXPECT_DOUBLE_EQ(d.window_s, 1.0);
}

TEST(Diagnose, PortsDownRollUpToASwitchAHostOrALink) {
  Fabric f;
  for (const char* p : {"spine1->leaf0", "spine1->leaf1", "leaf0->spine1", "leaf1->spine1"}) f.down(p, 2);
  f.down("h2->leaf1");
  f.down("leaf1->h2");
  f.down("leaf0->spine0", 3);
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 3u) << diagnosis_text(d);
  EXPECT_EQ(d.findings[0].kind, "nic_down");
  EXPECT_EQ(d.findings[0].location, "host h2");
  EXPECT_EQ(d.findings[0].first_seen_s, 0);
  EXPECT_EQ(d.findings[1].kind, "switch_down");
  EXPECT_EQ(d.findings[1].location, "switch spine1");
  EXPECT_EQ(d.findings[1].first_seen_s, 2);
  EXPECT_EQ(d.findings[2].kind, "link_down");
  EXPECT_EQ(d.findings[2].location, "link leaf0-spine0");
  EXPECT_EQ(d.findings[2].first_seen_s, 3);
}

TEST(Diagnose, ALinkThatGoesDownTwiceIsFlappingNotDown) {
  Fabric f(8);
  // leaf0->spine1 is seen down at t = 2 and t = 5 (up between and after); its down counter rises by 2.
  // Two downs meet rules.flap_downs: one link_flap finding, first seen at 2 s, last down at 5 s, each
  // down seen at one sample (1 s).
  auto& up = f.at("leaf0->spine1", "aifabric_port_up");
  up.value[2] = up.value[5] = 0;
  Series downs{m("aifabric_port_link_down_events_total"), "leaf0->spine1", "leaf0", "spine1", {}, {}};
  for (std::size_t i = 0; i < 8; ++i) {
    downs.t_s.push_back(double(i));
    downs.value.push_back(i < 2 ? 0 : i < 5 ? 1 : 2);
  }
  f.data.series.push_back(downs);
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  const auto& flap = d.findings[0];
  EXPECT_EQ(flap.kind, "link_flap");
  EXPECT_EQ(flap.location, "link leaf0-spine1");
  EXPECT_EQ(flap.downs, 2u);
  EXPECT_EQ(flap.first_seen_s, 2);
  EXPECT_EQ(flap.detected_s, 5) << "the rule needs the second down";
  EXPECT_EQ(flap.last_down_s, 5);
  EXPECT_DOUBLE_EQ(flap.down_s, 1.0);
  EXPECT_EQ(flap.severity, "major");
  // Downs too short for any sample to see still count through the counter.
  up.value[2] = up.value[5] = 1;
  const auto unseen = diagnose(f.data);
  ASSERT_EQ(unseen.findings.size(), 1u) << diagnosis_text(unseen);
  EXPECT_EQ(unseen.findings[0].kind, "link_flap");
  EXPECT_EQ(unseen.findings[0].downs, 2u);
  EXPECT_DOUBLE_EQ(unseen.findings[0].down_s, 0.0);
  // One down and back: a link that went down once (reported down), not a flap.
  up.value[2] = 0;
  for (auto& v : f.data.series.back().value) v = std::min(v, 1.0);
  const auto once = diagnose(f.data);
  ASSERT_EQ(once.findings.size(), 1u) << diagnosis_text(once);
  EXPECT_EQ(once.findings[0].kind, "link_down");
}

TEST(Diagnose, ASwitchWhoseEveryPortFlapsWentDownAsAWhole) {
  // Every port of spine1 down at t = 2 and t = 5: a switch that rebooted twice, one switch_down finding
  // (first seen at 2 s), not four flapping links.
  Fabric f(8);
  for (const char* p : {"spine1->leaf0", "spine1->leaf1", "leaf0->spine1", "leaf1->spine1"}) {
    auto& up = f.at(p, "aifabric_port_up");
    up.value[2] = up.value[5] = 0;
  }
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  EXPECT_EQ(d.findings[0].kind, "switch_down");
  EXPECT_EQ(d.findings[0].location, "switch spine1");
  EXPECT_EQ(d.findings[0].first_seen_s, 2);
}

TEST(Diagnose, ALinkThatCorruptsFramesIsLossy) {
  // spine0 sends leaf1 1,000 frames of 4,096 bytes a second (5,000 over the run); leaf1 receives 2 of
  // them with a bad FCS at t = 2 and 1 more at t = 4. Frame error ratio 3 / 5,000 = 6e-4, above
  // CorrOpt's 1e-8; the bit error rate that gives it on 4,096-byte frames is -ln(1 - 6e-4) / 32,768
  // = 1.8316e-8. First seen at 2 s; the rule (2 errors) fires there too.
  Fabric f;
  Series packets{m("aifabric_port_transmit_packets_total"), "spine0->leaf1", "spine0", "leaf1", {}, {}};
  Series fcs{m("aifabric_port_fcs_errors_total"), "leaf1->spine0", "leaf1", "spine0", {}, {}};
  auto& bytes = f.at("spine0->leaf1", "aifabric_port_transmit_bytes_total");
  for (std::size_t i = 0; i < 6; ++i) {
    packets.t_s.push_back(double(i));
    packets.value.push_back(1000.0 * double(i));
    bytes.value[i] = 4096.0 * 1000.0 * double(i);
    fcs.t_s.push_back(double(i));
    fcs.value.push_back(i < 2 ? 0 : i < 4 ? 2 : 3);
  }
  f.data.series.push_back(packets);
  f.data.series.push_back(fcs);
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  const auto& lossy = d.findings[0];
  EXPECT_EQ(lossy.kind, "lossy_link");
  EXPECT_EQ(lossy.location, "link leaf1-spine0");
  EXPECT_EQ(lossy.first_seen_s, 2);
  EXPECT_EQ(lossy.detected_s, 2);
  EXPECT_DOUBLE_EQ(lossy.frame_error_ratio, 6e-4);
  EXPECT_NEAR(lossy.ber, 1.8316e-8, 1e-12);
  EXPECT_EQ(lossy.severity, "major");
  // A single corrupted frame is a one-off, not a lossy link (rules.lossy_min_errors = 2).
  auto& counted = f.at("leaf1->spine0", "aifabric_port_fcs_errors_total");
  for (auto& v : counted.value) v = std::min(v, 1.0);
  EXPECT_TRUE(diagnose(f.data).findings.empty());
  // Two errors in 5e9 frames is a ratio of 4e-10, below 1e-8: a healthy link's background.
  for (std::size_t i = 0; i < 6; ++i) {
    counted.value[i] = i < 2 ? 0 : 2;
    f.at("spine0->leaf1", "aifabric_port_transmit_packets_total").value[i] = 1e9 * double(i);
  }
  EXPECT_TRUE(diagnose(f.data).findings.empty()) << diagnosis_text(diagnose(f.data));
}

TEST(Diagnose, ALinkBelowItsGroupsSpeed) {
  Fabric f;
  // 98% of the group's speed is below the 99% rule; 99.5% is not.
  for (auto* s : {&f.at("leaf1->spine0", "aifabric_port_speed_bytes_per_second"),
                  &f.at("spine0->leaf1", "aifabric_port_speed_bytes_per_second")})
    for (auto& v : s->value) v = 0.98 * 12.5e9;
  for (auto& v : f.at("leaf0->spine1", "aifabric_port_speed_bytes_per_second").value) v = 0.995 * 12.5e9;
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  EXPECT_EQ(d.findings[0].kind, "link_degraded");
  EXPECT_EQ(d.findings[0].location, "link leaf1-spine0");
}

TEST(Diagnose, CongestionNeedsThreeBusyQueuedWindows) {
  Fabric f;
  f.busy("leaf1->h3", 0.95, 200000, 3);  // windows 3, 4, 5: three in a row
  f.busy("leaf0->h0", 0.95, 200000, 4);  // two: below the rule
  f.busy("leaf1->spine0", 0.95, 50000);  // busy, but a queue below 100 kB and no marks
  f.busy("leaf1->spine1", 0.95, 50000);
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  EXPECT_EQ(d.findings[0].kind, "incast");
  EXPECT_EQ(d.findings[0].location, "port leaf1->h3");
  EXPECT_EQ(d.findings[0].first_seen_s, 2);  // the first window runs from t = 2 to 3
  EXPECT_EQ(d.findings[0].detected_s, 5);    // fired at the end of the third
}

TEST(Diagnose, CongestionAFaultOrAnIncastExplainsIsFoldedIntoIt) {
  Fabric f;
  f.down("leaf0->spine1");
  f.down("spine1->leaf0");
  f.busy("leaf0->spine0", 0.99, 300000);     // the surviving sibling carries the failed link's traffic
  f.busy("leaf1->h2", 0.99, 300000);         // an incast ...
  f.busy("spine0->leaf1", 0.99, 300000, 2);  // ... and congestion towards it, starting later
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 2u) << diagnosis_text(d);
  EXPECT_EQ(d.findings[0].kind, "link_down");
  EXPECT_NE(d.findings[0].evidence.find("congestion it explains: port leaf0->spine0"), std::string::npos);
  EXPECT_EQ(d.findings[1].kind, "incast");
  EXPECT_NE(d.findings[1].evidence.find("congestion it explains: port spine0->leaf1"), std::string::npos);
}

TEST(Diagnose, APfcStormIsRootedAtTheNicThatPauses) {
  Fabric f(8);
  // From t = 2 on, leaf1->h3 is paused all the time with packets queued and nothing sent (XOFF received,
  // no XON); from t = 4 its leaf keeps spine0->leaf1 paused too. 99% of a window is the rule; the third
  // window in a row fires it.
  for (const char* metric :
       {"aifabric_port_pfc_paused_seconds_total", "aifabric_port_pfc_pause_received_total"})
    for (const char* port : {"leaf1->h3", "spine0->leaf1"}) {
      Series s{m(metric),
               port,
               std::string(port).substr(0, 5) == "leaf1" ? "leaf1" : "spine0",
               std::string(port).substr(0, 5) == "leaf1" ? "h3" : "leaf1",
               {},
               {}};
      const std::size_t from = std::string(port) == "leaf1->h3" ? 2 : 4;
      for (std::size_t i = 0; i < 8; ++i) {
        s.t_s.push_back(double(i));
        const bool seconds = std::string(metric) == "aifabric_port_pfc_paused_seconds_total";
        s.value.push_back(i <= from ? 0.0 : seconds ? double(i - from) : 1.0);
      }
      f.data.series.push_back(s);
    }
  for (auto& v : f.at("leaf1->h3", "aifabric_port_queue_bytes").value) v = 50000;
  for (auto& v : f.at("spine0->leaf1", "aifabric_port_queue_bytes").value) v = 50000;
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  EXPECT_EQ(d.findings[0].kind, "pfc_storm");
  EXPECT_EQ(d.findings[0].location, "host h3");
  EXPECT_EQ(d.findings[0].first_seen_s, 2);
  EXPECT_EQ(d.findings[0].detected_s, 5);
  EXPECT_NE(d.findings[0].evidence.find("the pause spread to spine0->leaf1 from 4 s"), std::string::npos)
      << d.findings[0].evidence;
  // At 98% paused the rule does not fire.
  for (auto& s : f.data.series)
    if (s.metric == m("aifabric_port_pfc_paused_seconds_total"))
      for (auto& v : s.value) v *= 0.98;
  EXPECT_TRUE(diagnose(f.data).findings.empty()) << diagnosis_text(diagnose(f.data));
}

TEST(Diagnose, ASlowNicPausesItsPortWhileItStillSends) {
  // From t = 2 on h3's NIC drains at 25 Gbit/s: leaf1->h3 is paused 0.75 s of every 1 s window and sends
  // 25% of its 100 Gbit/s; from t = 3 the pause holds spine0->leaf1 (queued, nothing sent). Windows
  // (2,3], (3,4], (4,5] hold the rule: first seen at 2 s, fired at 5 s. The NIC's rate is what the port
  // sent over the whole stretch (2 .. 7 s): 25 Gbit/s. The held spine port is the pause spreading, in
  // the evidence, not a storm of its own.
  Fabric f(8);
  auto paused_series = [&](const std::string& port, const std::string& from, const std::string& to,
                           std::size_t start, double per_window) {
    for (const char* metric :
         {"aifabric_port_pfc_paused_seconds_total", "aifabric_port_pfc_pause_received_total"}) {
      Series s{m(metric), port, from, to, {}, {}};
      for (std::size_t i = 0; i < 8; ++i) {
        s.t_s.push_back(double(i));
        const bool seconds = std::string(metric) == "aifabric_port_pfc_paused_seconds_total";
        s.value.push_back(i <= start ? 0.0 : seconds ? per_window * double(i - start) : double(i - start));
      }
      f.data.series.push_back(s);
    }
  };
  paused_series("leaf1->h3", "leaf1", "h3", 2, 0.75);
  paused_series("spine0->leaf1", "spine0", "leaf1", 3, 1.0);
  f.busy("leaf1->h3", 0.25, 50000, 3);
  for (auto& v : f.at("spine0->leaf1", "aifabric_port_queue_bytes").value) v = 50000;
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  const auto& slow = d.findings[0];
  EXPECT_EQ(slow.kind, "nic_slow");
  EXPECT_EQ(slow.location, "host h3");
  EXPECT_EQ(slow.first_seen_s, 2);
  EXPECT_EQ(slow.detected_s, 5);
  EXPECT_DOUBLE_EQ(slow.rate_gbps, 25);
  EXPECT_EQ(slow.severity, "major");
  EXPECT_NE(slow.evidence.find("the pause spread to spine0->leaf1 from 3 s"), std::string::npos)
      << slow.evidence;
  // Paused under 10% of each window (rules.slow_nic_paused_fraction): a NIC keeping up, no finding of it
  // (the spine port alone is then a storm of its own).
  for (auto& s : f.data.series)
    if (s.port == "leaf1->h3" && s.metric == m("aifabric_port_pfc_paused_seconds_total"))
      for (auto& v : s.value) v *= 0.1;
  const auto fine = diagnose(f.data);
  ASSERT_EQ(fine.findings.size(), 1u) << diagnosis_text(fine);
  EXPECT_EQ(fine.findings[0].kind, "pfc_storm");
  EXPECT_EQ(fine.findings[0].location, "port spine0->leaf1");
}

TEST(Diagnose, EcmpImbalanceAmongAToRsUplinks) {
  Fabric f;
  // Mean (0.9 + 0.3) / 2 = 0.6; 0.9 / 0.6 = 1.5: at the rule. A spine's ports down are not a group.
  f.busy("leaf0->spine0", 0.9, 0);
  f.busy("leaf0->spine1", 0.3, 0);
  f.busy("spine0->leaf0", 0.9, 0);
  f.busy("spine0->leaf1", 0.1, 0);
  const auto d = diagnose(f.data);
  ASSERT_EQ(d.findings.size(), 1u) << diagnosis_text(d);
  EXPECT_EQ(d.findings[0].kind, "ecmp_imbalance");
  EXPECT_EQ(d.findings[0].location, "group leaf0->spine#");
}

TEST(Diagnose, ASliceOfTheFaultCorpusMeetsTheBars) {
  // 12 cases of each of the 10 classes and 12 healthy ones, packet by packet (the full corpus:
  // tools/fault_corpus, docs/models/diagnose.md).
  const auto cases = fault_corpus(12, 12);
  ASSERT_EQ(cases.size(), 132u);
  const auto s = evaluate(cases, 2);
  for (const auto& c : s.classes) {
    EXPECT_GE(c.precision(), 0.95) << c.kind;
    EXPECT_GE(c.recall(), 0.95) << c.kind;
    EXPECT_GE(c.localization(), 0.9) << c.kind;
  }
  EXPECT_GE(double(s.healthy_clean), 0.95 * double(s.healthy));
  // The slow, lossy and flapping switch links and the PFC storms whose fault costs something get a
  // verified mitigation that recovers 80% of it, and the prediction matches a fresh run of the real fault
  // with the mitigation within 5%.
  const auto scores = evaluate_mitigations(cases, 2);
  ASSERT_EQ(scores.size(), 4u);
  for (const auto& m : scores) {
    EXPECT_GT(m.costly, 0u) << m.kind;
    EXPECT_EQ(m.recommended, m.costly) << m.kind;
    EXPECT_EQ(m.recovered_80, m.recommended) << m.kind;
    EXPECT_LE(m.worst_prediction_error, 0.05) << m.kind;
  }
  const auto again = fault_corpus(12, 12);
  for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(cases[i].yaml, again[i].yaml) << "deterministic";
}

}  // namespace
}  // namespace aifabric::ops
