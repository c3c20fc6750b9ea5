#include "api/run.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "api/execute.hpp"
#include "api/reduce.hpp"
#include "flow/flow_network.hpp"
#include "net/ideal.hpp"

namespace aifabric::api {
namespace {}  // namespace

std::uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;
}

void check(const Scenario& sc) {
  net::Simulation(sc.topology, sc.fabric, sc.flows, sc.run);
}

namespace {

// `simulate` at flow level: every flow of the scenario as a fluid flow on its packet-engine path.
// Queues, marks, pauses and drops do not exist there; ports report bytes and utilization.
void run_flow_level(const Scenario& sc, Result& r) {
  require_packet_level_faults(sc);
  flow::FlowNetwork net(sc.topology, sc.fabric.load_balancing, sc.run.seed, sc.full_packet_wire_bytes());
  net.set_progress(sc.run.progress);
  struct Sink : backend::BackendSink {
    flow::FlowNetwork& net;
    const Scenario& sc;
    std::vector<core::TimePs> finish;
    Sink(flow::FlowNetwork& n, const Scenario& s) : net(n), sc(s), finish(s.flows.size(), -1) {}
    void transfer_done(std::uint64_t token) override { finish[token] = net.now(); }
    void timer(std::uint64_t token) override {
      const auto& f = sc.flows[token];
      net.start_flow(static_cast<std::uint32_t>(token), f.src, f.dst, f.size_bytes, token);
    }
  } sink(net, sc);
  for (std::uint32_t i = 0; i < sc.flows.size(); ++i) net.set_timer(sc.flows[i].start_ps, i);
  net.run(sink);
  const auto& t = sc.topology;
  const std::uint32_t mtu = t.smallest_mtu();
  const double overhead = net.wire_bytes() - mtu;
  core::TimePs end = 0;
  std::uint64_t fingerprint = 0xcbf29ce484222325ull;
  bool all = true;
  for (std::uint32_t i = 0; i < sc.flows.size(); ++i) {
    const auto& f = sc.flows[i];
    // The ideal FCT: the packet engine's closed form on the same path (docs/models/ideal_fct.md).
    std::vector<std::uint32_t> ports;
    net.path_latency(i, f.src, f.dst, &ports);
    const std::uint64_t packets = (f.size_bytes + mtu - 1) / mtu;
    const double last = static_cast<double>(f.size_bytes - (packets - 1) * mtu) + overhead;
    std::vector<net::PathHop> hops;
    for (auto p : ports) {
      const auto& l = t.links[p / 2];
      const auto rate = static_cast<std::uint64_t>(l.params.rate_gbps * 1e9);
      hops.push_back({core::serialization_ps(static_cast<std::uint64_t>(net.wire_bytes()), rate),
                      core::serialization_ps(static_cast<std::uint64_t>(last), rate),
                      core::ns_to_ps(l.params.latency_ns)});
    }
    const bool done = sink.finish[i] >= 0;
    all = all && done;
    end = std::max(end, sink.finish[i]);
    fingerprint = (fingerprint ^ static_cast<std::uint64_t>(sink.finish[i])) * 0x100000001b3ull;
    r.flows.push_back({i, f.src, f.dst, f.size_bytes, f.start_ps, sink.finish[i],
                       net::ideal_completion_ps(hops, packets), 0, 0, done ? f.size_bytes : 0});
    r.ledger.injected += f.size_bytes;
    r.ledger.delivered += done ? f.size_bytes : 0;
  }
  r.stats.events = net.events();
  r.stats.end_ps = end;
  r.stats.fingerprint = fingerprint;
  r.stats.all_completed = all;
  r.ports = flow_port_reports(t, net, end);
}

}  // namespace

Result run(const Scenario& sc) {
  const auto t0 = std::chrono::steady_clock::now();
  Result r;
  if (sc.fidelity == NetworkModel::kFlow) {
    run_flow_level(sc, r);
  } else {
    net::Simulation sim(sc.topology, sc.fabric, sc.flows, sc.run);
    r.stats = sim.run();
    r.flows = sim.flow_results();
    r.ports = sim.port_reports();
    r.series = sim.series();
    r.port_samples = sim.port_samples();
    r.buffers = sim.buffer_peaks();
    r.ledger = sim.ledger();
    r.invariants = sim.invariants();
  }
  const auto t1 = std::chrono::steady_clock::now();
  r.scenario = sc.name;
  r.seed = sc.run.seed;
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
  r.hottest = rank_ports(r.ports, PortRanking::kUtilization, sc.top_ports);
  r.cost.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  r.cost.events_per_second =
      r.cost.wall_seconds > 0 ? static_cast<double>(r.stats.events) / r.cost.wall_seconds : 0;
  r.cost.peak_rss_bytes = peak_rss_bytes();
  return r;
}

}  // namespace aifabric::api
