// Training iterations: the model's size, and iteration times computed by hand on an ideal network.
#include "workload/training.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "api/assess.hpp"
#include "api/collective_sweep.hpp"
#include "api/execute.hpp"
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

TEST(TrainingIteration, InterleavedScheduleFollowsMegatronsOrder) {
  // PP = 2 with 2 chunks of 2 layers each (8 layers), M = 2. Per chunk: forward f = 2 (attn + mlp),
  // backward b = 2f, the output layer h after the last chunk's forward, a transfer x (x < f / 2 here).
  // Megatron's order: stage 0 warms up with (2 - 0 - 1) 2 + (2 - 1) 2 = 4 forwards F(c0 m0) F(c0 m1)
  // F(c1 m0) F(c1 m1), then B(c1 m0) B(c1 m1) B(c0 m0) B(c0 m1); stage 1 with 2: F(c0 m0) F(c0 m1), then
  // F(c1 m0) B(c1 m0) F(c1 m1) B(c1 m1), then B(c0 m0) B(c0 m1). Followed through (each op starts when its
  // stage is free and its input has arrived), stage 0's last backward ends at 5f + 6x + 2h + 5b, then its
  // optimizer step (4 layers' parameters). Plain 1F1B on the same job takes 6f + 2x + 2h + 6b + step:
  // interleaving saves f + b - 4x of bubble.
  std::string yaml = small_job("{tp: 1, pp: 2, dp: 1, micro_batches: 2, dp_buckets: 2, virtual_stages: 2}");
  yaml.replace(yaml.find("layers: 4"), 9, "layers: 8");
  const auto a = api::assess(io::load_scenario_text(yaml, "test.yaml"));
  const Times t = times();
  const double f = 2 * (t.attn_ps + t.mlp_ps), b = 2 * f;
  const double rate = 400e9 / 8 * 4096.0 / 4122.0 / 1e12;
  const double x = std::ceil(1024.0 * 1024 * 2 / rate) + 2'000'000 + 82'440;
  ASSERT_LT(x, f / 2);
  const double optimizer = std::ceil(16 * 4 * (4.0 * 1024 * 1024 + 3.0 * 1024 * 4096) / (3.35e12 / 1e12));
  const double want = 5 * f + 6 * x + 2 * t.head_ps + 5 * b + optimizer;
  const double got = static_cast<double>(a.jobs[0].ideal.iteration_ps);
  EXPECT_NEAR(got / want, 1.0, 1e-6) << "simulated " << got << " ps, by hand " << want << " ps";
  std::string plain_yaml = small_job("{tp: 1, pp: 2, dp: 1, micro_batches: 2, dp_buckets: 2}");
  plain_yaml.replace(plain_yaml.find("layers: 4"), 9, "layers: 8");
  const auto plain = api::assess(io::load_scenario_text(plain_yaml, "test.yaml"));
  const double plain_want = 6 * f + 2 * x + 2 * t.head_ps + 6 * b + optimizer;
  EXPECT_NEAR(static_cast<double>(plain.jobs[0].ideal.iteration_ps) / plain_want, 1.0, 1e-6);
}

TEST(TrainingIteration, KernelModelTimesTheComputeWhenNoEfficiencyIsGiven) {
  // The same job without gpu_efficiency: one GPU, one micro-batch; the iteration is the layer times of
  // the compute model (4 layers forward and backward, the output layer) and the optimizer step.
  std::string yaml = small_job("{tp: 1, pp: 1, dp: 1, micro_batches: 1, dp_buckets: 1}");
  yaml.replace(yaml.find("    gpu_efficiency: 0.5\n"), 24, "    gpus: 1\n");
  const auto sc = io::load_scenario_text(yaml, "test.yaml");
  ASSERT_EQ(sc.jobs[0].gpu_efficiency, 0);
  const auto lt = workload::layer_times(sc.jobs[0].model, sc.jobs[0].par, sc.cluster.gpu, sc.jobs[0].kernels);
  const double optimizer = std::ceil(16 * 4 * (4.0 * 1024 * 1024 + 3.0 * 1024 * 4096) / (3.35e12 / 1e12));
  const double want = 4.0 * static_cast<double>(lt.attention_forward_ps + lt.mlp_forward_ps +
                                                lt.attention_backward_ps + lt.mlp_backward_ps) +
                      static_cast<double>(lt.head_ps) + optimizer;
  EXPECT_NEAR(static_cast<double>(api::assess(sc).jobs[0].ideal.iteration_ps) / want, 1.0, 1e-9);
}

// Makespan of one iteration of the scenario's first job laid out as `layout` says, on `model`.
core::TimePs iteration_ps(const api::Scenario& sc, workload::IterationLayout layout, api::NetworkModel model,
                          std::size_t* ops = nullptr) {
  workload::Program program;
  const workload::TrainingTags tags{program.tag("compute"), program.tag("tp"), program.tag("pp"),
                                    program.tag("dp"),      program.tag("ep"), program.tag("dci")};
  const auto params = api::executor_params(sc);
  layout.collective_launch_ps = core::us_to_ps(sc.cluster.gpu.collective_launch_us);
  layout.nvlink_bytes_per_ps = params.nvlink_bytes_per_ps;
  layout.nvlink_step_ps = params.nvlink_step_ps;
  workload::append_training_iteration(program, sc.jobs[0], sc.cluster.gpu, api::cluster_map(sc).server_of,
                                      layout, tags);
  program.finalize();
  if (ops != nullptr) *ops = program.size();
  const auto e = api::execute(sc, program, model);
  EXPECT_TRUE(e.result.complete);
  return e.result.makespan_ps;
}

// 3-D parallel on 4 servers of 4 GPUs (TP 4 inside each, PP 2, DP 2), with step latencies.
const char* k3dJob = R"(
fabric: {kind: roce}
topology: {kind: leaf_spine, leaves: 2, hosts_per_leaf: 8, link: {rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}
cluster: {gpu: h100, gpus_per_server: 4}
jobs:
  - name: j
    model: {layers: 8, hidden: 2048, heads: 16, seq_len: 2048, vocab: 32000}
    parallelism: {tp: 4, pp: 2, dp: 2, micro_batches: 4, dp_buckets: 2, zero: 0}
)";

TEST(TrainingIteration, CompactLayoutTakesTheTimeOfThePerLayerOps) {
  // The closed-form NVLink all-reduce and the per-stage ops against every layer's compute and ring steps:
  // the same iteration time within 0.5%, on both the ideal network and the flow level, with far fewer ops.
  // (The closed form itself is exact; what differs is that a pipeline send's TP ranks move as one group at
  // the pace of the member whose NIC is busiest with gradient traffic, where separate transfers let the
  // others finish early and free their NICs: 0.27% here.)
  const auto sc = io::load_scenario_text(k3dJob, "test.yaml");
  workload::IterationLayout compact, per_layer;
  per_layer.compact = false;
  std::size_t compact_ops = 0, per_layer_ops = 0;
  for (auto model : {api::NetworkModel::kIdeal, api::NetworkModel::kFlow}) {
    const double a = static_cast<double>(iteration_ps(sc, compact, model, &compact_ops));
    const double b = static_cast<double>(iteration_ps(sc, per_layer, model, &per_layer_ops));
    EXPECT_NEAR(a / b, 1.0, 5e-3) << "compact " << a << " ps, per layer " << b << " ps";
  }
  EXPECT_LT(compact_ops * 10, per_layer_ops);
}

TEST(TrainingIteration, TheNvlinkAllReduceClosedFormIsTheRingStepByStep) {
  const auto sc = io::load_scenario_text(k3dJob, "test.yaml");
  const auto params = api::executor_params(sc);
  workload::IterationLayout layout;
  layout.collective_launch_ps = core::us_to_ps(sc.cluster.gpu.collective_launch_us);
  layout.nvlink_bytes_per_ps = params.nvlink_bytes_per_ps;
  layout.nvlink_step_ps = params.nvlink_step_ps;
  workload::Program program;
  workload::CollectiveSpec spec;
  spec.ranks = {0, 1, 2, 3};
  spec.bytes = 2048 * 2048 * 2;
  spec.launch_ps = layout.collective_launch_ps;
  workload::append_collective(program, spec, api::cluster_map(sc).server_of, {}, 0);
  program.finalize();
  const auto e = api::execute(sc, program, api::NetworkModel::kIdeal);
  EXPECT_EQ(e.result.makespan_ps, workload::nvlink_ring_allreduce_ps(spec.bytes, 4, layout));
}

TEST(TrainingIteration, AggregatedDataParallelRingsTakeTheTimeOfTheirSteps) {
  // Each data-parallel ring as one group per channel against its 2 (n - 1) steps per rank, on the ideal
  // network (congestion-free, so the ring's edges keep their rates): within 0.5%.
  const auto sc = io::load_scenario_text(k3dJob, "test.yaml");
  workload::IterationLayout grouped, stepped;
  grouped.aggregate_collectives = true;
  const double a = static_cast<double>(iteration_ps(sc, grouped, api::NetworkModel::kIdeal));
  const double b = static_cast<double>(iteration_ps(sc, stepped, api::NetworkModel::kIdeal));
  EXPECT_NEAR(a / b, 1.0, 5e-3) << "grouped " << a << " ps, step by step " << b << " ps";
}

}  // namespace
}  // namespace aifabric
