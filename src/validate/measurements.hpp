#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "api/scenario.hpp"

namespace aifabric::validate {

// What a published measurement reports.
enum class Metric : std::uint8_t {
  kBusBandwidth,  // nccl-tests busbw, GB/s
  kTimeUs,        // nccl-tests time, microseconds (small sizes, where busbw rounds to 0)
};

// One published measurement of a real cluster, with the scenario that describes that cluster and the
// relative error the table allows it. Nothing here is fitted: the scenario is the hardware as its source
// states it, on the GPU presets (docs/models/hardware.md).
struct Measurement {
  std::string id;
  std::string system;  // the hardware, as the source gives it
  std::string source;  // where the figure is (repository and issue, file, or page), and what it is
  std::string scenario;  // YAML: fabric, topology, cluster and the collective section (sizes set per row)
  std::uint64_t bytes = 0;
  Metric metric = Metric::kBusBandwidth;
  double measured = 0;
  double tolerance = 0.15;  // relative
};

// The nccl-tests measurements (docs/validation.md).
const std::vector<Measurement>& nccl_measurements();

struct Check {
  const Measurement* measurement = nullptr;
  double predicted = 0;
  double error = 0;  // predicted / measured - 1
  std::string algorithm, protocol;
  bool within() const;
};

// Runs every measurement's scenario at its size on `model`, rows in table order.
std::vector<Check> run_measurements(api::NetworkModel model);

// The table as markdown, with the median and the largest absolute error and the rows outside their
// tolerance.
std::string checks_markdown(const std::vector<Check>& checks);

}  // namespace aifabric::validate
