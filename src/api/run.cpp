#include "api/run.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace aifabric::api {
namespace {

// Nearest-rank percentile of sorted values.
double rank(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto idx = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, idx == 0 ? 0 : idx - 1)];
}

Percentiles summarize(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  p.p50 = rank(v, 0.50);
  p.p99 = rank(v, 0.99);
  p.max = v.back();
  p.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return p;
}

}  // namespace

std::uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;
}

void check(const Scenario& sc) {
  net::Simulation(sc.topology, sc.fabric, sc.flows, sc.run);
}

Result run(const Scenario& sc) {
  const auto t0 = std::chrono::steady_clock::now();
  net::Simulation sim(sc.topology, sc.fabric, sc.flows, sc.run);
  Result r;
  r.stats = sim.run();
  const auto t1 = std::chrono::steady_clock::now();
  r.scenario = sc.name;
  r.seed = sc.run.seed;
  r.flows = sim.flow_results();
  r.ports = sim.port_reports();
  r.series = sim.series();
  r.buffers = sim.buffer_peaks();
  r.ledger = sim.ledger();
  r.invariants = sim.invariants();
  r.hosts = sc.topology.hosts.size();
  r.switches = sc.topology.switch_count();
  r.links = sc.topology.links.size();
  std::vector<double> fct, slow;
  for (const auto& f : r.flows) {
    r.retransmitted_packets += f.retransmitted_packets;
    r.cnps += f.cnps;
    if (!f.completed()) continue;
    ++r.flows_completed;
    fct.push_back(f.fct_us());
    slow.push_back(f.slowdown());
  }
  r.fct_us = summarize(std::move(fct));
  r.slowdown = summarize(std::move(slow));
  for (const auto& p : r.ports) {
    r.drops += p.counters.drops[0] + p.counters.drops[1];
    r.ecn_marks += p.counters.ecn_marks;
    r.pause_frames += p.counters.pause_sent;
    r.paused_ps += p.counters.paused_ps;
  }
  std::vector<std::uint32_t> order(r.ports.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return r.ports[a].utilization > r.ports[b].utilization;
  });
  order.resize(std::min<std::size_t>(order.size(), sc.top_ports));
  r.hottest = std::move(order);
  r.cost.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.cost.events_per_second =
      r.cost.wall_seconds > 0 ? static_cast<double>(r.stats.events) / r.cost.wall_seconds : 0;
  r.cost.peak_rss_bytes = peak_rss_bytes();
  return r;
}

}  // namespace aifabric::api
