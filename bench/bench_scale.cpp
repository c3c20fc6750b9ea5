// The scale ladder: one training iteration of a 405B-shaped dense model (TP 8, PP 14, DP as many as fit)
// at flow level, with its ideal-network reference, on three-tier rail-optimized fabrics of 256 to 131,072
// GPUs (`full`; without it the ladder stops at 16,384). Each rung runs in its own process so its peak
// memory is its own. Prints wall time, peak memory and events per rung, each as a ratio to the first
// rung, and the growth exponent of wall time and memory against GPUs (least squares on log-log).
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "api/assess.hpp"
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

struct Rung {
  std::uint32_t gpus = 0;
  double wall_s = 0;
  double peak_mib = 0;
  std::uint64_t events = 0;
  double iteration_s = 0;
};

// Runs one rung in a child process; its wall time, events and iteration come back through a pipe.
bool run_rung(Rung& r) {
  int fd[2];
  if (pipe(fd) != 0) return false;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const auto t0 = std::chrono::steady_clock::now();
    const auto sc = io::load_scenario_text(scenario(r.gpus), "ladder.yaml");
    const auto a = api::assess(sc);
    double out[3] = {std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                     static_cast<double>(a.events), core::ps_to_sec(a.jobs[0].fabric.iteration_ps)};
    const bool ok = write(fd[1], out, sizeof out) == static_cast<ssize_t>(sizeof out);
    _exit(ok && a.jobs[0].fabric.complete ? 0 : 1);
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
  r.iteration_s = in[2];
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
  const bool full = argc > 1 && std::strcmp(argv[1], "full") == 0;
  std::vector<Rung> rungs;
  for (std::uint32_t gpus = 256; gpus <= (full ? 131072u : 16384u); gpus *= 2) {
    Rung r;
    r.gpus = gpus;
    if (!run_rung(r)) {
      fmt::print("{} GPUs: FAILED\n", gpus);
      return 1;
    }
    rungs.push_back(r);
    const Rung& base = rungs.front();
    fmt::print(
        "{:>7} GPUs  iteration {:6.3f} s  wall {:8.2f} s ({:7.1f}x)  peak {:8.1f} MiB ({:6.1f}x)  "
        "events {:>10} ({:7.1f}x)\n",
        r.gpus, r.iteration_s, r.wall_s, r.wall_s / base.wall_s, r.peak_mib, r.peak_mib / base.peak_mib,
        r.events, static_cast<double>(r.events) / static_cast<double>(base.events));
    std::fflush(stdout);
  }
  fmt::print("growth exponents against GPUs: wall {:.2f}, peak memory {:.2f}\n", slope(rungs, &Rung::wall_s),
             slope(rungs, &Rung::peak_mib));
  return 0;
}
