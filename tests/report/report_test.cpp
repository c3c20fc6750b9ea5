// The HTML report: chart geometry derived by hand, deterministic bytes, and a clear error for every kind of
// unreadable result folder (docs/report.md).
#include <gtest/gtest.h>

#include <filesystem>

#include "api/run.hpp"
#include "core/error.hpp"
#include "io/result_folder.hpp"
#include "io/scenario_loader.hpp"
#include "io/writers.hpp"
#include "report/html.hpp"
#include "report/svg.hpp"

namespace aifabric::report {
namespace {

namespace fs = std::filesystem;

// A result folder holding `files` (name, content), committed by io::ResultFolder as a command would.
std::string folder(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files,
                   const std::string& command = "simulate test") {
  const fs::path dir = fs::temp_directory_path() / ("aifabric_report_" + name);
  fs::remove_all(dir);
  io::ResultFolder f(dir.string(), command);
  for (const auto& [file, content] : files) io::write_file_atomic(f.staging() + "/" + file, content);
  f.commit();
  return dir.string();
}

std::string error_of(const std::string& dir) {
  try {
    render_report(dir);
  } catch (const core::InputError& e) {
    return e.what();
  }
  return "";
}

// The plot area is x in [78, 590] (760 wide, 78 left margin, 170 for the legend) and y in [308, 40] (360
// high, 52 bottom margin, 40 top). A linear axis over [0, 10] gets ticks every 2 (range / 5 = 2, a 1-2-5
// step), so it runs from 0 to 10 exactly: (0, 0) is the plot's bottom-left corner and (10, 10) its top-right
// corner, and (5, 2.5) sits at x = 78 + 0.5 * 512 = 334, y = 308 - 0.25 * 268 = 241.
TEST(Svg, LinearAxesMapDataOntoThePlotArea) {
  const auto svg =
      line_chart("t", Axis{"x (us)"}, Axis{"y (B)"}, {Series{"s", {{0, 0}, {5, 2.5}, {10, 10}}}});
  EXPECT_NE(svg.find("d=\"M78.0,308.0 L334.0,241.0 L590.0,40.0\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">x (us)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">y (B)</text>"), std::string::npos);
}

// A log byte axis uses powers of two: 8 B to 1 KiB is 2^3 .. 2^10, seven decades of two over 512 pixels, so
// 64 B (2^6) sits 3/7 of the way: x = 78 + 512 * 3 / 7 = 297.4. Ticks read in binary units.
TEST(Svg, LogByteAxisIsInPowersOfTwo) {
  const auto svg = line_chart("t", Axis{"size", Scale::kLog, Format::kBytes, false}, Axis{"GB/s"},
                              {Series{"s", {{8, 1}, {64, 1}, {1024, 1}}}});
  EXPECT_NE(svg.find("M78.0,"), std::string::npos) << svg;
  EXPECT_NE(svg.find(" L297.4,"), std::string::npos) << svg;
  EXPECT_NE(svg.find(" L590.0,"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">1 KiB</text>"), std::string::npos);
  EXPECT_NE(svg.find(">64 B</text>"), std::string::npos);
}

// Bars: the value axis spans [-10, 10] over x in [228, 590] (150 pixels of labels after the 78 margin), so 0
// is at 409; a part of +10 runs from 409 to 590 and one of -10 from 228 to 409. Two bars share the 268 pixels
// of height, 134 each, drawn from 15% into their band: y = 40 + 20.1 and 40 + 134 + 20.1.
TEST(Svg, NegativeBarsGrowLeftOfZero) {
  const auto svg = stacked_bars("t", Axis{"$/h"}, {"cost"}, {Bar{"gain", {-10}}, Bar{"loss", {10}}}, "");
  EXPECT_NE(svg.find("x=\"228.0\" y=\"60.1\" width=\"181.0\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("x=\"409.0\" y=\"194.1\" width=\"181.0\""), std::string::npos) << svg;
}

TEST(Svg, TextIsEscaped) {
  EXPECT_EQ(escape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
  const auto svg = heat_map("<t>", "u", {HeatRow{"leaf -> spine", {{"leaf0->spine0", 0.5}}}}, 1);
  EXPECT_NE(svg.find("&lt;t&gt;"), std::string::npos);
  EXPECT_NE(svg.find("leaf -&gt; spine (1 ports)"), std::string::npos);
  EXPECT_EQ(svg.find("<t>"), std::string::npos);
}

// A real run's folder gives a report with its charts, and the same bytes every time.
TEST(Report, SimulateFolderIsChartedAndDeterministic) {
  const auto sc = io::load_scenario("example:leaf_spine_incast");
  const auto result = api::run(sc);
  const fs::path dir = fs::temp_directory_path() / "aifabric_report_simulate";
  fs::remove_all(dir);
  {
    io::ResultFolder f(dir.string(), "simulate example:leaf_spine_incast <&>");
    io::write_results(f.staging(), sc, result);
    f.commit();
  }
  const auto html = render_report(dir.string());
  EXPECT_EQ(html, render_report(dir.string()));
  EXPECT_NE(html.find("<svg class=\"chart-heatmap\""), std::string::npos);
  EXPECT_NE(html.find("Flow completion time, CDF"), std::string::npos);
  EXPECT_NE(html.find("simulate example:leaf_spine_incast &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // 32 hosts on 4 leaves, each leaf with one uplink per spine: four tiers in the heat map, 32 ports each.
  EXPECT_NE(html.find("leaf -&gt; spine (32 ports)"), std::string::npos);
  EXPECT_NE(html.find("host -&gt; leaf (32 ports)"), std::string::npos);
}

// A large tier keeps its 2,048 busiest ports in the heat map (the report of a 100k-port fabric stays a few
// MB); the rest are counted in a note. Port i's utilization is i / 3000, so the kept ones are 952..2999.
TEST(Report, LargeTiersKeepTheirBusiestPorts) {
  std::string csv =
      "port,from,to,rate_gbps,tx_bytes,tx_packets,tx_data_bytes,utilization,max_queue_control_bytes,max_"
      "queue_"
      "data_bytes,mean_queue_control_bytes,mean_queue_data_bytes,ecn_marks,pause_sent,resume_sent,pause_"
      "received,paused_us,drops_control,drops_data,drop_bytes,min_credits_bytes\n";
  for (int i = 0; i < 3000; ++i)
    csv += "host" + std::to_string(i) + "->leaf0,host" + std::to_string(i) + ",leaf0,400,0,0,0," +
           std::to_string(i / 3000.0) + ",0,0,0,0,0,0,0,0,0,0,0,0,0\n";
  const auto html = render_report(folder("large_tier", {{"ports.csv", csv}}));
  std::size_t cells = 0;
  for (auto at = html.find("class=\"cell\""); at != std::string::npos;
       at = html.find("class=\"cell\"", at + 1))
    ++cells;
  EXPECT_EQ(cells, 2048u);
  EXPECT_NE(html.find("952 ports of large tiers are left out"), std::string::npos);
  EXPECT_NE(html.find("host -&gt; leaf, busiest of 3000 (2048 ports)"), std::string::npos);
  EXPECT_NE(html.find("<title>host952-&gt;leaf0:"), std::string::npos);
  EXPECT_EQ(html.find("<title>host951-&gt;leaf0:"), std::string::npos);
}

TEST(ReportBadInput, MissingFolderOrManifest) {
  EXPECT_NE(error_of("/nonexistent/results").find("RESULT_DIR: expected a folder of results"),
            std::string::npos);
  const fs::path dir = fs::temp_directory_path() / "aifabric_report_no_manifest";
  fs::remove_all(dir);
  fs::create_directories(dir);
  EXPECT_NE(error_of(dir.string()).find("manifest.json: expected a manifest"), std::string::npos)
      << error_of(dir.string());
}

TEST(ReportBadInput, CsvWithAShortRowNamesItsLine) {
  const auto dir =
      folder("short_row", {{"collective.csv",
                            "op,algorithm,ranks,size_bytes,time_us,algbw_gbytes_per_s,busbw_gbytes_"
                            "per_s,events\nall_reduce,ring,8,1024,1.5,1,2,3\nall_reduce,ring\n"}});
  EXPECT_NE(error_of(dir).find("collective.csv:3:1: expected 8 fields as in the header, got 2"),
            std::string::npos)
      << error_of(dir);
}

TEST(ReportBadInput, CsvWithANonNumberNamesItsColumn) {
  const auto dir =
      folder("not_number", {{"collective.csv",
                             "op,algorithm,ranks,size_bytes,time_us,algbw_gbytes_per_s,busbw_gbytes_"
                             "per_s,events\nall_reduce,ring,8,1024,fast,1,2,3\n"}});
  EXPECT_NE(error_of(dir).find("collective.csv:2:1: time_us: expected a number, got 'fast'"),
            std::string::npos)
      << error_of(dir);
}

TEST(ReportBadInput, CsvWithoutAColumn) {
  const auto dir = folder("no_column", {{"collective.csv", "op,size_bytes\nall_reduce,8\n"}});
  EXPECT_NE(error_of(dir).find("collective.csv:1:1: busbw_gbytes_per_s: expected this column"),
            std::string::npos)
      << error_of(dir);
}

TEST(ReportBadInput, TruncatedJson) {
  const auto dir = folder("truncated", {{"assess.json", "{\"jobs\": [{\"name\": \"a\""}}, "assess x");
  EXPECT_NE(error_of(dir).find("assess.json: expected JSON as aifabric writes it"), std::string::npos)
      << error_of(dir);
}

TEST(ReportBadInput, JsonWithoutAField) {
  const auto dir = folder("no_field", {{"assess.json", "{\"services\": []}"}}, "assess x");
  EXPECT_NE(error_of(dir).find("assess.json: jobs: expected this field"), std::string::npos) << error_of(dir);
  const auto wrong = folder("wrong_type", {{"assess.json", "{\"jobs\": 3, \"services\": []}"}}, "assess x");
  EXPECT_NE(error_of(wrong).find("jobs"), std::string::npos) << error_of(wrong);
}

}  // namespace
}  // namespace aifabric::report
