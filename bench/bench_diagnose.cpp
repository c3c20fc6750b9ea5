// `aifabric diagnose` at the size: an hour of 1-second telemetry from a 4,096-port fabric (the
// ports out of 256 leaves: 8 towards hosts, 8 uplinks), five metrics a port, one link slow and one congested,
// built in memory and diagnosed; then the reader's throughput on the OpenMetrics text of its first minute
// (the same series). Prints the wall times, the samples per second and the findings.
#include <fmt/format.h>

#include <chrono>
#include <sstream>

#include "ops/diagnose.hpp"
#include "telemetry/export.hpp"
#include "telemetry/ingest.hpp"

using namespace aifabric;

namespace {

telemetry::Dataset fabric(std::size_t seconds) {
  telemetry::Dataset d;
  const char* metrics[] = {"aifabric_port_transmit_bytes_total", "aifabric_port_queue_bytes",
                           "aifabric_port_ecn_marked_packets_total", "aifabric_port_speed_bytes_per_second",
                           "aifabric_port_up"};
  std::vector<std::pair<std::string, std::string>> ports;
  for (int l = 0; l < 256; ++l) {
    for (int h = 0; h < 8; ++h) ports.push_back({fmt::format("leaf{}", l), fmt::format("host{}", l * 8 + h)});
    for (int s = 0; s < 8; ++s) ports.push_back({fmt::format("leaf{}", l), fmt::format("spine{}", s)});
  }
  for (std::size_t p = 0; p < ports.size(); ++p)
    for (const char* name : metrics) {
      const int m = telemetry::metric_index(name);
      telemetry::Series s{m, ports[p].first + "->" + ports[p].second, ports[p].first, ports[p].second, {},
                          {}};
      s.t_s.reserve(seconds);
      s.value.reserve(seconds);
      double total = 0;
      for (std::size_t t = 0; t < seconds; ++t) {
        const std::string n = name;
        const bool hot = p == 24 && t >= 600 && t < 900;  // leaf1->spine0 congested for 5 minutes
        double v = 0;
        if (n == "aifabric_port_transmit_bytes_total")
          v = total += (hot ? 0.97 : 0.3 + 0.01 * double(p % 7)) * 12.5e9;
        if (n == "aifabric_port_queue_bytes") v = hot ? 400000 : 0;
        if (n == "aifabric_port_speed_bytes_per_second") v = p == 4000 ? 5e9 : 12.5e9;  // one link at 40G
        if (n == "aifabric_port_up") v = 1;
        s.t_s.push_back(double(t));
        s.value.push_back(v);
      }
      d.series.push_back(std::move(s));
    }
  return d;
}

}  // namespace

int main() {
  auto t0 = std::chrono::steady_clock::now();
  const auto hour = fabric(3600);
  const double built = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  t0 = std::chrono::steady_clock::now();
  const auto d = ops::diagnose(hour);
  const double diagnosed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print(
      "diagnose: {} ports, {} samples (an hour at 1 s) in {:.2f} s ({:.0f} M samples/s; built in {:.2f} s), "
      "{} findings\n",
      d.ports, d.samples, diagnosed, double(d.samples) / diagnosed / 1e6, built, d.findings.size());
  for (const auto& f : d.findings) fmt::print("  {} {} {}\n", f.kind, f.location, f.first_seen_s);
  const std::string text = telemetry::openmetrics_text(fabric(60));
  std::istringstream in(text);
  t0 = std::chrono::steady_clock::now();
  const auto parsed = telemetry::read_telemetry(in, "minute.om", telemetry::Format::kOpenMetrics, {});
  const double read = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print(
      "read: {:.0f} MB of OpenMetrics ({} samples) in {:.2f} s = {:.0f} MB/s; the hour's text ({:.1f} GB) "
      "would take about {:.0f} s to read\n",
      double(text.size()) / 1e6, parsed.samples(), read, double(text.size()) / 1e6 / read,
      double(text.size()) * 60 / 1e9, read * 60);
  return d.findings.size() == 2 ? 0 : 1;
}
