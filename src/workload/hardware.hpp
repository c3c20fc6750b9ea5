#pragma once
#include <string>
#include <vector>

namespace aifabric::workload {

// A GPU and its server's scale-up domain. Every figure's public source is in docs/models/hardware.md.
struct GpuSpec {
  std::string name;
  double nvlink_gbytes_per_s = 0;   // NVLink line rate per GPU and direction, GB/s
  double nvlink_efficiency = 0;     // achievable fraction of it (NCCL's own per-link model)
  double nvlink_step_us = 0;        // latency of one collective step over NVLink
  double network_step_us = 0;       // latency of one step over the network: NIC, PCIe, proxy
  double collective_launch_us = 0;  // fixed latency of launching one collective
  double network_efficiency = 0;    // NCCL's network transport: achievable fraction of the payload rate
  double peak_tflops = 0;           // dense BF16
  double fp8_tflops = 0;            // dense FP8; 0 = none (GEMMs asked for FP8 run at BF16)
  double sm_count = 0;              // streaming multiprocessors
  // Measured fractions of peak (docs/models/compute.md): the best large GEMM in BF16 and in FP8, and
  // causal FlashAttention forward and backward at long sequences, head dimension 128.
  double gemm_efficiency = 0, fp8_gemm_efficiency = 0;
  double attention_forward_efficiency = 0, attention_backward_efficiency = 0;
  // The one calibration of the compute model, per GPU generation: the fraction of the kernels' roofline
  // times a training framework sustains end to end (gaps between kernels, clocks under the power limit),
  // fitted once on one stated measurement (docs/models/compute.md).
  double framework_efficiency = 1;
  double memory_efficiency = 0;  // achievable fraction of memory bandwidth in streaming kernels
  double memory_gbytes = 0;
  double memory_tbytes_per_s = 0;
};

const std::vector<GpuSpec>& gpu_presets();
// nullptr when unknown.
const GpuSpec* find_gpu(const std::string& name);

}  // namespace aifabric::workload
