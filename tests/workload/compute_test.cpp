// The compute model (docs/models/compute.md): GEMMs on tiles and waves, FlashAttention, memory-bound
// kernels and a layer's times, each against its formula worked by hand.
#include "workload/compute.hpp"

#include <gtest/gtest.h>

#include "workload/training.hpp"

namespace aifabric::workload {
namespace {

const GpuSpec& h100() {
  return *find_gpu("h100");
}

TEST(Gemm, WholeWavesRunAtTheMeasuredRate) {
  // 512 x 8448 x 8192 in 128 x 256 tiles: 4 x 33 = 132 tiles, one per SM, one wave (the other orientation
  // gives 2 x 66, the same). Time = 2 m n k / (989 x 0.803) FLOP/ps = 7.0866e10 / 794.17 = 89.23 us; its
  // memory, (m k + k n) 2 + m n 2 = 155.5 MB at 3.35 x 0.9 TB/s = 51.6 us, is shorter.
  const double t = gemm_ps(h100(), {512, 8448, 8192}, Precision::kBf16);
  EXPECT_NEAR(t, 2.0 * 512 * 8448 * 8192 / (989 * 0.803), 1.0);
}

TEST(Gemm, OneMoreRowStartsASecondWave) {
  // 513 rows: 5 x 33 = 165 tiles (or 3 x 66 = 198), two waves of the first GEMM's tile time.
  const double one = gemm_ps(h100(), {512, 8448, 8192}, Precision::kBf16);
  EXPECT_NEAR(gemm_ps(h100(), {513, 8448, 8192}, Precision::kBf16) / one, 2.0, 1e-12);
}

TEST(Gemm, ThinGemmsAreBoundByMemory) {
  // 128 x 65536 x 8192 (a few rows against a wide weight): 1 x 256 tiles of 128 x 256, two waves of
  // 2 x 128 x 256 x 8192 FLOPs per SM at 794.17 / 132 FLOP/ps, 178.5 us; its bytes, (128 x 8192 + 8192 x
  // 65536) 2 + 128 x 65536 x 2 = 1.093 GB at 3.35 x 0.9 TB/s, take 362.4 us: the memory bound wins.
  const double memory = ((128.0 * 8192 + 8192.0 * 65536) * 2 + 128.0 * 65536 * 2) / (3.35 * 0.9);
  EXPECT_NEAR(gemm_ps(h100(), {128, 65536, 8192}, Precision::kBf16), memory, 1.0);
}

TEST(Gemm, Fp8RunsAtItsOwnMeasuredRate) {
  // Compute-bound: the ratio of the FP8 and BF16 rates, (1979 x 0.709) / (989 x 0.803) = 1.767.
  const Gemm g{8192, 8448, 8192};
  EXPECT_NEAR(gemm_ps(h100(), g, Precision::kBf16) / gemm_ps(h100(), g, Precision::kFp8),
              1979 * 0.709 / (989 * 0.803), 1e-9);
  // The A100 has no FP8: the same time as BF16.
  const GpuSpec& a100 = *find_gpu("a100");
  EXPECT_EQ(gemm_ps(a100, g, Precision::kFp8), gemm_ps(a100, g, Precision::kBf16));
}

TEST(Attention, FlashAttentionAtItsMeasuredRates) {
  // 32 heads of 8192 tokens, d = 128, causal: 4 s^2 d heads / 2 = 5.50e11 FLOPs forward at 989 x 0.609
  // FLOP/ps; the backward 2.5 times the FLOPs at 989 x 0.525.
  const double flops = 4.0 * 8192 * 8192 * 128 * 32 / 2;
  EXPECT_NEAR(attention_forward_ps(h100(), 32, 8192, 128, true), flops / (989 * 0.609), 1.0);
  EXPECT_NEAR(attention_backward_ps(h100(), 32, 8192, 128, true), 2.5 * flops / (989 * 0.525), 1.0);
  EXPECT_NEAR(
      attention_forward_ps(h100(), 32, 8192, 128, false) / attention_forward_ps(h100(), 32, 8192, 128, true),
      2.0, 1e-12);
}

TEST(Attention, UnfusedPaysForEveryScoreInMemory) {
  // Unfused: two batched GEMMs over all s^2 scores plus 9 bytes per score through HBM; slower than
  // FlashAttention by at least the memory term: 32 x 2048^2 x 9 bytes / 3.015 TB/s = 400 us.
  const double memory = 9.0 * 2048 * 2048 * 32 / (3.35 * 0.9);
  const double unfused = unfused_attention_forward_ps(h100(), 32, 2048, 128);
  EXPECT_GT(unfused, memory);
  EXPECT_GT(unfused, attention_forward_ps(h100(), 32, 2048, 128, true));
}

TransformerModel llama8b() {
  TransformerModel m;
  m.layers = 32;
  m.hidden = 4096;
  m.heads = 32;
  m.kv_heads = 8;
  m.ffn_hidden = 14336;
  m.seq_len = 8192;
  m.vocab = 128256;
  return m;
}

TEST(LayerTimes, NoFasterThanTheRooflineAndCloseToIt) {
  // A Llama-3-8B layer, TP 1, one sequence of 8192 tokens. Its GEMMs: 2 x 8192 x (4096 x (4096 + 2 x 1024)
  // + 4096^2 + 3 x 4096 x 14336) = 3.57 TFLOP at 989 x 0.803 FLOP/ps; causal attention: 4 x 8192^2 x 128 x
  // 32 / 2 = 5.50e11 FLOPs at 989 x 0.609. The forward takes at least their sum over the framework
  // efficiency 0.841, and within 15% of it: the rest is element-wise traffic (norms and residuals 20 h,
  // rotary 4 (4096 + 1024), the SwiGLU 6 x 14336 bytes per token: 1.54 GB, 0.51 ms, about 8%) and wave
  // quantization (2-3% on each GEMM).
  Parallelism par;
  par.micro_batch_size = 1;
  const auto t = layer_times(llama8b(), par, h100(), {});
  const double gemm =
      2.0 * 8192 * (4096.0 * (4096 + 2 * 1024) + 4096.0 * 4096 + 3.0 * 4096 * 14336) / (989 * 0.803);
  const double attention = 4.0 * 8192 * 8192 * 128 * 32 / 2 / (989 * 0.609);
  const double floor = (gemm + attention) / 0.841;
  const double forward = static_cast<double>(t.attention_forward_ps + t.mlp_forward_ps);
  EXPECT_GE(forward, floor);
  EXPECT_LE(forward, 1.15 * floor);
}

TEST(LayerTimes, RecomputeAddsTheForwardItRedoes) {
  Parallelism par;
  const auto none = layer_times(llama8b(), par, h100(), {});
  KernelOptions full;
  full.recompute = Recompute::kFull;
  const auto f = layer_times(llama8b(), par, h100(), full);
  // Full: the backward of each block grows by its forward (each rounded to the picosecond once).
  EXPECT_NEAR(static_cast<double>(f.attention_backward_ps - none.attention_backward_ps),
              static_cast<double>(none.attention_forward_ps), 2.0);
  EXPECT_NEAR(static_cast<double>(f.mlp_backward_ps - none.mlp_backward_ps),
              static_cast<double>(none.mlp_forward_ps), 2.0);
  // Selective: only the attention core, 5.5e11 / 602.3 FLOP/ps over the framework efficiency.
  KernelOptions selective;
  selective.recompute = Recompute::kSelective;
  const auto s = layer_times(llama8b(), par, h100(), selective);
  EXPECT_NEAR(static_cast<double>(s.attention_backward_ps - none.attention_backward_ps),
              attention_forward_ps(h100(), 32, 8192, 128, true) / 0.841, 2.0);
  EXPECT_EQ(s.mlp_backward_ps, none.mlp_backward_ps);
}

TEST(LayerTimes, TensorParallelismSplitsTheWork) {
  // TP 8 divides every GEMM's width and the heads by 8: each rank's forward is about an eighth, a little
  // more for wave quantization and the replicated norms (sequence parallelism divides those too).
  Parallelism one, eight;
  eight.tp = 8;
  const auto a = layer_times(llama8b(), one, h100(), {});
  const auto b = layer_times(llama8b(), eight, h100(), {});
  const double ratio = static_cast<double>(a.mlp_forward_ps) / static_cast<double>(b.mlp_forward_ps);
  EXPECT_GT(ratio, 7.0);
  EXPECT_LE(ratio, 8.0 + 1e-9);
}

}  // namespace
}  // namespace aifabric::workload
