// `aifabric plan` at the issue's size: 12 candidate designs (RoCE and InfiniBand, 400G and 800G, 1:1,
// 2:1 and 3:1 on the catalog's NVIDIA switches, less the SN5400) for 4,096 H100 GPUs grown from 1,024, a
// 4,096-GPU Llama-3-70B job assessed at flow level on each. Runs the plan on one thread (the reference),
// then on every core, in the same process; prints both wall times, their ratio and whether the plans are
// byte-identical (target: at most 60 s with both cores).
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "io/yaml_reader.hpp"
#include "plan/planner.hpp"
#include "plan/render.hpp"

using namespace aifabric;

namespace {

constexpr const char* kRequest = R"(
name: bench_plan_4096
cluster: {gpu: h100, gpu_hour_usd: 2.5}
plan:
  phases: [1024, 4096]
  cluster: {gpus_per_server: 8, nic_links_per_cage: 2}
  options:
    fabrics: [roce, infiniband]
    link_rates_gbps: [400, 800]
    oversubscription: [1, 2, 3]
    switches: [QM9700, Q3400, SN5600]
jobs:
  - name: llama70b
    model: {layers: 80, hidden: 8192, heads: 64, kv_heads: 8, ffn_hidden: 28672, seq_len: 4096, vocab: 128256}
    parallelism: {tp: 8, pp: 4, dp: 128, micro_batches: 8, micro_batch_size: 1, zero: 1}
    gpu_efficiency: 0.5
)";

}  // namespace

int main() {
  io::Node root = io::read_yaml(kRequest, "bench_plan");
  auto timed = [&](unsigned threads) {
    root.find("plan")->set("threads", io::Node::scalar(std::to_string(threads)));
    const auto t0 = std::chrono::steady_clock::now();
    plan::Plan p = plan::run_plan(root, "bench_plan");
    return std::pair{std::move(p),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
  };
  const auto [serial, serial_s] = timed(1);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto [parallel, parallel_s] = timed(cores);
  const bool same = plan::plan_json(serial) == plan::plan_json(parallel);
  fmt::print(
      "plan of {} designs for 4096 GPUs: 1 thread {:.2f} s, {} threads {:.2f} s, ratio {:.2f}, recommended "
      "{}{}\n",
      parallel.designs.size(), serial_s, cores, parallel_s, parallel_s / serial_s,
      parallel.designs[parallel.recommended].id, same ? "" : "  MISMATCH");
  return same ? 0 : 1;
}
