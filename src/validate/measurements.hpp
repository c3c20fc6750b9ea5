#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "api/scenario.hpp"

namespace aifabric::validate {

// What a published measurement reports.
enum class Metric : std::uint8_t {
  kBusBandwidth,   // nccl-tests busbw, GB/s
  kTimeUs,         // nccl-tests time, microseconds (small sizes, where busbw rounds to 0)
  kIterationS,     // a training job's step time, seconds
  kTokensPerGpuS,  // a training job's tokens per second per GPU
};

// One published measurement of a real cluster, with the scenario that describes that cluster and the
// relative error the table allows it. Nothing here is fitted: the scenario is the hardware as its source
// states it, on the GPU presets (docs/models/hardware.md).
struct Measurement {
  std::string id;
  std::string system;  // the hardware, as the source gives it
  std::string source;  // where the figure is (repository and issue, file, or page), and what it is
  // YAML: fabric, topology, cluster and either the collective section (sizes set per row) or one training
  // job (the iteration metrics).
  std::string scenario;
  std::uint64_t bytes = 0;  // collectives: the size
  Metric metric = Metric::kBusBandwidth;
  double measured = 0;
  double tolerance = 0.15;  // relative
  // The row the GPU generation's one calibration was fitted on (docs/models/compute.md): shown, not
  // counted in the errors.
  bool calibration = false;
  // Why the model is known to miss this row by more than its tolerance; empty when it should not.
  std::string known_gap = {};
};

// The nccl-tests measurements and the training measurements (docs/validation.md); all of them.
const std::vector<Measurement>& nccl_measurements();
const std::vector<Measurement>& training_measurements();
std::vector<const Measurement*> all_measurements();

struct Check {
  const Measurement* measurement = nullptr;
  double predicted = 0;
  double error = 0;  // predicted / measured - 1
  std::string algorithm, protocol;
  bool within() const;
  bool counted() const { return !measurement->calibration; }
};

// Runs every measurement's scenario (a collective at its size, or a job's iteration) on `model`, rows in
// table order, on `threads` threads (0: one per core; the results do not depend on it).
std::vector<Check> run_measurements(api::NetworkModel model, unsigned threads = 0);
Check run_measurement(const Measurement& m, api::NetworkModel model);

const char* metric_name(Metric m);

// The table as markdown, with the median and the largest absolute error and the rows outside their
// tolerance.
std::string checks_markdown(const std::vector<Check>& checks);

}  // namespace aifabric::validate
