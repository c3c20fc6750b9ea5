// The scale ladders. Each rung runs in its own process so its peak memory is its own; each prints wall
// time, peak memory and events per rung, each as a ratio to the first rung, and the growth exponent of
// wall time and memory against GPUs (least squares on log-log).
//  - default: one training iteration of a 405B-shaped dense model (TP 8, PP 14, DP as many as fit) at
//    flow level, with its ideal-network reference, on three-tier rail-optimized fabrics of 256 to 16,384
//    GPUs (`full`: to 131,072);
//  - `packet`: a 256 MB ring all-reduce (8 channels, nccl-tests' size) packet by packet on two-tier
//    rail-optimized 400G RoCE fabrics of 256 to 2,048 GPUs (`packet full`: to 8,192).
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include "api/assess.hpp"
#include "api/collective_sweep.hpp"
#include "api/execute.hpp"
#include "io/scenario_loader.hpp"

using namespace aifabric;

namespace {

std::string scenario(std::uint32_t gpus) {
  const std::uint32_t dp = gpus / (8 * 14);
  return fmt::format(R"(
fidelity: flow
fabric: {{kind: roce}}
topology: {{kind: rail_optimized, scalable_units: {}, servers_per_unit: 32, gpus_per_server: 8, spines: 8,
           core_switches: 256, link: {{rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}}}
cluster: {{gpu: h200}}
jobs:
  - name: dense405b
    gpus: {}
    model: {{layers: 126, hidden: 16384, heads: 128, kv_heads: 8, ffn_hidden: 53248, seq_len: 8192, vocab: 128256}}
    parallelism: {{tp: 8, pp: 14, dp: {}, micro_batches: 8, micro_batch_size: 1, dp_buckets: 3, zero: 1}}
    gpu_efficiency: 0.45
)",
                     gpus / 256, 8 * 14 * dp, dp);
}

std::string ring_scenario(std::uint32_t gpus) {
  return fmt::format(R"(
fabric: {{kind: roce}}
topology: {{kind: rail_optimized, scalable_units: {}, servers_per_unit: 32, gpus_per_server: 8,
           link: {{rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}}}
cluster: {{gpu: h100}}
collective: {{op: all_reduce, algorithm: ring, min_bytes: 256MB, max_bytes: 256MB}}
)",
                     gpus / 256);
}

struct Rung {
  std::uint32_t gpus = 0;
  double wall_s = 0;
  double peak_mib = 0;
  std::uint64_t events = 0;
  double simulated_s = 0;  // the iteration or the collective
};

// What a rung runs: returns {events, simulated seconds}, or nothing when the run did not complete.
using Work = std::function<std::optional<std::array<double, 2>>(std::uint32_t gpus)>;

std::optional<std::array<double, 2>> iteration(std::uint32_t gpus) {
  const auto a = api::assess(io::load_scenario_text(scenario(gpus), "ladder.yaml"));
  if (!a.jobs[0].fabric.complete) return std::nullopt;
  return std::array<double, 2>{static_cast<double>(a.events), core::ps_to_sec(a.jobs[0].fabric.iteration_ps)};
}

std::optional<std::array<double, 2>> ring_all_reduce(std::uint32_t gpus) {
  const auto sc = io::load_scenario_text(ring_scenario(gpus), "ring.yaml");
  auto spec = sc.collective.spec;
  spec.bytes = sc.collective.min_bytes;
  const auto row = api::run_collective(sc, spec, api::NetworkModel::kPacket);
  if (row.time_ps <= 0) return std::nullopt;
  return std::array<double, 2>{static_cast<double>(row.events), core::ps_to_sec(row.time_ps)};
}

// Runs one rung in a child process; its wall time, events and simulated time come back through a pipe.
bool run_rung(Rung& r, const Work& work) {
  int fd[2];
  if (pipe(fd) != 0) return false;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const auto t0 = std::chrono::steady_clock::now();
    const auto got = work(r.gpus);
    double out[3] = {std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                     got ? (*got)[0] : 0, got ? (*got)[1] : 0};
    const bool ok = write(fd[1], out, sizeof out) == static_cast<ssize_t>(sizeof out);
    _exit(ok && got ? 0 : 1);
  }
  close(fd[1]);
  double in[3] = {0, 0, 0};
  const bool got = read(fd[0], in, sizeof in) == static_cast<ssize_t>(sizeof in);
  close(fd[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  r.wall_s = in[0];
  r.events = static_cast<std::uint64_t>(in[1]);
  r.simulated_s = in[2];
  r.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  return got && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

double slope(const std::vector<Rung>& rungs, double Rung::*field) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double n = static_cast<double>(rungs.size());
  for (const auto& r : rungs) {
    const double x = std::log(r.gpus), y = std::log(r.*field);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

}  // namespace

int main(int argc, char** argv) {
  bool packet = false, full = false;
  for (int i = 1; i < argc; ++i) {
    packet = packet || std::strcmp(argv[i], "packet") == 0;
    full = full || std::strcmp(argv[i], "full") == 0;
  }
  const std::uint32_t last = packet ? (full ? 8192u : 2048u) : (full ? 131072u : 16384u);
  const Work work = packet ? Work(ring_all_reduce) : Work(iteration);
  fmt::print("{}\n", packet ? "256 MB ring all-reduce, packet level" : "405B training iteration, flow level");
  std::vector<Rung> rungs;
  for (std::uint32_t gpus = 256; gpus <= last; gpus *= 2) {
    Rung r;
    r.gpus = gpus;
    if (!run_rung(r, work)) {
      fmt::print("{} GPUs: FAILED\n", gpus);
      return 1;
    }
    rungs.push_back(r);
    const Rung& base = rungs.front();
    fmt::print(
        "{:>7} GPUs  {} {:8.3f} ms  wall {:8.2f} s ({:7.1f}x)  peak {:8.1f} MiB ({:6.1f}x)  "
        "events {:>12} ({:7.1f}x)\n",
        r.gpus, packet ? "all-reduce" : "iteration", r.simulated_s * 1e3, r.wall_s, r.wall_s / base.wall_s,
        r.peak_mib, r.peak_mib / base.peak_mib, r.events,
        static_cast<double>(r.events) / static_cast<double>(base.events));
    std::fflush(stdout);
  }
  fmt::print("growth exponents against GPUs: wall {:.2f}, peak memory {:.2f}\n", slope(rungs, &Rung::wall_s),
             slope(rungs, &Rung::peak_mib));
  return 0;
}
