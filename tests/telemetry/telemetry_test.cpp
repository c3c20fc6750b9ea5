// Telemetry out and in: the run's counters as OpenMetrics and CSV follow the formats' rules, read back to
// the same samples and the same findings, other fabrics' names map onto aifabric's, and every kind of
// malformed file is an error naming its line or a data-quality note.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api/run.hpp"
#include "io/scenario_loader.hpp"
#include "ops/diagnose.hpp"
#include "telemetry/export.hpp"
#include "telemetry/ingest.hpp"

namespace aifabric::telemetry {
namespace {

// A leaf-spine with a link down, a slow link and a NIC down, under a permutation and an incast, its
// counters sampled every 20 us.
const char* kScenario = R"(
name: telemetry_test
fabric: {kind: roce}
topology: {kind: leaf_spine, leaves: 4, hosts_per_leaf: 4, spines: 2, link: {rate_gbps: 100}}
telemetry: {sample_interval_us: 20, counters: true}
traffic:
  - {kind: permutation, size_bytes: 2MB}
  - {kind: incast, senders: 8, size_bytes: 1MB, receiver: 3}
faults:
  - {kind: link_down, a: leaf0, b: spine1}
  - {kind: link_degraded, a: leaf2, b: spine0, rate_gbps: 40}
  - {kind: nic_down, gpu: 7}
)";

Dataset run_telemetry() {
  const auto sc = io::load_scenario_text(kScenario, "test.yaml");
  return from_run(sc, api::run(sc));
}

Dataset parse(const std::string& text, const std::string& name, Format f = Format::kAuto) {
  std::istringstream in(text);
  return read_telemetry(in, name, f, Mapping{});
}

std::string error_of(const std::string& text, const std::string& name, Format f = Format::kAuto) {
  try {
    parse(text, name, f);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Telemetry, RunCountersRoundTripThroughOpenMetricsAndCsv) {
  const Dataset d = run_telemetry();
  ASSERT_FALSE(d.series.empty());
  const Dataset om = parse(openmetrics_text(d), "metrics.om");
  const Dataset csv = parse(csv_text(d), "telemetry.csv");
  EXPECT_TRUE(om.quality.empty());
  EXPECT_EQ(om.samples(), d.samples());
  EXPECT_EQ(csv.samples(), d.samples());
  // Diagnosing the run directly and diagnosing either file give the same findings, byte for byte.
  const std::string direct = ops::diagnosis_json(ops::diagnose(d));
  EXPECT_EQ(ops::diagnosis_json(ops::diagnose(om)), direct);
  EXPECT_EQ(ops::diagnosis_json(ops::diagnose(csv)), direct);
  EXPECT_NE(direct.find("\"link_down\""), std::string::npos) << direct;
  EXPECT_NE(direct.find("\"link_degraded\""), std::string::npos) << direct;
  EXPECT_NE(direct.find("\"nic_down\""), std::string::npos) << direct;
  EXPECT_NE(direct.find("\"incast\""), std::string::npos) << direct;
}

TEST(Telemetry, OpenMetricsFollowsTheFormatRules) {
  const std::string text = openmetrics_text(run_telemetry());
  ASSERT_GE(text.size(), 6u);
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n") << "the exposition ends with # EOF";
  std::istringstream in(text);
  std::string line, family;
  std::set<std::string> families_seen;
  std::map<std::string, double> last_time;
  while (std::getline(in, line)) {
    if (line == "# EOF") break;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream w(line.substr(7));
      std::string type;
      w >> family >> type;
      EXPECT_TRUE(families_seen.insert(family).second) << "one uninterrupted group per family: " << family;
      EXPECT_EQ(family.rfind("aifabric_", 0), 0u) << family;
      EXPECT_TRUE(type == "counter" || type == "gauge") << line;
      continue;
    }
    if (line.rfind("# UNIT ", 0) == 0) {
      std::istringstream w(line.substr(7));
      std::string name, unit;
      w >> name >> unit;
      EXPECT_EQ(name, family) << "UNIT follows its TYPE";
      EXPECT_EQ(name.substr(name.size() - unit.size() - 1), "_" + unit) << "the unit is the name's suffix";
      continue;
    }
    if (line.rfind("# HELP ", 0) == 0) continue;
    ASSERT_NE(line[0], '#') << line;
    const std::string name = line.substr(0, line.find('{'));
    EXPECT_EQ(name.rfind(family, 0), 0u) << "a sample belongs to the family above it: " << line;
    const int m = metric_index(name);
    ASSERT_GE(m, 0) << name;
    if (port_metrics()[static_cast<std::size_t>(m)].kind == MetricKind::kCounter) {
      EXPECT_EQ(name.substr(name.size() - 6), "_total") << "counters are _total";
    }
    // Within a series, timestamps (seconds) never go back.
    const std::string series = line.substr(0, line.find('}') + 1);
    const double t = std::stod(line.substr(line.rfind(' ') + 1));
    if (last_time.count(series)) {
      EXPECT_GE(t, last_time[series]) << line;
    }
    last_time[series] = t;
  }
  EXPECT_EQ(families_seen.size(), port_metrics().size());
}

TEST(Telemetry, PrometheusTextTimestampsAreMilliseconds) {
  const Dataset d =
      parse("# TYPE aifabric_port_up gauge\naifabric_port_up{port=\"a->b\",from=\"a\",to=\"b\"} 1 1500\n",
            "dump.prom");
  ASSERT_EQ(d.series.size(), 1u);
  EXPECT_DOUBLE_EQ(d.series[0].t_s[0], 1.5);
  EXPECT_TRUE(d.quality.empty()) << "Prometheus text has no # EOF";
}

TEST(Telemetry, AMappingReadsAnotherFabricsNames) {
  // A SONiC-style dump: SAI names, the port in `ifname`, the pause duration in microseconds.
  const std::string dump =
      "# TYPE SAI_PORT_STAT_IF_OUT_OCTETS counter\n"
      "SAI_PORT_STAT_IF_OUT_OCTETS{ifname=\"Ethernet0\",device=\"leaf1\",neighbor=\"spine1\"} 1000 0\n"
      "SAI_PORT_STAT_IF_OUT_OCTETS{ifname=\"Ethernet0\",device=\"leaf1\",neighbor=\"spine1\"} 3000 1\n"
      "SAI_PORT_STAT_PFC_3_RX_PAUSE_DURATION_US{ifname=\"Ethernet0\",device=\"leaf1\",neighbor=\"spine1\"} "
      "250000 1\n"
      "# TYPE other_metric gauge\nother_metric 5 1\n# EOF\n";
  const std::string map_path = ::testing::TempDir() + "/sonic_map.yaml";
  {
    std::ofstream f(map_path);
    f << "metrics:\n  SAI_PORT_STAT_IF_OUT_OCTETS: aifabric_port_transmit_bytes_total\n"
         "  SAI_PORT_STAT_PFC_3_RX_PAUSE_DURATION_US: {name: aifabric_port_pfc_paused_seconds_total, scale: "
         "1e-6}\n"
         "labels: {port: ifname, from: device, to: neighbor}\n";
  }
  std::istringstream in(dump);
  const Dataset d = read_telemetry(in, "sonic.om", Format::kOpenMetrics, load_mapping(map_path));
  ASSERT_EQ(d.series.size(), 2u) << "other_metric is neither aifabric's nor mapped";
  EXPECT_EQ(d.series[0].port, "Ethernet0");
  EXPECT_EQ(d.series[0].from, "leaf1");
  EXPECT_EQ(d.series[0].value, (std::vector<double>{1000, 3000}));
  EXPECT_DOUBLE_EQ(d.series[1].value[0], 0.25);
  {
    std::ofstream f(map_path);
    f << "metrics: {SAI_X: aifabric_no_such_metric}\n";
  }
  try {
    load_mapping(map_path);
    ADD_FAILURE() << "an unknown target metric is an error";
  } catch (const core::InputError& e) {
    EXPECT_NE(
        std::string(e.what()).find("metrics.SAI_X: 'aifabric_no_such_metric' is not an aifabric metric"),
        std::string::npos)
        << e.what();
  }
}

TEST(Telemetry, MalformedFilesNameTheLine) {
  const std::string head = "# TYPE aifabric_port_up gauge\n";
  struct Case {
    std::string text, name, expected;
  };
  const std::vector<Case> cases = {
      {head + "aifabric_port_up{port=\"a->b\n", "t.om", "t.om:2:1: sample: unterminated label value"},
      {head + "aifabric_port_up{port=\"a->b\"}\n", "t.om", "t.om:2:1: sample: no value"},
      {head + "aifabric_port_up 1 2 3\n", "t.om", "t.om:2:1: sample: text after the timestamp"},
      {head + "aifabric_port_up one\n", "t.om", "value 'one' is not a number"},
      {head + "aifabric_port_up 1 noon\n", "t.om", "timestamp 'noon' is not a number"},
      {"# TYPE aifabric_port_up histogrammm\n", "t.om",
       "t.om:1:1: # TYPE: unknown metric type 'histogrammm'"},
      {head + "# EOF\naifabric_port_up 1 0\n", "t.om", "t.om:3:1: # EOF: content after # EOF"},
      {head + "{port=\"x\"} 1\n", "t.om", "no metric name"},
      {std::string(70000, 'a') + "\n", "t.om", "t.om:1:1: line: longer than 65536 bytes"},
      {"time_s,port,from,to,aifabric_port_up\n0,a->b,a\n", "t.csv", "t.csv:2:1: row: 3 cells; expected 5"},
      {"time_s,port,from,to,aifabric_port_up\n0,a->b,a,b,up\n", "t.csv",
       "t.csv:2:1: aifabric_port_up: 'up' is not a number"},
      {"when,port\n", "t.csv", "t.csv:1:1: header: expected time_s,port,from,to"},
      {"", "t.csv", "t.csv:1:1: header: empty"},
  };
  for (const auto& c : cases) {
    const std::string what = error_of(c.text, c.name);
    EXPECT_NE(what.find(c.expected), std::string::npos) << what;
  }
}

TEST(Telemetry, ResetsAndCutFilesAreDataQualityNotes) {
  const Dataset d = parse(
      "# TYPE aifabric_port_transmit_bytes counter\n"
      "aifabric_port_transmit_bytes_total{port=\"a->b\",from=\"a\",to=\"b\"} 500 1\n"
      "aifabric_port_transmit_bytes_total{port=\"a->b\",from=\"a\",to=\"b\"} 100 2\n",
      "cut.om");
  ASSERT_EQ(d.quality.size(), 2u);
  EXPECT_NE(d.quality[0].what.find("no # EOF"), std::string::npos);
  EXPECT_NE(d.quality[1].what.find("counter went backwards from 500 to 100"), std::string::npos);
  EXPECT_DOUBLE_EQ(d.quality[1].t_s, 2);
  const auto diag = ops::diagnose(d);
  EXPECT_EQ(diag.quality.size(), 2u) << "the diagnosis reports them beside its findings";
}

TEST(Telemetry, DocsListEveryMetric) {
  std::ifstream in(std::string(AIFABRIC_SOURCE_DIR) + "/docs/telemetry.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const std::string begin = "<!-- metric table -->\n", end = "<!-- end of metric table -->";
  const auto a = text.find(begin), b = text.find(end);
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_EQ(text.substr(a + begin.size(), b - a - begin.size()), metric_reference_markdown())
      << "regenerate the table with: aifabric metrics";
}

}  // namespace
}  // namespace aifabric::telemetry
