#include "workload/hardware.hpp"

namespace aifabric::workload {
namespace {

struct Compute {
  double peak_tflops, fp8_tflops, sm_count, gemm_efficiency, fp8_gemm_efficiency, attention_forward,
      attention_backward, framework_efficiency;
};
struct Memory {
  double gbytes, tbytes_per_s, efficiency;
};

GpuSpec preset(const char* name, double nvlink_gbytes_per_s, double nvlink_efficiency, Compute c, Memory m) {
  GpuSpec g;
  g.name = name;
  g.nvlink_gbytes_per_s = nvlink_gbytes_per_s;
  g.nvlink_efficiency = nvlink_efficiency;
  // Step latencies: NCCL's ring LL hardware latencies (NVLink 0.6 us, network 2.7 us) and base latency
  // (6.6 us) from src/graph/tuning.cc. Network efficiency: 0.95, from NCCL maintainers' 46-48 GB/s per
  // 400 Gbit/s NDR NIC (the one calibration, applied on top of the fabric's framing).
  g.nvlink_step_us = 0.6;
  g.network_step_us = 2.7;
  g.collective_launch_us = 6.6;
  g.network_efficiency = 0.95;
  g.peak_tflops = c.peak_tflops;
  g.fp8_tflops = c.fp8_tflops;
  g.sm_count = c.sm_count;
  g.gemm_efficiency = c.gemm_efficiency;
  g.fp8_gemm_efficiency = c.fp8_gemm_efficiency;
  g.attention_forward_efficiency = c.attention_forward;
  g.attention_backward_efficiency = c.attention_backward;
  g.framework_efficiency = c.framework_efficiency;
  g.memory_gbytes = m.gbytes;
  g.memory_tbytes_per_s = m.tbytes_per_s;
  g.memory_efficiency = m.efficiency;
  return g;
}

}  // namespace

const std::vector<GpuSpec>& gpu_presets() {
  // Every figure's source is in docs/models/hardware.md and docs/models/compute.md. NVLink: line rate per
  // direction (A100: 12 links x 25 GB/s; H100/H200: 18 x 25) and NCCL's per-link model (SM80_NVLINK_BW
  // 20.0, SM90_NVLINK_BW 20.6 GB/s, src/graph/topo.h), i.e. 20/25 and 20.6/25. Compute: dense peaks and
  // SMs from the data sheets; GEMM efficiencies are the maximum achievable matmul FLOP/s over the peak
  // (A100 271.2/312, H100 794.5/989 BF16 and 1402.6/1979 FP8, H200 FP8 1453.4/1979); attention is
  // FlashAttention-2 on A100 (148 and 175 TFLOP/s causal, 8k) and FlashAttention-3 on H100 (602 forward
  // causal, 8k; backward 559 non-causal scaled by the forward's causal ratio 602/648). Memory: the
  // fraction streaming kernels reach (A100 1.80/2.04, H100 about 3.0/3.35). The framework efficiency is
  // the calibration, one per generation: A100 on Korthikanti et al.'s 175B on 64 GPUs (13.75 s), H100 on
  // the DGX Cloud GPT-3 175B recipe on 128 GPUs in BF16 (8.309 s); the H200 has the H100's.
  static const std::vector<GpuSpec> presets = {
      preset("a100", 300, 0.8, {312, 0, 108, 0.869, 0, 0.474, 0.561, 0.833}, {80, 2.039, 0.88}),
      preset("h100", 450, 20.6 / 25.0, {989, 1979, 132, 0.803, 0.709, 0.609, 0.525, 0.841}, {80, 3.35, 0.90}),
      preset("h200", 450, 20.6 / 25.0, {989, 1979, 132, 0.803, 0.734, 0.609, 0.525, 0.841}, {141, 4.8, 0.90}),
  };
  return presets;
}

const GpuSpec* find_gpu(const std::string& name) {
  for (const auto& g : gpu_presets())
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace aifabric::workload
