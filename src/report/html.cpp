#include "report/html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "report/csv.hpp"
#include "report/svg.hpp"

namespace aifabric::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t kLinesPerChart = 6;    // hottest ports drawn in the time-series charts
constexpr std::size_t kCellsPerTier = 2048;  // heat-map cells per tier: the busiest, so a report stays small
constexpr std::size_t kPointsPerCurve = 2000;  // CDF points: evenly spaced ranks beyond this

constexpr const char* kStyle = R"(body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}td.l,th.l{text-align:left}.note{color:#555;font-size:13px}
figure.chart{margin:12px 0}svg text{font-family:sans-serif;font-size:11px;fill:#222}
svg .title{font-size:14px;font-weight:bold}svg .axis-label{font-size:12px}svg .grid{stroke:#e4e4e4}
svg .frame{fill:none;stroke:#888}svg .marker{stroke:#000;stroke-width:2}svg .empty{fill:#888;font-size:14px}
svg .cell:hover,svg .bar:hover,svg .point:hover{stroke:#000;stroke-width:1})";

core::InputError file_error(const std::string& path, const std::string& field, const std::string& what) {
  return core::InputError(core::Location{path, 0, 0, field}, what);
}

json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw file_error(path, "", "cannot open the file");
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    return json::parse(buf.str());
  } catch (const json::parse_error& e) {
    throw file_error(path, "", fmt::format("expected JSON as aifabric writes it: {}", e.what()));
  }
}

// A field of a result JSON, with an error naming it when it is missing or of another type.
template <typename T>
T get(const json& j, const std::string& key, const std::string& path) {
  if (!j.is_object() || !j.contains(key)) throw file_error(path, key, "expected this field");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw file_error(path, key, "has the wrong type");
  }
}

// A list field of a result JSON.
json list(const json& j, const std::string& key, const std::string& path) {
  auto v = get<json>(j, key, path);
  if (!v.is_array()) throw file_error(path, key, "expected a list");
  return v;
}

std::string cell(const std::string& text, bool left = false) {
  return fmt::format("<td{}>{}</td>", left ? " class=\"l\"" : "", escape(text));
}

std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
                  std::size_t left_columns = 1) {
  std::string s = "<table><tr>";
  for (std::size_t c = 0; c < head.size(); ++c)
    s += fmt::format("<th{}>{}</th>", c < left_columns ? " class=\"l\"" : "", escape(head[c]));
  s += "</tr>\n";
  for (const auto& r : rows) {
    s += "<tr>";
    for (std::size_t c = 0; c < r.size(); ++c) s += cell(r[c], c < left_columns);
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string fixed(double v, int digits) {
  return fmt::format("{:.{}f}", v, digits);
}

// A node name without its trailing index: "leaf12" -> "leaf", "srv3.gpu1" -> "srv.gpu".
std::string role(const std::string& node) {
  std::string r;
  for (char c : node)
    if (!(c >= '0' && c <= '9')) r += c;
  return r;
}

// simulate: ports.csv as a heat map by tier (the roles of the two ends) and the busiest ports.
std::string ports_section(const std::string& path) {
  const auto t = read_csv(path);
  const auto port = t.column("port"), from = t.column("from"), to = t.column("to"),
             util = t.column("utilization"), queue = t.column("max_queue_data_bytes"),
             paused = t.column("paused_us");
  std::map<std::string, HeatRow> tiers;
  double top = 0;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const std::string tier = role(t.rows[r][from]) + " -> " + role(t.rows[r][to]);
    auto& row = tiers[tier];
    row.label = tier;
    const double u = t.number(r, util);
    row.cells.emplace_back(t.rows[r][port], u);
    top = std::max(top, u);
  }
  std::vector<HeatRow> rows;
  std::size_t left_out = 0;
  for (auto& [name, row] : tiers) {
    if (row.cells.size() > kCellsPerTier) {
      // The busiest ports of a large tier, in port order; the count left out is said under the chart.
      std::vector<std::size_t> idx(row.cells.size());
      for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
      std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
        return row.cells[a].second > row.cells[b].second;
      });
      idx.resize(kCellsPerTier);
      std::sort(idx.begin(), idx.end());
      std::vector<std::pair<std::string, double>> kept;
      for (auto i : idx) kept.push_back(row.cells[i]);
      left_out += row.cells.size() - kept.size();
      row.label += fmt::format(", busiest of {}", row.cells.size());
      row.cells = std::move(kept);
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> order(t.rows.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return t.number(a, util) > t.number(b, util); });
  std::vector<std::vector<std::string>> busiest;
  for (std::size_t i = 0; i < order.size() && i < 10; ++i) {
    const auto r = order[i];
    busiest.push_back(
        {t.rows[r][port], fixed(100 * t.number(r, util), 1), t.rows[r][queue], t.rows[r][paused]});
  }
  return "<h2>Links</h2>\n" +
         (left_out > 0
              ? fmt::format("<p class=\"note\">{} ports of large tiers are left out of the heat map; "
                            "ports.csv holds them all.</p>\n",
                            left_out)
              : std::string()) +
         heat_map("Utilization of every port, by tier (sender -> receiver)", "utilization", rows,
                  std::max(top, 1e-9)) +
         table({"busiest ports", "utilization (%)", "max data queue (B)", "paused (us)"}, busiest);
}

// The empirical CDF of `values` as (value, fraction at or below) points.
Series cdf(std::string name, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  Series s{std::move(name), {}, false, false};
  const double n = static_cast<double>(values.size());
  // Every distinct value's last rank; past kPointsPerCurve values, ranks at even steps (and the last).
  const std::size_t step = std::max<std::size_t>(1, values.size() / kPointsPerCurve);
  for (std::size_t i = 0; i < values.size(); ++i)
    if (i + 1 == values.size() || (values[i + 1] != values[i] && (i + 1) % step == 0))
      s.points.emplace_back(values[i], static_cast<double>(i + 1) / n);
  return s;
}

std::string flows_section(const std::string& path) {
  const auto t = read_csv(path);
  const auto fct = t.column("fct_us"), slow = t.column("slowdown"), done = t.column("completed");
  std::vector<double> fcts, slowdowns;
  std::size_t unfinished = 0;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    if (t.rows[r][done] != "1") {
      ++unfinished;
      continue;
    }
    fcts.push_back(t.number(r, fct));
    slowdowns.push_back(t.number(r, slow));
  }
  std::string s = "<h2>Flows</h2>\n";
  s += fmt::format("<p class=\"note\">{} flows, {} completed{}.</p>\n", t.rows.size(), fcts.size(),
                   unfinished ? fmt::format(", {} not completed (left out of the curves)", unfinished) : "");
  const bool spread = !fcts.empty() && *std::max_element(fcts.begin(), fcts.end()) >
                                           100 * std::max(1e-9, *std::min_element(fcts.begin(), fcts.end()));
  s += line_chart(
      "Flow completion time, CDF",
      Axis{"flow completion time (us)", spread ? Scale::kLog : Scale::kLinear, Format::kNumber, false},
      Axis{"fraction of flows", Scale::kLinear, Format::kPercent, true}, {cdf("FCT", fcts)});
  s += line_chart(
      "Slowdown (FCT / ideal FCT), CDF", Axis{"slowdown (ratio)", Scale::kLinear, Format::kNumber, false},
      Axis{"fraction of flows", Scale::kLinear, Format::kPercent, true}, {cdf("slowdown", slowdowns)});
  return s;
}

// Per port, a value over time from a long table (time, port, value), for the `lines` ports whose
// `rank` (the largest value) is highest; ties keep the file's port order.
std::vector<Series> hottest_series(const CsvTable& t, std::size_t time, double time_scale, std::size_t port,
                                   std::size_t value, double value_scale, std::size_t lines) {
  std::map<std::string, std::size_t> index;
  std::vector<Series> all;
  std::vector<double> peak;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto [it, added] = index.emplace(t.rows[r][port], all.size());
    if (added) {
      all.push_back(Series{t.rows[r][port], {}, false, false});
      peak.push_back(0);
    }
    const double v = t.number(r, value) * value_scale;
    all[it->second].points.emplace_back(t.number(r, time) * time_scale, v);
    peak[it->second] = std::max(peak[it->second], v);
  }
  std::vector<std::size_t> order(all.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return peak[a] > peak[b]; });
  std::vector<Series> out;
  for (std::size_t i = 0; i < order.size() && i < lines; ++i)
    if (peak[order[i]] > 0) out.push_back(std::move(all[order[i]]));
  return out;
}

std::string timeseries_section(const std::string& path) {
  const auto t = read_csv(path);
  const auto time = t.column("time_us"), port = t.column("port"), queue = t.column("queue_bytes"),
             util = t.column("utilization");
  return "<h2>Over time</h2>\n" +
         line_chart("Queue depth of the deepest ports",
                    Axis{"time (us)", Scale::kLinear, Format::kNumber, true},
                    Axis{"queue (bytes)", Scale::kLinear, Format::kBytes, true},
                    hottest_series(t, time, 1, port, queue, 1, kLinesPerChart)) +
         line_chart("Utilization of the busiest ports",
                    Axis{"time (us)", Scale::kLinear, Format::kNumber, true},
                    Axis{"utilization", Scale::kLinear, Format::kPercent, true},
                    hottest_series(t, time, 1, port, util, 1, kLinesPerChart));
}

std::string telemetry_section(const std::string& path) {
  const auto t = read_csv(path);
  const auto time = t.column("time_s"), port = t.column("port"),
             paused = t.column("aifabric_port_pfc_paused_seconds_total");
  return "<h2>PFC</h2>\n" + line_chart("PFC paused time of the most paused ports (cumulative)",
                                       Axis{"time (us)", Scale::kLinear, Format::kNumber, true},
                                       Axis{"paused (us)", Scale::kLinear, Format::kNumber, true},
                                       hottest_series(t, time, 1e6, port, paused, 1e6, kLinesPerChart));
}

std::string summary_section(const std::string& path) {
  const auto j = read_json(path);
  const auto flows = get<json>(j, "flows", path), net = get<json>(j, "network", path);
  const auto fct = get<json>(flows, "fct_us", path), slow = get<json>(flows, "slowdown", path);
  std::vector<std::vector<std::string>> rows = {
      {"flows completed", fmt::format("{} of {}", get<std::uint64_t>(flows, "completed", path),
                                      get<std::uint64_t>(flows, "total", path))},
      {"FCT p50 / p99 / max (us)",
       fmt::format("{} / {} / {}", fixed(get<double>(fct, "p50", path), 2),
                   fixed(get<double>(fct, "p99", path), 2), fixed(get<double>(fct, "max", path), 2))},
      {"slowdown p50 / p99 / max",
       fmt::format("{} / {} / {}", fixed(get<double>(slow, "p50", path), 3),
                   fixed(get<double>(slow, "p99", path), 3), fixed(get<double>(slow, "max", path), 3))},
      {"drops, ECN marks, PFC pauses", fmt::format("{}, {}, {}", get<std::uint64_t>(net, "drops", path),
                                                   get<std::uint64_t>(net, "ecn_marks", path),
                                                   get<std::uint64_t>(net, "pause_frames", path))},
      {"simulated time (us)", fixed(get<double>(j, "simulated_time_us", path), 3)},
      {"fingerprint", get<std::string>(j, "fingerprint", path)}};
  return "<h2>Run</h2>\n" + table({"", ""}, rows);
}

std::string assess_section(const std::string& path) {
  const auto j = read_json(path);
  std::vector<std::string> parts = {"compute"};
  std::vector<Bar> bars;
  std::vector<std::vector<std::string>> rows;
  const auto add = [&](const std::string& label, const json& it) {
    Bar b{label, {get<double>(it, "compute_us_per_gpu", path) / 1e3}, -1};
    const auto exposed = get<json>(it, "exposed_us_per_gpu", path);
    for (const auto& [name, us] : exposed.items()) {
      const auto at = std::find(parts.begin(), parts.end(), "waits for " + name);
      const std::size_t p = static_cast<std::size_t>(at - parts.begin());
      if (at == parts.end()) parts.push_back("waits for " + name);
      b.parts.resize(parts.size());
      b.parts[p] = us.get<double>() / 1e3;
    }
    return b;
  };
  for (const auto& job : list(j, "jobs", path)) {
    const auto name = get<std::string>(job, "name", path);
    if (!get<std::string>(job, "down", path).empty()) {
      rows.push_back(
          {name, "DOWN", "", "", "", fixed(get<double>(job, "network_cost_usd_per_hour", path), 2)});
      continue;
    }
    const auto fabric = get<json>(job, "fabric", path), ideal = get<json>(job, "ideal_network", path);
    auto fb = add(name + " fabric", fabric);
    fb.marker = get<double>(ideal, "iteration_s", path) * 1e3;
    bars.push_back(std::move(fb));
    bars.push_back(add(name + " ideal", ideal));
    rows.push_back({name, fixed(get<double>(fabric, "iteration_s", path) * 1e3, 2),
                    fixed(get<double>(ideal, "iteration_s", path) * 1e3, 2),
                    fixed(100 * get<double>(job, "slowdown_vs_ideal", path), 1),
                    fixed(100 * get<double>(fabric, "gpu_utilization", path), 1),
                    fixed(get<double>(job, "network_cost_usd_per_hour", path), 2)});
  }
  for (auto& b : bars) b.parts.resize(parts.size());
  std::string s = "<h2>Jobs</h2>\n";
  s += stacked_bars("Iteration time per GPU: compute and what it waited for",
                    Axis{"time per iteration (ms)", Scale::kLinear, Format::kNumber, true}, parts, bars,
                    "ideal network");
  s += table({"job", "iteration (ms)", "ideal network (ms)", "vs ideal (%)", "GPU utilization (%)",
              "network cost ($/h)"},
             rows);
  std::vector<std::vector<std::string>> services;
  for (const auto& svc : list(j, "services", path)) {
    const auto name = get<std::string>(svc, "name", path);
    if (!get<std::string>(svc, "down", path).empty()) {
      services.push_back({name, "DOWN", "", "", ""});
      continue;
    }
    const auto f = get<json>(svc, "fabric", path), i = get<json>(svc, "ideal_network", path);
    services.push_back({name, fixed(get<double>(get<json>(f, "ttft_ms", path), "p99", path), 2),
                        fixed(get<double>(get<json>(i, "ttft_ms", path), "p99", path), 2),
                        fixed(get<double>(get<json>(f, "tpot_ms", path), "p99", path), 3),
                        get<bool>(f, "objective_met", path) ? "met" : "MISSED"});
  }
  if (!services.empty())
    s += "<h2>Services</h2>\n" +
         table({"service", "TTFT p99 (ms)", "ideal TTFT p99 (ms)", "TPOT p99 (ms)", "objective"}, services);
  std::vector<std::vector<std::string>> ports;
  for (const auto& p : list(j, "bottleneck_ports", path))
    ports.push_back({get<std::string>(p, "port", path), fixed(100 * get<double>(p, "utilization", path), 1),
                     fmt::format("{}", get<std::uint64_t>(p, "max_queue_bytes", path)),
                     fmt::format("{}", get<std::uint64_t>(p, "ecn_marks", path)),
                     fmt::format("{}", get<std::uint64_t>(p, "pause_received", path))});
  if (!ports.empty())
    s +=
        table({"bottleneck port", "utilization (%)", "max queue (B)", "ECN marks", "pauses received"}, ports);
  return s;
}

std::string collective_section(const std::string& path) {
  const auto t = read_csv(path);
  const auto size = t.column("size_bytes"), bus = t.column("busbw_gbytes_per_s"),
             alg = t.column("algbw_gbytes_per_s"), time = t.column("time_us"), op = t.column("op"),
             algo = t.column("algorithm"), ranks = t.column("ranks");
  Series busbw{"busbw", {}, true, false}, algbw{"algbw", {}, true, true};
  std::vector<std::vector<std::string>> rows;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    busbw.points.emplace_back(t.number(r, size), t.number(r, bus));
    algbw.points.emplace_back(t.number(r, size), t.number(r, alg));
    rows.push_back({t.rows[r][size], fixed(t.number(r, time), 2), fixed(t.number(r, alg), 2),
                    fixed(t.number(r, bus), 2)});
  }
  const std::string what =
      t.rows.empty() ? "collective"
                     : fmt::format("{} ({}) over {} GPUs", t.rows[0][op], t.rows[0][algo], t.rows[0][ranks]);
  return "<h2>Collective</h2>\n" +
         line_chart("Bus bandwidth against size: " + what,
                    Axis{"size (bytes)", Scale::kLog, Format::kBytes, false},
                    Axis{"bandwidth (GB/s)", Scale::kLinear, Format::kNumber, true}, {busbw, algbw}) +
         table({"size (B)", "time (us)", "algbw (GB/s)", "busbw (GB/s)"}, rows);
}

// sweep.csv / whatif.csv: each variant's change against the baseline, per workload.
// A study of simulated variants: each variant's p99 FCT against the baseline's.
std::string flow_study_section(const CsvTable& t, bool whatif) {
  const auto variant = t.column("variant"), label = t.column("label"), p99 = t.column("fct_p99_us"),
             vs = t.column("p99_vs_baseline_pct"), done = t.column("flows_completed"),
             flows = t.column("flows");
  std::vector<Bar> bars;
  std::vector<std::vector<std::string>> rows;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    rows.push_back({t.rows[r][variant], t.rows[r][label],
                    fmt::format("{}/{}", t.rows[r][done], t.rows[r][flows]), t.rows[r][p99], t.rows[r][vs]});
    if (t.rows[r][variant] != "0")
      bars.push_back(Bar{fmt::format("{} {}", t.rows[r][variant], t.rows[r][label]), {t.number(r, vs)}, -1});
  }
  return fmt::format("<h2>{}</h2>\n", whatif ? "What if" : "Sweep") +
         stacked_bars("p99 flow completion time against the baseline",
                      Axis{"p99 FCT against the baseline (%)", Scale::kLinear, Format::kNumber, true},
                      {"p99 FCT"}, bars, "") +
         table({"variant", "label", "flows completed", "FCT p99 (us)", "p99 vs baseline (%)"}, rows, 2);
}

std::string study_section(const std::string& path, bool whatif) {
  const auto t = read_csv(path);
  if (std::find(t.header.begin(), t.header.end(), "fct_p99_us") != t.header.end())
    return flow_study_section(t, whatif);
  const auto variant = t.column("variant"), label = t.column("label"), workload = t.column("workload"),
             vs = t.column("vs_baseline_pct"), cost = t.column("cost_vs_baseline_usd_per_hour"),
             iteration = t.column("iteration_s"), p99 = t.column("ttft_p99_ms");
  std::vector<Bar> bars;
  std::vector<std::vector<std::string>> rows;
  std::size_t variants = 0;
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    variants = std::max(variants, static_cast<std::size_t>(t.number(r, variant)) + 1);
    rows.push_back({t.rows[r][variant], t.rows[r][label], t.rows[r][workload], t.rows[r][iteration],
                    t.rows[r][p99], t.rows[r][vs], t.rows[r][cost]});
    if (t.rows[r][variant] == "0") continue;
    bars.push_back(Bar{fmt::format("{} {}: {}", t.rows[r][variant], t.rows[r][label], t.rows[r][workload]),
                       {t.number(r, cost)},
                       -1});
  }
  constexpr std::size_t kBars = 24;
  if (whatif)
    std::stable_sort(bars.begin(), bars.end(),
                     [](const Bar& a, const Bar& b) { return a.parts[0] > b.parts[0]; });
  const bool cut = bars.size() > kBars;
  if (cut) bars.resize(kBars);
  std::string s =
      fmt::format("<h2>{}</h2>\n<p class=\"note\">{} variants; variant 0 is the baseline{}.</p>\n",
                  whatif ? "What if" : "Sweep", variants,
                  cut ? fmt::format("; the chart shows the {} {}", kBars, whatif ? "worst" : "first") : "");
  s += stacked_bars(whatif ? "GPU time lost per hour against the baseline (worst first)"
                           : "GPU time lost per hour against the baseline",
                    Axis{"cost against the baseline ($/h)", Scale::kLinear, Format::kNumber, true}, {"$/h"},
                    bars, "");
  s += table({"variant", "label", "workload", "iteration (s)", "TTFT p99 (ms)", "vs baseline (%)",
              "cost vs baseline ($/h)"},
             rows, 3);
  return s;
}

std::string links_section(const std::string& path) {
  const auto t = read_csv(path);
  const auto variant = t.column("variant"), port = t.column("port"), util = t.column("utilization"),
             base = t.column("baseline_utilization");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t r = 0; r < t.rows.size() && r < 30; ++r)
    rows.push_back({t.rows[r][variant], t.rows[r][port], fixed(100 * t.number(r, base), 1),
                    fixed(100 * t.number(r, util), 1)});
  return "<h2>Links whose load changed most</h2>\n" +
         table({"variant", "port", "baseline utilization (%)", "utilization (%)"}, rows, 2);
}

std::string plan_section(const std::string& path) {
  const auto j = read_json(path);
  const auto recommended = get<std::string>(j, "recommended", path);
  std::vector<Point> points;
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : list(j, "designs", path)) {
    if (!d.contains("cost_over_horizon_usd")) continue;
    const auto id = get<std::string>(d, "id", path);
    const double total = get<double>(get<json>(d, "cost_over_horizon_usd", path), "total", path);
    const double tokens = get<double>(d, "tokens_per_s", path);
    const bool pareto = get<bool>(d, "pareto", path);
    points.push_back(Point{total / 1e6, tokens, id, pareto, id == recommended});
    rows.push_back({id, fixed(total / 1e6, 3), fixed(tokens, 0), pareto ? "yes" : "",
                    id == recommended ? "recommended" : ""});
  }
  return "<h2>Plan</h2>\n<p class=\"note\">" + escape(get<std::string>(j, "why", path)) + "</p>\n" +
         scatter("Designs: cost over the horizon against the portfolio's throughput",
                 Axis{"cost over the horizon (M$)", Scale::kLinear, Format::kNumber, false},
                 Axis{"tokens/s (all jobs)", Scale::kLinear, Format::kNumber, false}, points, "Pareto set",
                 "recommended") +
         table({"design", "cost (M$)", "tokens/s", "Pareto", ""}, rows);
}

std::string diagnosis_section(const std::string& path) {
  const auto j = read_json(path);
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : list(j, "findings", path))
    rows.push_back({get<std::string>(f, "kind", path), get<std::string>(f, "location", path),
                    get<std::string>(f, "severity", path), fixed(get<double>(f, "first_seen_s", path), 3),
                    get<std::string>(f, "evidence", path)});
  return "<h2>Diagnosis</h2>\n" +
         (rows.empty() ? std::string("<p>No finding: the telemetry looks healthy.</p>\n")
                       : table({"finding", "where", "severity", "first seen (s)", "evidence"}, rows, 3));
}

}  // namespace

std::string render_report(const std::string& dir) {
  const std::string manifest_path = (fs::path(dir) / "manifest.json").string();
  if (!fs::is_directory(dir))
    throw file_error(dir, "RESULT_DIR", "expected a folder of results written by an aifabric command");
  if (!fs::exists(manifest_path))
    throw file_error(manifest_path, "", "expected a manifest: the folder is not complete aifabric results");
  const auto manifest = read_json(manifest_path);
  const auto command = get<std::string>(manifest, "command", manifest_path);
  const auto files = get<std::vector<std::string>>(manifest, "files", manifest_path);
  const auto has = [&](const std::string& f) {
    return std::find(files.begin(), files.end(), f) != files.end();
  };
  const auto at = [&](const std::string& f) { return (fs::path(dir) / f).string(); };
  std::string body;
  if (has("summary.json")) body += summary_section(at("summary.json"));
  if (has("assess.json")) body += assess_section(at("assess.json"));
  if (has("collective.csv")) body += collective_section(at("collective.csv"));
  if (has("sweep.csv")) body += study_section(at("sweep.csv"), false);
  if (has("whatif.csv")) body += study_section(at("whatif.csv"), true);
  if (has("links.csv")) body += links_section(at("links.csv"));
  if (has("plan.json")) body += plan_section(at("plan.json"));
  if (has("diagnosis.json")) body += diagnosis_section(at("diagnosis.json"));
  if (has("ports.csv")) body += ports_section(at("ports.csv"));
  if (has("flows.csv")) body += flows_section(at("flows.csv"));
  if (has("timeseries.csv")) body += timeseries_section(at("timeseries.csv"));
  if (has("telemetry.csv")) body += telemetry_section(at("telemetry.csv"));
  if (body.empty()) body = "<p>The folder holds no result this report can chart.</p>\n";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>aifabric: {}</title>\n"
      "<style>{}</style></head><body>\n<h1>aifabric report</h1>\n<p class=\"note\">Command: <code>aifabric {}"
      "</code></p>\n{}</body></html>\n",
      escape(command), kStyle, escape(command), body);
}

}  // namespace aifabric::report
