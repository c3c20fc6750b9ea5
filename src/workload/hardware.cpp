#include "workload/hardware.hpp"

namespace aifabric::workload {

const std::vector<GpuSpec>& gpu_presets() {
  // NVLink: line rate per direction (A100: 12 links x 25 GB/s; H100/H200: 18 x 25) and NCCL's per-link
  // model (SM80_NVLINK_BW 20.0, SM90_NVLINK_BW 20.6 GB/s, src/graph/topo.h), i.e. 20/25 and 20.6/25.
  // Step latencies: NCCL's ring LL hardware latencies (NVLink 0.6 us, network 2.7 us) and base latency
  // (6.6 us) from src/graph/tuning.cc. Network efficiency: 0.95, from NCCL maintainers' 46-48 GB/s per
  // 400 Gbit/s NDR NIC (the one calibration, applied on top of the fabric's framing).
  static const std::vector<GpuSpec> presets = {
      {"a100", 300, 0.8, 0.6, 2.7, 6.6, 0.95, 312, 80, 2.039},
      {"h100", 450, 20.6 / 25.0, 0.6, 2.7, 6.6, 0.95, 989, 80, 3.35},
      {"h200", 450, 20.6 / 25.0, 0.6, 2.7, 6.6, 0.95, 989, 141, 4.8},
  };
  return presets;
}

const GpuSpec* find_gpu(const std::string& name) {
  for (const auto& g : gpu_presets())
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace aifabric::workload
