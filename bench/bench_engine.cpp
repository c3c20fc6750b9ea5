// Engine benchmark: standard scenarios, each in its own child process so peak memory is its own. Prints
// wall time, events, events per second and peak memory, and the ratio of the engine's cost per event to a
// reference run made in the same invocation (the reference 4-ary heap doing the same number of holds), so
// figures from noisy machines can be compared as ratios.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "api/assess.hpp"
#include "api/collective_sweep.hpp"
#include "api/execute.hpp"
#include "api/run.hpp"
#include "core/rng.hpp"
#include "io/scenario_loader.hpp"
#include "reference_heap.hpp"

using namespace aifabric;

namespace {

struct Case {
  std::string name;
  std::string yaml;  // a scenario to `simulate`, or empty for the special cases below
};

struct Outcome {
  std::uint64_t events;
  double wall;
  bool ok;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"fat_tree_k16_1024_hosts_2MB_permutation",
       "fabric: {kind: roce, load_balancing: ecmp}\n"
       "topology: {kind: fat_tree, k: 16, link: {rate_gbps: 100, latency_ns: 1000, mtu_bytes: 9000}}\n"
       "traffic: [{kind: permutation, size_bytes: 2MB}]\n"},
      {"fat_tree_k8_128_hosts_10MB_permutation",
       "fabric: {kind: roce, load_balancing: ecmp}\n"
       "topology: {kind: fat_tree, k: 8, link: {rate_gbps: 100, latency_ns: 1000, mtu_bytes: 9000}}\n"
       "traffic: [{kind: permutation, size_bytes: 10MB}]\n"},
      {"infiniband_fat_tree_k8_10MB_permutation",
       "fabric: {kind: infiniband}\n"
       "topology: {kind: fat_tree, k: 8, link: {rate_gbps: 100, latency_ns: 1000, mtu_bytes: 4096}}\n"
       "traffic: [{kind: permutation, size_bytes: 10MB}]\n"},
      {"superpod_h100_256_gpus_8MB_permutation", ""},
      {"ring_allreduce_1024_gpus_1GB_packet", ""},
      {"llama70b_256_gpus_one_iteration_assess", ""},
  };
  return c;
}

Outcome run_case(const Case& c) {
  if (c.name == "ring_allreduce_1024_gpus_1GB_packet") {
    // 128 DGX H100 servers (4 scalable units of 32) on a non-blocking rail-optimized 400G RoCE fabric.
    const auto sc = io::load_scenario_text(
        "fabric: {kind: roce}\n"
        "topology: {kind: rail_optimized, scalable_units: 4, servers_per_unit: 32, gpus_per_server: 8, "
        "spines: 32,\n"
        "           link: {rate_gbps: 400, latency_ns: 500, mtu_bytes: 4096}}\n"
        "cluster: {gpu: h100}\n"
        "collective: {op: all_reduce, algorithm: ring, min_bytes: 1GB, max_bytes: 1GB, network: packet}\n",
        c.name);
    auto spec = sc.collective.spec;
    spec.bytes = sc.collective.min_bytes;
    const auto t0 = std::chrono::steady_clock::now();
    const auto row = api::run_collective(sc, spec, api::NetworkModel::kPacket);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "  ring all-reduce of 1 GB on 1024 GPUs: %.3f ms, busbw %.1f GB/s\n",
                 core::ps_to_us(row.time_ps) / 1e3, row.busbw_gbytes_per_s);
    return {row.events, wall, row.time_ps > 0};
  }
  if (c.name == "llama70b_256_gpus_one_iteration_assess") {
    const auto sc = io::load_scenario("example:llama70b_h100_256_packet");
    const auto a = api::assess(sc);
    std::fprintf(stderr, "  llama70b iteration: %.3f s on the fabric, %.3f s ideal\n",
                 core::ps_to_sec(a.jobs[0].fabric.iteration_ps),
                 core::ps_to_sec(a.jobs[0].ideal.iteration_ps));
    return {a.events, a.wall_seconds, a.jobs[0].fabric.complete};
  }
  const auto sc =
      c.yaml.empty() ? io::load_scenario("example:superpod_h100") : io::load_scenario_text(c.yaml, c.name);
  const auto r = api::run(sc);
  return {r.stats.events, r.cost.wall_seconds, r.stats.all_completed};
}

// Child: run one case and write "events wall_seconds ok" to the pipe.
void child(const Case& c, int fd) {
  const Outcome o = run_case(c);
  const std::string line = fmt::format("{} {} {}\n", o.events, o.wall, o.ok ? 1 : 0);
  if (write(fd, line.data(), line.size()) < 0) _exit(2);
  _exit(o.ok ? 0 : 3);
}

// Time for the reference heap to pop and push `events` events: measured on at most 20 million and scaled.
double reference_seconds(std::uint64_t total_events) {
  const std::uint64_t events = std::min<std::uint64_t>(total_events, 20'000'000);
  bench::ReferenceHeap q;
  core::Rng rng(9, 9);
  for (std::uint32_t i = 0; i < 10'000; ++i)
    q.schedule(static_cast<core::TimePs>(rng.below(2'000'000)), i, 0);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < events; ++i) {
    const auto e = q.pop();
    q.schedule(e.time + static_cast<core::TimePs>(80'000 + rng.below(2'000'000)), e.target, 0);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() *
         static_cast<double>(total_events) / static_cast<double>(events);
}

}  // namespace

int main(int argc, char** argv) {
  // `bench_engine quick` skips the two long cases (minutes each).
  const bool quick = argc > 1 && std::string(argv[1]) == "quick";
  fmt::print("{:<42} {:>10} {:>9} {:>10} {:>9} {:>9}\n", "scenario", "events", "wall s", "Mevents/s",
             "peak MiB", "vs heap");
  int status = 0;
  for (const auto& c : cases()) {
    if (quick && (c.name.rfind("ring_allreduce", 0) == 0 || c.name.rfind("llama70b", 0) == 0)) continue;
    int fds[2];
    if (pipe(fds) != 0) return 1;
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      child(c, fds[1]);
    }
    close(fds[1]);
    char buf[256] = {};
    const auto n = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    int wstatus = 0;
    rusage usage{};
    wait4(pid, &wstatus, 0, &usage);
    unsigned long long events = 0, flows = 0;
    double wall = 0;
    if (n <= 0 || std::sscanf(buf, "%llu %lf %llu", &events, &wall, &flows) != 3 || !WIFEXITED(wstatus) ||
        WEXITSTATUS(wstatus) != 0) {
      fmt::print("{:<42} FAILED (exit status {})\n", c.name, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
      status = 1;
      continue;
    }
    const double ref = reference_seconds(events);
    fmt::print("{:<42} {:>10} {:>9.3f} {:>10.2f} {:>9.1f} {:>8.2f}x\n", c.name, events, wall,
               static_cast<double>(events) / wall / 1e6, static_cast<double>(usage.ru_maxrss) / 1024.0,
               wall / ref);
  }
  fmt::print(
      "vs heap: engine wall time / time for the reference 4-ary heap alone to pop and push as many events\n");
  return status;
}
