#include "telemetry/export.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "io/writers.hpp"

namespace aifabric::telemetry {

namespace {

enum Metric : int {
  kTxBytes,
  kTxPackets,
  kDrops,
  kEcn,
  kPauseSent,
  kResumeSent,
  kPauseReceived,
  kPausedSeconds,
  kQueue,
  kWatermark,
  kSpeed,
  kUp,
  kFcsErrors,
  kLinkDowns,
  kWatchdogStorms,
  kWatchdogDrops,
  kMetrics
};

std::string escaped(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string family(const MetricDef& d) {
  std::string n = d.name;
  if (d.kind == MetricKind::kCounter && n.size() > 6 && n.compare(n.size() - 6, 6, "_total") == 0)
    n.resize(n.size() - 6);
  return n;
}

// A metric family's TYPE, UNIT (when it has one) and HELP lines.
std::string family_header(const MetricDef& def) {
  const std::string f = family(def);
  std::string out = fmt::format("# TYPE {} {}\n", f, def.kind == MetricKind::kCounter ? "counter" : "gauge");
  if (*def.unit != '\0') out += fmt::format("# UNIT {} {}\n", f, def.unit);
  return out + fmt::format("# HELP {} {}\n", f, def.help);
}

}  // namespace

Dataset from_run(const api::Scenario& sc, const api::Result& r) {
  Dataset d;
  d.source = sc.source;
  if (r.port_samples.empty()) return d;
  std::vector<double> times;
  for (const auto& s : r.port_samples)
    if (times.empty() || core::ps_to_sec(s.time_ps) != times.back())
      times.push_back(core::ps_to_sec(s.time_ps));
  const std::size_t ports = r.ports.size();
  const auto& failed = sc.topology.failed_links;
  // series[m][p]: port p's series of metric m; the failed links' ports come after the live ones.
  std::vector<std::vector<Series>> by(kMetrics, std::vector<Series>(ports + 2 * failed.size()));
  for (int m = 0; m < kMetrics; ++m)
    for (std::size_t p = 0; p < ports; ++p)
      by[m][p] = {m, r.ports[p].name, r.ports[p].from, r.ports[p].to, {}, {}};
  for (std::size_t f = 0; f < failed.size(); ++f)
    for (int dir = 0; dir < 2; ++dir) {
      const auto& l = failed[f];
      const std::string& a = sc.topology.nodes[dir == 0 ? l.a : l.b].name;
      const std::string& b = sc.topology.nodes[dir == 0 ? l.b : l.a].name;
      // A failed link's port keeps its name unless a live parallel link now holds it.
      std::string name = a + "->" + b;
      for (std::size_t p = 0; p < ports; ++p)
        if (r.ports[p].name == name) name += "#down";
      for (int m : {kSpeed, kUp}) by[m][ports + 2 * f + dir] = {m, name, a, b, {}, {}};
    }
  // A host out of service (a failed NIC, or cut off) has its link down, both directions.
  std::set<std::string> down_nodes;
  for (auto h : sc.topology.down_hosts) down_nodes.insert(sc.topology.nodes[sc.topology.hosts[h]].name);
  for (const auto& s : r.port_samples) {
    const double t = core::ps_to_sec(s.time_ps);
    const auto& port = r.ports[s.port];
    const bool up = s.up && down_nodes.count(port.from) == 0 && down_nodes.count(port.to) == 0;
    const double v[kMetrics] = {
        double(s.tx_bytes),        double(s.tx_packets),         double(s.drops),
        double(s.ecn_marks),       double(s.pause_sent),         double(s.resume_sent),
        double(s.pause_received),  core::ps_to_sec(s.paused_ps), double(s.queue_bytes),
        double(s.watermark_bytes), port.rate_gbps * 1e9 / 8,     up ? 1.0 : 0.0,
        double(s.fcs_errors),      double(s.link_downs),         double(s.pfc_wd_storms),
        double(s.pfc_wd_drops)};
    for (int m = 0; m < kMetrics; ++m) {
      by[m][s.port].t_s.push_back(t);
      by[m][s.port].value.push_back(v[m]);
    }
  }
  for (std::size_t f = 0; f < failed.size(); ++f)
    for (int dir = 0; dir < 2; ++dir)
      for (double t : times) {
        auto& speed = by[kSpeed][ports + 2 * f + dir];
        speed.t_s.push_back(t);
        speed.value.push_back(failed[f].params.rate_gbps * 1e9 / 8);
        auto& up = by[kUp][ports + 2 * f + dir];
        up.t_s.push_back(t);
        up.value.push_back(0.0);
      }
  for (auto& metric : by)
    for (auto& s : metric)
      if (!s.t_s.empty()) d.series.push_back(std::move(s));
  return d;
}

std::string openmetrics_text(const Dataset& d) {
  std::string out;
  const auto& defs = port_metrics();
  for (std::size_t m = 0; m < defs.size(); ++m) {
    const auto& def = defs[m];
    bool header = false;
    for (const auto& s : d.series) {
      if (s.metric != static_cast<int>(m)) continue;
      if (!header) out += family_header(def);
      header = true;
      const std::string labels = fmt::format("{{port=\"{}\",from=\"{}\",to=\"{}\"}}", escaped(s.port),
                                             escaped(s.from), escaped(s.to));
      for (std::size_t i = 0; i < s.t_s.size(); ++i)
        out += fmt::format("{}{} {} {}\n", def.name, labels, s.value[i], s.t_s[i]);
    }
  }
  out += "# EOF\n";
  return out;
}

Dataset last_samples(Dataset d) {
  for (auto& s : d.series) {
    s.t_s.erase(s.t_s.begin(), s.t_s.end() - 1);
    s.value.erase(s.value.begin(), s.value.end() - 1);
  }
  return d;
}

std::string openmetrics_families(const std::vector<std::pair<std::string, const Dataset*>>& runs) {
  std::string out;
  const auto& defs = port_metrics();
  for (std::size_t m = 0; m < defs.size(); ++m) {
    const auto& def = defs[m];
    bool header = false;
    for (const auto& [label, d] : runs)
      for (const auto& s : d->series) {
        if (s.metric != static_cast<int>(m)) continue;
        if (!header) out += family_header(def);
        header = true;
        for (std::size_t i = 0; i < s.value.size(); ++i)
          out += fmt::format("{}{{run=\"{}\",port=\"{}\",from=\"{}\",to=\"{}\"}} {}\n", def.name,
                             escaped(label), escaped(s.port), escaped(s.from), escaped(s.to), s.value[i]);
      }
  }
  return out;
}

std::string csv_text(const Dataset& d) {
  const auto& defs = port_metrics();
  std::string out = "time_s,port,from,to";
  for (const auto& def : defs) out += fmt::format(",{}", def.name);
  out += "\n";
  // (time, port order) -> one value per metric.
  std::map<std::string, std::size_t> port_order;
  std::vector<const Series*> first;
  for (const auto& s : d.series)
    if (port_order.emplace(s.port, port_order.size()).second) first.push_back(&s);
  std::map<std::pair<double, std::size_t>, std::vector<std::string>> rows;
  for (const auto& s : d.series) {
    const std::size_t p = port_order[s.port];
    for (std::size_t i = 0; i < s.t_s.size(); ++i) {
      auto& row = rows[{s.t_s[i], p}];
      if (row.empty()) row.resize(defs.size());
      row[static_cast<std::size_t>(s.metric)] = fmt::format("{}", s.value[i]);
    }
  }
  for (const auto& [key, values] : rows) {
    const Series& s = *first[key.second];
    out += fmt::format("{},{},{},{}", key.first, s.port, s.from, s.to);
    for (const auto& v : values) {
      out += ',';
      out += v;
    }
    out += "\n";
  }
  return out;
}

bool write_telemetry_files(const std::string& dir, const Dataset& data) {
  if (data.series.empty()) return false;
  io::write_file_atomic(dir + "/metrics.om", openmetrics_text(data));
  io::write_file_atomic(dir + "/telemetry.csv", csv_text(data));
  return true;
}

}  // namespace aifabric::telemetry
