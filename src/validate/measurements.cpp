#include "validate/measurements.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "api/collective_sweep.hpp"
#include "io/scenario_loader.hpp"
#include "workload/collectives.hpp"

namespace aifabric::validate {
namespace {

// A rail-optimized cluster of `servers` x 8 GPUs, one NIC per GPU at `nic_gbps` on its own rail, and its
// collective section (`collective`: op and, where the source fixed them, NCCL_ALGO / NCCL_PROTO).
std::string cluster(const std::string& gpu, std::uint32_t servers, double nic_gbps, const std::string& fabric,
                    const std::string& collective) {
  return fmt::format(R"(fabric: {{kind: {}}}
topology: {{kind: rail_optimized, scalable_units: 1, servers_per_unit: {}, gpus_per_server: 8,
           link: {{rate_gbps: {}, latency_ns: 500, mtu_bytes: 4096}}}}
cluster: {{gpu: {}}}
collective: {{{}}}
)",
                     fabric, servers, nic_gbps, gpu, collective);
}

}  // namespace

bool Check::within() const { return std::abs(error) <= measurement->tolerance; }

const std::vector<Measurement>& nccl_measurements() {
  using enum Metric;
  static const std::vector<Measurement> rows = {
      {"h100-1x8-ring-4G", "8 x H100 SXM, NVLink, NCCL_ALGO=Ring (NVLS off)",
       "NVIDIA/nccl-tests#212 (sjeaugey): \"effective NVLink bandwidth of 370GB/s\" at large sizes",
       cluster("h100", 1, 400, "infiniband", "op: all_reduce, algorithm: ring"), 4'294'967'296, kBusBandwidth,
       370.0},
      {"h100-1x8-ring-2G", "8 x H100 SXM, NVLink, Ring, 2-8 GPUs",
       "NVIDIA/nccl#1455 (user report): 365-370 GB/s at 2-4 GB with Ring; the low end",
       cluster("h100", 1, 400, "infiniband", "op: all_reduce, algorithm: ring"), 2'147'483'648, kBusBandwidth,
       365.0},
      {"a100-1x8-1G", "AWS p4dn, 8 x A100-40GB SXM, NVLink", "NVIDIA/nccl#527: all_reduce_perf 1 GB busbw 230.77",
       cluster("a100", 1, 200, "infiniband", "op: all_reduce"), 1'073'741'824, kBusBandwidth, 230.77},
      {"a100-1x8-4G", "8 x A100 SXM, NVLink", "NVIDIA/nccl-tests#175: all_reduce_perf 4 GB busbw 232.54",
       cluster("a100", 1, 200, "infiniband", "op: all_reduce"), 4'294'967'296, kBusBandwidth, 232.54},
      {"a100-8x8-ib200", "DGX A100, 8 x 200G HDR InfiniBand per server, several servers",
       "NVIDIA/nccl#812 (AddyLaddy, quoted in nccl#1576): 192 GB/s all-reduce busbw across DGX A100s; the "
       "server count is not stated (8 here: the NIC bound does not depend on it)",
       cluster("a100", 8, 200, "infiniband", "op: all_reduce"), 8'589'934'592, kBusBandwidth, 192.0},
      {"h100-16x8-ib400", "H100 servers, 8 x 400G NDR InfiniBand, at scale",
       "NCCL team, GTC'24 slide quoted in NVIDIA/nccl#1649: 370-380 GB/s all-reduce busbw (no SHARP ~380); "
       "the midpoint, 16 servers",
       cluster("h100", 16, 400, "infiniband", "op: all_reduce"), 8'589'934'592, kBusBandwidth, 375.0},
  };
  return rows;
}

std::vector<Check> run_measurements(api::NetworkModel model) {
  std::vector<Check> out;
  for (const auto& m : nccl_measurements()) {
    const auto sc = io::load_scenario_text(m.scenario, "validation:" + m.id);
    const auto spec = api::tuned_spec(sc, m.bytes);
    const auto row = api::run_collective(sc, spec, model);
    Check c;
    c.measurement = &m;
    c.predicted = m.metric == Metric::kBusBandwidth ? row.busbw_gbytes_per_s : core::ps_to_us(row.time_ps);
    c.error = c.predicted / m.measured - 1;
    c.algorithm = workload::name(row.algorithm);
    c.protocol = workload::name(row.protocol);
    out.push_back(c);
  }
  return out;
}

std::string checks_markdown(const std::vector<Check>& checks) {
  std::string s =
      "| id | system | size (B) | metric | measured | aifabric | error | algorithm / protocol | source |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  std::vector<double> errors;
  std::size_t outside = 0;
  for (const auto& c : checks) {
    const auto& m = *c.measurement;
    s += fmt::format("| {} | {} | {} | {} | {:.2f} | {:.2f} | {:+.1f}%{} | {} / {} | {} |\n", m.id, m.system,
                     m.bytes, m.metric == Metric::kBusBandwidth ? "busbw GB/s" : "time us", m.measured,
                     c.predicted, 100 * c.error, c.within() ? "" : " (outside)", c.algorithm, c.protocol,
                     m.source);
    errors.push_back(std::abs(c.error));
    outside += c.within() ? 0 : 1;
  }
  std::sort(errors.begin(), errors.end());
  const double median = errors.empty() ? 0
                        : errors.size() % 2 ? errors[errors.size() / 2]
                                            : (errors[errors.size() / 2 - 1] + errors[errors.size() / 2]) / 2;
  s += fmt::format("\n{} rows; median absolute error {:.1f}%, largest {:.1f}%; {} outside their tolerance.\n",
                   checks.size(), 100 * median, errors.empty() ? 0.0 : 100 * errors.back(), outside);
  return s;
}

}  // namespace aifabric::validate
