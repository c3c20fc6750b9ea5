#pragma once
#include <cstdint>

#include "core/time.hpp"
#include "workload/hardware.hpp"

namespace aifabric::workload {

struct TransformerModel;
struct Parallelism;

// Per-kernel compute times on one GPU from its roofline (docs/models/compute.md): GEMMs quantized into
// tiles and waves over the SMs at the GPU's measured large-GEMM rate, or bound by HBM; attention as
// FlashAttention computes it (its matmuls and the softmax's exponentials on the special-function units);
// element-wise and normalization kernels bound by HBM.

enum class Precision : std::uint8_t { kBf16, kFp8 };               // the GEMMs' inputs; attention stays BF16
enum class Recompute : std::uint8_t { kNone, kSelective, kFull };  // Megatron-LM's activation recompute
// FlashAttention (fused, causal blocks skipped), or the unfused attention Megatron-LM ran before it: two
// batched GEMMs over every score, the fused scale-mask-softmax and attention dropout through HBM.
enum class Attention : std::uint8_t { kFlash, kUnfused };

const char* name(Precision p);
const char* name(Recompute r);
const char* name(Attention a);

// One GEMM, C[m x n] = A[m x k] B[k x n], inputs of `precision`, BF16 output.
struct Gemm {
  double m = 0, n = 0, k = 0;
};

// Every time is in picoseconds, as a double before rounding.
double gemm_ps(const GpuSpec& gpu, const Gemm& g, Precision precision);
// FlashAttention over `batch_heads` (sequences x heads) of `seq` tokens and head dimension `head_dim`.
double attention_forward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim, bool causal);
double attention_backward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim,
                             bool causal);
double unfused_attention_forward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim);
double unfused_attention_backward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim);
// A kernel that moves `bytes` through HBM and does nothing else of note.
double memory_bound_ps(const GpuSpec& gpu, double bytes);

// One transformer layer's compute on one tensor-parallel rank for one micro-batch, split as the iteration
// graph needs it: the attention block and the MLP block, forward and backward (the backward includes what
// the recompute setting makes it redo), and the output layer with the loss (forward and backward together,
// on the last pipeline stage).
struct LayerTimes {
  core::TimePs attention_forward_ps = 0, attention_backward_ps = 0;
  core::TimePs mlp_forward_ps = 0, mlp_backward_ps = 0;
  core::TimePs head_ps = 0;
};

struct KernelOptions {
  Precision precision = Precision::kBf16;
  Recompute recompute = Recompute::kNone;
  bool sequence_parallel = true;  // norms and residuals on 1/tp of the tokens
  Attention attention = Attention::kFlash;
};

LayerTimes layer_times(const TransformerModel& model, const Parallelism& par, const GpuSpec& gpu,
                       const KernelOptions& options);

}  // namespace aifabric::workload
