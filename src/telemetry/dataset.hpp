#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace aifabric::telemetry {

// The per-port metrics aifabric writes and reads (docs/telemetry.md), each declared once here with its
// counterparts in real fabrics' counters.
enum class MetricKind : std::uint8_t { kCounter, kGauge };
struct MetricDef {
  const char* name;  // the sample name ("aifabric_port_transmit_bytes_total")
  MetricKind kind;
  const char* unit;  // OpenMetrics UNIT ("bytes", "seconds") or "" when the name has no base unit
  const char* help;
  const char* sonic;       // SONiC COUNTERS_DB / SAI name
  const char* openconfig;  // OpenConfig path
  const char* infiniband;  // IB PerfMgmt / UFM name
  const char* nic;         // mlx5 ethtool / RDMA hw_counters
};
const std::vector<MetricDef>& port_metrics();
// The index of `name` in port_metrics(), or -1.
int metric_index(const std::string& name);
// The mapping table of docs/telemetry.md.
std::string metric_reference_markdown();

// One time series: a metric of one port (labels port, from, to), samples in time order. Times are
// seconds from the start of the run (simulated) or of the dump (real).
struct Series {
  int metric = -1;  // index into port_metrics()
  std::string port, from, to;
  std::vector<double> t_s, value;
};

// A problem with the data itself, reported beside the findings (a counter that went backwards, a file
// cut short), never a reason to stop.
struct DataQuality {
  std::string what;
  std::string where;  // series or line
  double t_s = 0;
};

struct Dataset {
  std::string source;
  std::vector<Series> series;  // ordered by metric, then port name
  std::vector<DataQuality> quality;
  std::size_t samples() const;
};

}  // namespace aifabric::telemetry
