#include "workload/compute.hpp"

#include <algorithm>
#include <cmath>

#include "workload/training.hpp"

namespace aifabric::workload {
namespace {

constexpr double kBf16 = 2.0;
// cuBLAS's most efficient thread-block tiles on A100 and H100, in either orientation (NVIDIA's Matrix
// Multiplication Background guide, section 2.3; docs/models/compute.md).
constexpr double kTileShort = 128, kTileLong = 256;

double peak_flop_per_ps(const GpuSpec& gpu, Precision p) {  // TFLOP/s is FLOP/ps
  if (p == Precision::kFp8 && gpu.fp8_tflops > 0) return gpu.fp8_tflops * gpu.fp8_gemm_efficiency;
  return gpu.peak_tflops * gpu.gemm_efficiency;
}

double waves_ps(const GpuSpec& gpu, double m, double n, double k, double flop_per_ps) {
  const double per_sm = flop_per_ps / gpu.sm_count;
  const double tile_flops = 2 * kTileShort * kTileLong * k;
  auto time = [&](double tm, double tn) {
    const double tiles = std::ceil(m / tm) * std::ceil(n / tn);
    return std::ceil(tiles / gpu.sm_count) * tile_flops / per_sm;
  };
  return std::min(time(kTileShort, kTileLong), time(kTileLong, kTileShort));
}

// FlashAttention's own count: 4 s^2 d per head forward (S = Q K^T and O = P V), halved by the causal
// mask; the backward's 5 matmuls are 2.5 times that. Its measured rate includes the softmax and masking.
double attention_flops(double batch_heads, double seq, double head_dim, bool causal) {
  return 4 * seq * seq * head_dim * batch_heads / (causal ? 2 : 1);
}

double backward_gemms_ps(const GpuSpec& gpu, const Gemm& g, Precision p) {
  // The input gradient dA = dC B^T and the weight gradient dB = A^T dC.
  return gemm_ps(gpu, {g.m, g.k, g.n}, p) + gemm_ps(gpu, {g.k, g.n, g.m}, p);
}

}  // namespace

const char* name(Precision p) {
  return p == Precision::kFp8 ? "fp8" : "bf16";
}
const char* name(Attention a) {
  return a == Attention::kUnfused ? "unfused" : "flash";
}
const char* name(Recompute r) {
  switch (r) {
    case Recompute::kNone:
      return "none";
    case Recompute::kSelective:
      return "selective";
    case Recompute::kFull:
      return "full";
  }
  return "?";
}

double memory_bound_ps(const GpuSpec& gpu, double bytes) {
  return bytes / (gpu.memory_tbytes_per_s * gpu.memory_efficiency);  // TB/s is bytes/ps
}

double gemm_ps(const GpuSpec& gpu, const Gemm& g, Precision precision) {
  const double in = precision == Precision::kFp8 ? 1.0 : kBf16;
  const double bytes = (g.m * g.k + g.k * g.n) * in + g.m * g.n * kBf16;
  return std::max(waves_ps(gpu, g.m, g.n, g.k, peak_flop_per_ps(gpu, precision)),
                  memory_bound_ps(gpu, bytes));
}

double attention_forward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim,
                            bool causal) {
  const double compute = attention_flops(batch_heads, seq, head_dim, causal) /
                         (gpu.peak_tflops * gpu.attention_forward_efficiency);
  return std::max(compute, memory_bound_ps(gpu, 4 * seq * head_dim * batch_heads * kBf16));  // Q, K, V, O
}

double attention_backward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim,
                             bool causal) {
  const double compute = 2.5 * attention_flops(batch_heads, seq, head_dim, causal) /
                         (gpu.peak_tflops * gpu.attention_backward_efficiency);
  // Q, K, V, O and dO read; dQ, dK and dV written.
  return std::max(compute, memory_bound_ps(gpu, 8 * seq * head_dim * batch_heads * kBf16));
}

namespace {

// Unfused attention's two batched GEMMs over every score of every head, the heads' rows stacked:
// S = Q K^T and O = P V (the mask is applied after), the scores written by the first.
double score_gemms_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim) {
  return gemm_ps(gpu, {seq * batch_heads, seq, head_dim}, Precision::kBf16) +
         gemm_ps(gpu, {seq * batch_heads, head_dim, seq}, Precision::kBf16);
}

}  // namespace

double unfused_attention_forward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim) {
  // The score GEMMs; scale-mask-softmax reads and writes the scores (4 bytes each), dropout reads them and
  // writes them with a 1-byte mask (5 bytes).
  return score_gemms_ps(gpu, batch_heads, seq, head_dim) + memory_bound_ps(gpu, 9 * seq * seq * batch_heads);
}

double unfused_attention_backward_ps(const GpuSpec& gpu, double batch_heads, double seq, double head_dim) {
  // Input and weight gradients of both GEMMs (4 of them); dropout's backward reads the gradient and the
  // mask and writes (5 bytes per score), softmax's reads its output and the gradient and writes (6).
  return 2 * score_gemms_ps(gpu, batch_heads, seq, head_dim) +
         memory_bound_ps(gpu, 11 * seq * seq * batch_heads);
}

LayerTimes layer_times(const TransformerModel& m, const Parallelism& par, const GpuSpec& gpu,
                       const KernelOptions& o) {
  const double tp = par.tp;
  // A context-parallel rank holds 1/cp of the sequence (in 2 cp chunks, so the causal work is balanced)
  // and computes 1/cp of its attention, its queries against the whole sequence's keys.
  const double tokens = static_cast<double>(par.micro_batch_size) * m.seq_len / par.cp;
  const double h = m.hidden;
  const double f = m.ffn_hidden == 0 ? 4.0 * m.hidden : m.ffn_hidden;
  const double kv_heads = m.kv_heads == 0 ? m.heads : m.kv_heads;
  const double head_dim = h / m.heads;
  const double q_out = h / tp, kv_out = 2 * head_dim * kv_heads / tp;
  const double norm_tokens = o.sequence_parallel ? tokens / tp : tokens;
  const Precision p = o.precision;

  // Attention block: norm, QKV projection, rotary embedding of Q and K, FlashAttention, output projection,
  // residual add. Norm: h read and h written, 4h bytes; residual: 2h read, h written, 6h bytes; rotary: Q
  // and K read and written.
  const Gemm qkv{tokens, q_out + kv_out, h}, proj{tokens, h, h / tp};
  const double heads_here = m.heads / tp * par.micro_batch_size;
  const bool flash = o.attention == Attention::kFlash;
  const double attn_core_fwd = (flash ? attention_forward_ps(gpu, heads_here, m.seq_len, head_dim, true)
                                      : unfused_attention_forward_ps(gpu, heads_here, m.seq_len, head_dim)) /
                               par.cp;
  const double attn_core_bwd = (flash ? attention_backward_ps(gpu, heads_here, m.seq_len, head_dim, true)
                                      : unfused_attention_backward_ps(gpu, heads_here, m.seq_len, head_dim)) /
                               par.cp;
  const double attn_elementwise =
      memory_bound_ps(gpu, 10 * h * norm_tokens + 2 * (q_out + kv_out / 2) * tokens * kBf16);
  const double attn_fwd = gemm_ps(gpu, qkv, p) + attn_core_fwd + gemm_ps(gpu, proj, p) + attn_elementwise;
  double attn_bwd =
      backward_gemms_ps(gpu, qkv, p) + attn_core_bwd + backward_gemms_ps(gpu, proj, p) + 2 * attn_elementwise;

  // MLP block: norm, up (and gate) projection, activation, down projection, residual add. A mixture of
  // experts routes each token to top_k experts; this rank holds experts / ep of them and computes its share
  // of their GEMMs (1/tp of each expert's width), the tokens permuted to the experts and back.
  const double up = (m.gated ? 2 : 1) * f / tp;
  const double activation_bytes_per_token = (m.gated ? 3 : 2) * f / tp * kBf16;
  double mlp_fwd = memory_bound_ps(gpu, 10 * h * norm_tokens);
  double mlp_bwd = 2 * mlp_fwd;
  auto experts_block = [&](double count, double rows, double routed_tokens) {
    const Gemm fc1{rows, up, h}, fc2{rows, h, f / tp};
    const double act = memory_bound_ps(gpu, activation_bytes_per_token * routed_tokens);
    mlp_fwd += count * (gemm_ps(gpu, fc1, p) + gemm_ps(gpu, fc2, p)) + act;
    mlp_bwd += count * (backward_gemms_ps(gpu, fc1, p) + backward_gemms_ps(gpu, fc2, p)) + 2 * act;
  };
  if (m.experts == 0) {
    experts_block(1, tokens, tokens);
  } else {
    const double local = static_cast<double>(m.experts) / par.ep;
    const double routed = tokens * m.top_k;  // token copies this rank's experts compute, balanced
    const Gemm router{tokens, static_cast<double>(m.experts), h};
    const double permute = memory_bound_ps(gpu, 2 * 2 * h * routed * kBf16);  // dispatch and combine
    mlp_fwd += gemm_ps(gpu, router, p) + permute;
    mlp_bwd += backward_gemms_ps(gpu, router, p) + 2 * permute;
    experts_block(local, routed / local, routed);
  }

  switch (o.recompute) {
    case Recompute::kNone:
      break;
    case Recompute::kSelective:  // the attention core is recomputed (Korthikanti et al. 2022)
      attn_bwd += attn_core_fwd;
      break;
    case Recompute::kFull:  // the whole layer's forward runs again before its backward
      attn_bwd += attn_fwd;
      mlp_bwd += mlp_fwd;
      break;
  }

  // Output layer and loss: the vocabulary-parallel logits GEMM, forward and backward, and the cross
  // entropy in fp32: the logits read (2 bytes) and their softmax written (4), then read (4) and the
  // gradient written (2).
  const Gemm logits{tokens, m.vocab / tp, h};
  const double head = gemm_ps(gpu, logits, p) + backward_gemms_ps(gpu, logits, p) +
                      memory_bound_ps(gpu, 12 * tokens * m.vocab / tp);
  // The framework's sustained fraction of the roofline (the calibration) stretches every kernel alike.
  auto ps = [&](double t) { return static_cast<core::TimePs>(std::ceil(t / gpu.framework_efficiency)); };
  return {ps(attn_fwd), ps(attn_bwd), ps(mlp_fwd), ps(mlp_bwd), ps(head)};
}

}  // namespace aifabric::workload
