#include "validate/measurements.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "api/assess.hpp"
#include "api/collective_sweep.hpp"
#include "api/parallel.hpp"
#include "io/scenario_loader.hpp"
#include "workload/collectives.hpp"

namespace aifabric::validate {
namespace {

// A rail-optimized cluster of `servers` x 8 GPUs, one NIC per GPU at `nic_gbps` on its own rail, in
// scalable units of 32 servers (DGX SuperPOD) when they divide, else one: the fabric, topology and
// cluster sections.
std::string hardware(const std::string& gpu, std::uint32_t servers, double nic_gbps,
                     const std::string& fabric) {
  const std::uint32_t units = servers > 32 && servers % 32 == 0 ? servers / 32 : 1;
  return fmt::format(R"(fabric: {{kind: {}}}
topology: {{kind: rail_optimized, scalable_units: {}, servers_per_unit: {}, gpus_per_server: 8,
           link: {{rate_gbps: {}, latency_ns: 500, mtu_bytes: 4096}}}}
cluster: {{gpu: {}}}
)",
                     fabric, units, servers / units, nic_gbps, gpu);
}

// That cluster and its collective section (`collective`: op and, where the source fixed them, NCCL_ALGO /
// NCCL_PROTO).
std::string cluster(const std::string& gpu, std::uint32_t servers, double nic_gbps, const std::string& fabric,
                    const std::string& collective) {
  return hardware(gpu, servers, nic_gbps, fabric) + fmt::format("collective: {{{}}}\n", collective);
}

// One training job at flow level on that cluster with InfiniBand: `job` is the job's YAML mapping body.
std::string training(const std::string& gpu, std::uint32_t servers, double nic_gbps, const std::string& job) {
  return "fidelity: flow\n" + hardware(gpu, servers, nic_gbps, "infiniband") +
         fmt::format("jobs:\n  - {{name: job, {}}}\n", job);
}

// Megatron-LM's GPT models of Korthikanti et al. 2022 (s = 2048, V = 51200, GeLU MLP of 4h, no GQA).
std::string gpt(std::uint32_t layers, std::uint32_t hidden, std::uint32_t heads) {
  return fmt::format(
      "model: {{layers: {}, hidden: {}, heads: {}, ffn_hidden: {}, seq_len: 2048, vocab: 51200, "
      "gated: false}}",
      layers, hidden, heads, 4 * hidden);
}

// The same on Selene (DGX A100, 8 x 200G HDR InfiniBand) with data parallelism 1, one iteration of
// `batch` sequences of micro-batch `mbs`; the paper's two settings: sequence parallelism with selective
// recompute ("present work"), and tensor parallelism alone with full recompute (the baseline). Megatron-LM
// of 2022 ran attention unfused.
std::string korthikanti(std::uint32_t layers, std::uint32_t hidden, std::uint32_t heads, std::uint32_t tp,
                        std::uint32_t pp, std::uint32_t chunks, std::uint32_t batch, std::uint32_t mbs,
                        bool selective) {
  return training(
      "a100", tp * pp / 8, 200,
      fmt::format("{}, parallelism: {{tp: {}, pp: {}, dp: 1, micro_batches: {}, micro_batch_size: {}, "
                  "virtual_stages: {}, dp_buckets: {}}}, attention: unfused, recompute: {}, "
                  "sequence_parallel: {}",
                  gpt(layers, hidden, heads), tp, pp, batch / mbs, mbs, chunks, chunks,
                  selective ? "selective" : "full", selective ? "true" : "false"));
}

// NVIDIA's DGX Cloud recipe for GPT-3 175B (NeMo 24.09, DGX H100 with 8 x 400G NDR InfiniBand): TP 4,
// PP 8, 12 virtual stages, micro-batch 1, global batch 2 x GPUs, so 64 micro-batches per replica.
std::string dgxc_gpt3(std::uint32_t gpus, const char* precision, std::uint32_t micro_batches = 64) {
  return training(
      "h100", gpus / 8, 400,
      fmt::format("{}, parallelism: {{tp: 4, pp: 8, dp: {}, micro_batches: {}, micro_batch_size: 1, "
                  "virtual_stages: 12, dp_buckets: 12, overlap_param_gather: true}}, "
                  "precision: {}",
                  gpt(96, 12288, 96), gpus / 32, micro_batches, precision));
}

// The DGX Cloud recipe for Llama 3.1 70B (NeMo 24.09, DGX H100): TP 4, PP 4 x 5 chunks, CP 2, micro-batch
// 1, global batch 2 x GPUs, so 64 micro-batches per replica; s = 8192, V = 128256, GQA with 8 groups.
std::string dgxc_llama70b(std::uint32_t gpus, const char* precision) {
  return training("h100", gpus / 8, 400,
                  fmt::format("model: {{layers: 80, hidden: 8192, heads: 64, kv_heads: 8, ffn_hidden: 28672, "
                              "seq_len: 8192, vocab: 128256}}, parallelism: {{tp: 4, cp: 2, pp: 4, dp: {}, "
                              "micro_batches: 64, micro_batch_size: 1, virtual_stages: 5, dp_buckets: 5, "
                              "overlap_param_gather: true}}, "
                              "precision: {}",
                              gpus / 32, precision));
}

// NeMo 24.07's performance summary (DGX H100, FP8): Llama 2 shapes at s = 4096 (V = 32000, SwiGLU).
std::string nemo_llama2(std::uint32_t gpus, std::uint32_t layers, std::uint32_t hidden, std::uint32_t heads,
                        std::uint32_t kv_heads, std::uint32_t ffn, std::uint32_t tp, std::uint32_t pp,
                        std::uint32_t chunks, std::uint32_t gbs) {
  const std::uint32_t dp = gpus / tp / pp;
  return training(
      "h100", gpus / 8, 400,
      fmt::format("model: {{layers: {}, hidden: {}, heads: {}, kv_heads: {}, ffn_hidden: {}, seq_len: "
                  "4096, vocab: 32000}}, parallelism: {{tp: {}, pp: {}, dp: {}, micro_batches: {}, "
                  "micro_batch_size: 1, virtual_stages: {}, dp_buckets: {}, overlap_param_gather: true}}, "
                  "precision: fp8",
                  layers, hidden, heads, kv_heads, ffn, tp, pp, dp, gbs / dp, chunks,
                  chunks == 1 ? 4 : chunks));
}

Measurement calibration(Measurement m) {
  m.calibration = true;
  return m;
}

Measurement known_gap(Measurement m, std::string why) {
  m.known_gap = std::move(why);
  return m;
}

}  // namespace

bool Check::within() const {
  return std::abs(error) <= measurement->tolerance;
}

const std::vector<Measurement>& nccl_measurements() {
  using enum Metric;
  static const std::vector<Measurement> rows = {
      {"h100-1x8-ring-4G", "8 x H100 SXM, NVLink, NCCL_ALGO=Ring (NVLS off)",
       "NVIDIA/nccl-tests#212 (sjeaugey): \"effective NVLink bandwidth of 370GB/s\" at large sizes",
       cluster("h100", 1, 400, "infiniband", "op: all_reduce, algorithm: ring"), 4'294'967'296, kBusBandwidth,
       370.0},
      {"h100-1x8-ring-2G", "8 x H100 SXM, NVLink, Ring, 2-8 GPUs",
       "NVIDIA/nccl#1455 (user report): 365-370 GB/s at 2-4 GB with Ring; the low end",
       cluster("h100", 1, 400, "infiniband", "op: all_reduce, algorithm: ring"), 2'147'483'648, kBusBandwidth,
       365.0},
      {"a100-1x8-1G", "AWS p4dn, 8 x A100-40GB SXM, NVLink",
       "NVIDIA/nccl#527: all_reduce_perf 1 GB busbw 230.77",
       cluster("a100", 1, 200, "infiniband", "op: all_reduce"), 1'073'741'824, kBusBandwidth, 230.77},
      {"a100-1x8-4G", "8 x A100 SXM, NVLink", "NVIDIA/nccl-tests#175: all_reduce_perf 4 GB busbw 232.54",
       cluster("a100", 1, 200, "infiniband", "op: all_reduce"), 4'294'967'296, kBusBandwidth, 232.54},
      {"a100-8x8-ib200", "DGX A100, 8 x 200G HDR InfiniBand per server, several servers",
       "NVIDIA/nccl#812 (AddyLaddy, quoted in nccl#1576): 192 GB/s all-reduce busbw across DGX A100s; the "
       "server count is not stated (8 here: the NIC bound does not depend on it)",
       cluster("a100", 8, 200, "infiniband", "op: all_reduce"), 8'589'934'592, kBusBandwidth, 192.0},
      {"h100-16x8-ib400", "H100 servers, 8 x 400G NDR InfiniBand, at scale",
       "NCCL team, GTC'24 slide quoted in NVIDIA/nccl#1649: 370-380 GB/s all-reduce busbw (no SHARP ~380); "
       "the midpoint, 16 servers",
       cluster("h100", 16, 400, "infiniband", "op: all_reduce"), 8'589'934'592, kBusBandwidth, 375.0},
  };
  return rows;
}

const std::vector<Measurement>& training_measurements() {
  using enum Metric;
  const std::string k22 =
      "Korthikanti et al. 2022, Table 5 (measured times as in calculon-ai/calculon "
      "megatron/validation.py; configurations validation/*.json)";
  const std::string dgxc = "NVIDIA/dgxc-benchmarking nemo_megatron/README_175b.md, step time";
  const std::string dgxc70 = "NVIDIA/dgxc-benchmarking llama3.1/README_70b.md, step time";
  const std::string nemo = "NVIDIA/NeMo docs/source/performance/performance_summary.md (24.07), tokens/s/GPU";
  const std::string fp8_small =
      "FP8 on small GEMMs: the model has neither Transformer Engine's cast, transpose and amax kernels nor "
      "the FP8 GEMM rate at h = 4096-5120 shapes, only the best shape's";
  static const std::vector<Measurement> rows = {
      {"a100-22b-8-sel", "8 A100, 22B GPT, TP 8, batch 4, SP + selective recompute", k22,
       korthikanti(48, 6144, 64, 8, 1, 1, 4, 4, true), 0, kIterationS, 1.10},
      {"a100-22b-8-full", "8 A100, 22B GPT, TP 8, batch 4, full recompute", k22,
       korthikanti(48, 6144, 64, 8, 1, 1, 4, 4, false), 0, kIterationS, 1.42},
      calibration({"a100-175b-64-sel", "64 A100, 175B GPT, TP 8 PP 8 x 3 chunks, batch 64, SP + selective",
                   k22, korthikanti(96, 12288, 96, 8, 8, 3, 64, 1, true), 0, kIterationS, 13.75}),
      {"a100-175b-64-full", "64 A100, 175B GPT, TP 8 PP 8 x 3 chunks, batch 64, full recompute", k22,
       korthikanti(96, 12288, 96, 8, 8, 3, 64, 1, false), 0, kIterationS, 18.13},
      {"a100-530b-280-sel", "280 A100, 530B GPT, TP 8 PP 35 x 3 chunks, batch 280, SP + selective", k22,
       korthikanti(105, 20480, 128, 8, 35, 3, 280, 1, true), 0, kIterationS, 37.83},
      {"a100-530b-280-full", "280 A100, 530B GPT, TP 8 PP 35 x 3 chunks, batch 280, full recompute", k22,
       korthikanti(105, 20480, 128, 8, 35, 3, 280, 1, false), 0, kIterationS, 49.05},
      {"a100-1t-512-sel", "512 A100, 1T GPT, TP 8 PP 64, batch 512, SP + selective", k22,
       korthikanti(128, 25600, 160, 8, 64, 1, 512, 1, true), 0, kIterationS, 71.49},
      {"a100-1t-512-full", "512 A100, 1T GPT, TP 8 PP 64, batch 512, full recompute", k22,
       korthikanti(128, 25600, 160, 8, 64, 1, 512, 1, false), 0, kIterationS, 94.42},
      {"h100-llama70b-64-bf16", "64 H100, Llama 3.1 70B, TP 4 CP 2 PP 4 x 5, GBS 128, BF16", dgxc70,
       dgxc_llama70b(64, "bf16"), 0, kIterationS, 14.72},
      {"h100-llama70b-512-bf16", "512 H100, Llama 3.1 70B, TP 4 CP 2 PP 4 x 5, GBS 1024, BF16", dgxc70,
       dgxc_llama70b(512, "bf16"), 0, kIterationS, 14.89},
      {"h100-llama70b-2048-bf16", "2048 H100, Llama 3.1 70B, TP 4 CP 2 PP 4 x 5, GBS 4096, BF16", dgxc70,
       dgxc_llama70b(2048, "bf16"), 0, kIterationS, 14.98},
      {"h100-llama70b-64-fp8", "64 H100, Llama 3.1 70B, TP 4 CP 2 PP 4 x 5, GBS 128, FP8", dgxc70,
       dgxc_llama70b(64, "fp8"), 0, kIterationS, 11.01},
      {"h100-llama70b-512-fp8", "512 H100, Llama 3.1 70B, TP 4 CP 2 PP 4 x 5, GBS 1024, FP8", dgxc70,
       dgxc_llama70b(512, "fp8"), 0, kIterationS, 11.18},
      {"h100-llama70b-2048-fp8", "2048 H100, Llama 3.1 70B, TP 4 CP 2 PP 4 x 5, GBS 4096, FP8", dgxc70,
       dgxc_llama70b(2048, "fp8"), 0, kIterationS, 11.39},
      calibration({"h100-gpt3-128-bf16", "128 H100, GPT-3 175B, TP 4 PP 8 x 12, GBS 256, BF16", dgxc,
                   dgxc_gpt3(128, "bf16"), 0, kIterationS, 8.309}),
      {"h100-gpt3-512-bf16", "512 H100, GPT-3 175B, TP 4 PP 8 x 12, GBS 1024, BF16", dgxc,
       dgxc_gpt3(512, "bf16"), 0, kIterationS, 8.42},
      {"h100-gpt3-2048-bf16", "2048 H100, GPT-3 175B, TP 4 PP 8 x 12, GBS 4096, BF16", dgxc,
       dgxc_gpt3(2048, "bf16"), 0, kIterationS, 8.49},
      {"h100-gpt3-128-fp8", "128 H100, GPT-3 175B, TP 4 PP 8 x 12, GBS 256, FP8", dgxc, dgxc_gpt3(128, "fp8"),
       0, kIterationS, 5.626},
      {"h100-gpt3-512-fp8", "512 H100, GPT-3 175B, TP 4 PP 8 x 12, GBS 1024, FP8", dgxc,
       dgxc_gpt3(512, "fp8"), 0, kIterationS, 5.774},
      {"h100-gpt3-2048-fp8", "2048 H100, GPT-3 175B, TP 4 PP 8 x 12, GBS 4096, FP8", dgxc,
       dgxc_gpt3(2048, "fp8"), 0, kIterationS, 5.96},
      // MLPerf's GPT-3 is the same recipe at GBS 2688: 8 micro-batches per replica, so the pipeline's
      // fill and drain and the gradient reduction are a far larger part of the step.
      {"h100-gpt3-10752-fp8", "10752 H100 (Eos), GPT-3 175B, TP 4 PP 8 x 12, DP 336, GBS 2688, FP8",
       "mlcommons/training_results_v3.1 NVIDIA/results/eos-dfw_n1344_ngc23.09_nemo/gpt3/result_1.txt, "
       "steady step time (configuration: config_DGXH100_1344x8x8x4x8_mbs1.sh)",
       dgxc_gpt3(10752, "fp8", 8), 0, kIterationS, 0.930},
      known_gap({"h100-llama2-7b-8-fp8", "8 H100, Llama 2 7B, DP 8, GBS 128, FP8", nemo,
                 nemo_llama2(8, 32, 4096, 32, 32, 11008, 1, 1, 1, 128), 0, kTokensPerGpuS, 16847},
                fp8_small),
      known_gap({"h100-llama2-13b-16-fp8", "16 H100, Llama 2 13B, PP 4 x 10, GBS 128, FP8", nemo,
                 nemo_llama2(16, 40, 5120, 40, 40, 13824, 1, 4, 10, 128), 0, kTokensPerGpuS, 8646},
                fp8_small),
      {"h100-llama2-70b-64-fp8", "64 H100, Llama 2 70B, TP 4 PP 4 x 20, GBS 128, FP8", nemo,
       nemo_llama2(64, 80, 8192, 64, 8, 28672, 4, 4, 20, 128), 0, kTokensPerGpuS, 1707},
  };
  return rows;
}

std::vector<const Measurement*> all_measurements() {
  std::vector<const Measurement*> out;
  for (const auto* table : {&nccl_measurements(), &training_measurements()})
    for (const auto& m : *table) out.push_back(&m);
  return out;
}

Check run_measurement(const Measurement& m, api::NetworkModel model) {
  auto sc = io::load_scenario_text(m.scenario, "validation:" + m.id);
  Check c;
  c.measurement = &m;
  if (m.metric == Metric::kIterationS || m.metric == Metric::kTokensPerGpuS) {
    if (model != api::NetworkModel::kIdeal) sc.fidelity = model;
    const auto a = api::assess(sc);
    const auto& job = a.jobs.at(0);
    const auto& it = model == api::NetworkModel::kIdeal ? job.ideal : job.fabric;
    const double seconds = core::ps_to_us(it.iteration_ps) / 1e6;
    c.predicted = m.metric == Metric::kIterationS
                      ? seconds
                      : workload::tokens_per_iteration(sc.jobs[0]) / seconds / sc.jobs[0].gpus;
    c.algorithm.assign(1, '-');  // not a collective
    c.protocol.assign(1, '-');
  } else {
    auto spec = api::tuned_spec(sc, m.bytes);
    spec.aggregate = model == api::NetworkModel::kFlow;
    const auto row = api::run_collective(sc, spec, model);
    c.predicted = m.metric == Metric::kBusBandwidth ? row.busbw_gbytes_per_s : core::ps_to_us(row.time_ps);
    c.algorithm = workload::name(row.algorithm);
    c.protocol = workload::name(row.protocol);
  }
  c.error = c.predicted / m.measured - 1;
  return c;
}

std::vector<Check> run_measurements(api::NetworkModel model, unsigned threads) {
  const auto rows = all_measurements();
  std::vector<Check> out(rows.size());
  api::parallel_for(rows.size(), threads, [&](std::size_t k) { out[k] = run_measurement(*rows[k], model); });
  return out;
}

const char* metric_name(Metric m) {
  switch (m) {
    case Metric::kBusBandwidth:
      return "busbw GB/s";
    case Metric::kTimeUs:
      return "time us";
    case Metric::kIterationS:
      return "step s";
    case Metric::kTokensPerGpuS:
      return "tokens/s/GPU";
  }
  return "?";
}

std::string checks_markdown(const std::vector<Check>& checks) {
  std::string s =
      "| id | system | size (B) | metric | measured | aifabric | error | algorithm / protocol | source |\n"
      "|---|---|---|---|---|---|---|---|---|\n";
  std::vector<double> errors;
  std::size_t outside = 0, gaps = 0, calibrations = 0;
  for (const auto& c : checks) {
    const auto& m = *c.measurement;
    const char* mark = m.calibration          ? " (calibration)"
                       : !m.known_gap.empty() ? " (known gap)"
                       : c.within()           ? ""
                                              : " (outside)";
    s += fmt::format("| {} | {} | {} | {} | {:.2f} | {:.2f} | {:+.1f}%{} | {} / {} | {}{} |\n", m.id,
                     m.system, m.bytes, metric_name(m.metric), m.measured, c.predicted, 100 * c.error, mark,
                     c.algorithm, c.protocol, m.source,
                     m.known_gap.empty() ? std::string() : fmt::format("; gap: {}", m.known_gap));
    if (!c.counted()) {
      ++calibrations;
      continue;
    }
    errors.push_back(std::abs(c.error));
    outside += c.within() ? 0 : 1;
    gaps += m.known_gap.empty() ? 0 : 1;
  }
  std::sort(errors.begin(), errors.end());
  const double median = errors.empty()      ? 0
                        : errors.size() % 2 ? errors[errors.size() / 2]
                                            : (errors[errors.size() / 2 - 1] + errors[errors.size() / 2]) / 2;
  s += fmt::format(
      "\n{} rows ({} calibration rows not counted); over the other {}: median absolute error {:.1f}%, "
      "largest "
      "{:.1f}%; {} outside their tolerance ({} of them known gaps).\n",
      checks.size(), calibrations, errors.size(), 100 * median, errors.empty() ? 0.0 : 100 * errors.back(),
      outside, gaps);
  return s;
}

}  // namespace aifabric::validate
