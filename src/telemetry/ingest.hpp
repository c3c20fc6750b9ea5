#pragma once
#include <istream>
#include <map>
#include <string>

#include "telemetry/dataset.hpp"

namespace aifabric::telemetry {

// Other fabrics' counter names mapped onto aifabric's (docs/telemetry.md): a YAML file
//   metrics: {SAI_PORT_STAT_IF_OUT_OCTETS: aifabric_port_transmit_bytes_total,
//             SAI_PORT_STAT_PFC_3_RX_PAUSE_DURATION_US: {name: aifabric_port_pfc_paused_seconds_total,
//                                                        scale: 1e-6}}
//   labels: {port: ifname, from: device, to: neighbor}
// Samples of metrics neither aifabric's nor mapped are skipped.
struct Mapping {
  struct Target {
    std::string name;
    double scale = 1;
  };
  std::map<std::string, Target> metrics;
  std::string port_label = "port", from_label = "from", to_label = "to";
};
Mapping load_mapping(const std::string& path);

enum class Format : std::uint8_t { kAuto, kOpenMetrics, kPrometheus, kCsv };

// Reads telemetry: OpenMetrics text (timestamps in seconds, `# EOF`), Prometheus text (timestamps in
// milliseconds) or aifabric's CSV. kAuto picks by the file name (.csv, .prom, else OpenMetrics). A line
// that is not a sample, a TYPE this reader does not know, a line longer than 64 KiB or content after
// `# EOF` is a core::InputError naming the file and line; a counter that goes backwards (a reset) or a
// file without `# EOF` is a DataQuality entry.
Dataset read_telemetry(std::istream& in, const std::string& source, Format format, const Mapping& mapping);
Dataset read_telemetry_file(const std::string& path, Format format, const Mapping& mapping);

}  // namespace aifabric::telemetry
