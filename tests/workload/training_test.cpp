// Training iterations: the model's size, and iteration times computed by hand on an ideal network.
#include "workload/training.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "api/assess.hpp"
#include "io/scenario_loader.hpp"

namespace aifabric {
namespace {

TEST(TransformerModel, Llama70bHasSeventyBillionParameters) {
  // 80 layers x (attention 2h^2 + 2h(h kv/heads) + gated MLP 3 h ffn) + untied embeddings 2 V h
  // = 80 x (134.2M + 16.8M + 704.6M) + 2.1B = 70.55B.
  workload::TransformerModel m{80, 8192, 64, 8, 28672, 4096, 128256, 0, 0};
  EXPECT_NEAR(m.params() / 1e9, 70.55, 0.05);
  // A mixture of 8 experts, 2 per token: 8 MLPs of parameters, 2 of compute.
  workload::TransformerModel moe = m;
  moe.experts = 8;
  moe.top_k = 2;
  EXPECT_NEAR(moe.layer_params() - m.layer_params(), 7 * 3.0 * 8192 * 28672, 1.0);
  EXPECT_NEAR(moe.active_layer_params() - m.active_layer_params(), 3.0 * 8192 * 28672, 1.0);
}

// A small model on hosts of 1 GPU each with round numbers: 400G NICs, 1 us links, no step latencies and a
// network efficiency of 1, so every time below can be written down. Transfers take less time than a
// stage's compute, so no two of them share a NIC.
std::string small_job(const std::string& parallelism) {
  return fmt::format(R"(
fabric: {{kind: infiniband}}
topology: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: 2, link: {{rate_gbps: 400, latency_ns: 1000, mtu_bytes: 4096}}}}
cluster: {{gpu: h100, gpus_per_server: 1, nvlink_step_us: 0, network_step_us: 0, collective_launch_us: 0,
          network_efficiency: 1}}
jobs:
  - name: small
    model: {{layers: 4, hidden: 1024, heads: 8, ffn_hidden: 4096, seq_len: 1024, vocab: 1000}}
    parallelism: {}
    gpu_efficiency: 0.5
)",
                     parallelism);
}

struct Times {
  double attn_ps, mlp_ps, head_ps;
};
// Per layer and micro-batch, forward: attention 2 x P_attn x T + 2 T s h FLOPs, MLP 2 x P_mlp x T, at
// 989 TFLOP/s x 0.5; the output layer 3 x 2 h V T (its forward and backward together).
Times times() {
  const double rate = 989e12 * 0.5 / 1e12;  // FLOP per ps
  const double h = 1024, T = 1024, s = 1024, ffn = 4096, V = 1000;
  const double attn = 2 * (2 * h * h + 2 * h * h) * T + 2 * T * s * h;
  const double mlp = 2 * 3 * h * ffn * T;
  return {std::ceil(attn / rate), std::ceil(mlp / rate), std::ceil(3 * 2 * h * V * T / rate)};
}

TEST(TrainingIteration, DataParallelTimeIsComputePlusTheGradientAllReduce) {
  // DP = 2, one micro-batch, one gradient bucket, ZeRO-0: forward F = 4 (attn + mlp), backward 2F, the
  // output layer, then the all-reduce of all gradients (bf16: 2 bytes x 4 layers x (4h^2 + 3 h ffn) =
  // 33.6 MB) over 2 ranks: 2 steps of S/2, each at the NIC's payload rate 400G x 4096/4122 (InfiniBand
  // framing) plus the path latency (2 x 1 us + one 4122-byte packet stored at the leaf: 82.44 ns); then
  // the optimizer step, memory-bound: 16 bytes x parameters / 3.35 TB/s.
  const auto sc = io::load_scenario_text(
      small_job("{tp: 1, pp: 1, dp: 2, micro_batches: 1, dp_buckets: 1, zero: 0}"), "test.yaml");
  const auto a = api::assess(sc);
  const Times t = times();
  const double f = 4 * (t.attn_ps + t.mlp_ps);
  const double params = 4 * (4.0 * 1024 * 1024 + 3.0 * 1024 * 4096);
  const double bytes = 2 * params;
  const double rate = 400e9 / 8 * 4096.0 / 4122.0 / 1e12;  // bytes per ps
  const double step = std::ceil(bytes / 2 / rate) + 2'000'000 + 82'440;
  const double optimizer = std::ceil(16 * params / (3.35e12 / 1e12));
  const double want = f + t.head_ps + 2 * f + 2 * step + optimizer;
  const double got = static_cast<double>(a.jobs[0].ideal.iteration_ps);
  EXPECT_NEAR(got / want, 1.0, 1e-6) << "simulated " << got << " ps, by hand " << want << " ps";
  // The whole all-reduce is exposed: it starts after the backward pass.
  EXPECT_NEAR(a.jobs[0].ideal.exposed_us.at("dp"),
              core::ps_to_us(static_cast<core::TimePs>(2 * step + optimizer)) -
                  core::ps_to_us(static_cast<core::TimePs>(optimizer)),
              0.01);
}

TEST(TrainingIteration, PipelineFollowsTheOneForwardOneBackwardSchedule) {
  // PP = 2, M = 2 micro-batches, forward f per stage (plus the output layer h on the last), backward
  // b = 2f, activation or gradient transfer x (one micro-batch: T h x 2 bytes = 2 MiB; x < f).
  // Stage 0 runs F0 F1 B0 B1, stage 1 runs F0 B0 F1 B1:
  //   stage 1: F0 ends f + x + f + h; B0 ends that + b; F1 + h then B1 end at f + x + 2(f + h + b);
  //   stage 0: B1 waits for the last gradient: f + 2x + 2(f + h + b), then runs b.
  // Then each stage's optimizer step (parameters of 2 layers, 16 bytes each, at 3.35 TB/s).
  const auto sc = io::load_scenario_text(small_job("{tp: 1, pp: 2, dp: 1, micro_batches: 2, dp_buckets: 1}"),
                                         "test.yaml");
  const auto a = api::assess(sc);
  const Times t = times();
  const double f = 2 * (t.attn_ps + t.mlp_ps), b = 2 * f;
  const double rate = 400e9 / 8 * 4096.0 / 4122.0 / 1e12;
  const double x = std::ceil(1024.0 * 1024 * 2 / rate) + 2'000'000 + 82'440;
  const double params_per_stage = 2 * (4.0 * 1024 * 1024 + 3.0 * 1024 * 4096);
  const double optimizer = std::ceil(16 * params_per_stage / (3.35e12 / 1e12));
  const double want = f + 2 * x + 2 * (f + t.head_ps + b) + b + optimizer;
  const double got = static_cast<double>(a.jobs[0].ideal.iteration_ps);
  EXPECT_NEAR(got / want, 1.0, 1e-6) << "simulated " << got << " ps, by hand " << want << " ps";
}

}  // namespace
}  // namespace aifabric
