#include "api/collective_run.hpp"

#include <cmath>

#include "api/flow_network.hpp"
#include "api/packet_network.hpp"
#include "api/path.hpp"
#include "net/routing.hpp"
#include "net/simulation.hpp"

namespace aifabric::api {

workload::ClusterMap cluster_map(const Scenario& sc) {
  workload::ClusterMap m;
  for (std::uint32_t g = 0; g < sc.cluster.gpus; ++g) {
    m.server_of.push_back(g / sc.cluster.gpus_per_server);
    m.host_of.push_back(g);
  }
  return m;
}

workload::ExecutorParams executor_params(const Scenario& sc) {
  const auto& gpu = sc.cluster.gpu;
  workload::ExecutorParams p;
  p.nvlink_bytes_per_ps = gpu.nvlink_gbytes_per_s * gpu.nvlink_efficiency * 1e9 / 1e12;
  p.nvlink_step_ps = core::us_to_ps(gpu.nvlink_step_us);
  p.network_step_ps = core::us_to_ps(gpu.network_step_us);
  p.network_efficiency = gpu.network_efficiency;
  return p;
}

std::unique_ptr<workload::IdealNetwork> ideal_network(const Scenario& sc) {
  const auto& t = sc.topology;
  std::uint32_t mtu = t.links.front().params.mtu_bytes;
  for (const auto& l : t.links) mtu = std::min(mtu, l.params.mtu_bytes);
  const double wire = mtu + sc.fabric.framing.header_bytes + sc.fabric.framing.gap_bytes;
  auto routing = std::make_shared<net::Routing>(t);
  std::vector<double> nic(t.hosts.size());
  for (std::uint32_t h = 0; h < t.hosts.size(); ++h) {
    const auto& l = t.links[routing->host_port(h) / 2];
    nic[h] = l.params.rate_gbps * 1e9 / 8.0 / 1e12 * mtu / wire;
  }
  // The ideal network's latency is the first shortest path's (they are alike in the builders' fabrics).
  auto latency = [&t, routing, wire](std::uint32_t src, std::uint32_t dst) {
    return walk_path(t, *routing, src, dst, wire,
                     [](std::uint32_t, std::span<const std::uint32_t>) { return 0; });
  };
  auto net = std::make_unique<workload::IdealNetwork>(std::move(nic), latency);
  net->set_progress(sc.run.progress);
  return net;
}

Execution execute(const Scenario& sc, const workload::Program& program, NetworkModel model,
                  bool with_traffic) {
  const auto map = cluster_map(sc);
  const auto params = executor_params(sc);
  Execution out;
  if (model == NetworkModel::kFlow) {
    FlowNetwork net(sc);
    workload::Executor ex(program, map, params, net);
    out.result = ex.run();
    out.events = net.events();
    return out;
  }
  if (model == NetworkModel::kIdeal) {
    auto net = ideal_network(sc);
    workload::Executor ex(program, map, params, *net);
    out.result = ex.run();
    out.events = net->events();
    return out;
  }
  net::Simulation sim(sc.topology, sc.fabric, with_traffic ? sc.flows : std::vector<workload::FlowSpec>{},
                      sc.run);
  PacketNetwork net(sim);
  workload::Executor ex(program, map, params, net);
  out.result = ex.run();
  out.packet_stats = sim.run();  // nothing left to run: collects the stats
  out.events = out.packet_stats.events;
  out.ports = sim.port_reports();
  return out;
}

CollectiveRow run_collective(const Scenario& sc, const workload::CollectiveSpec& spec, NetworkModel model) {
  workload::Program program;
  workload::append_collective(program, spec, cluster_map(sc).server_of, {},
                              program.tag(workload::name(spec.op)));
  program.finalize();
  const Execution e = execute(sc, program, model);
  CollectiveRow row;
  row.bytes = spec.bytes;
  row.time_ps = e.result.makespan_ps;
  row.events = e.events;
  row.complete = e.result.complete;
  const double seconds = core::ps_to_sec(row.time_ps);
  row.algbw_gbytes_per_s = seconds > 0 ? static_cast<double>(spec.bytes) / seconds / 1e9 : 0;
  row.busbw_gbytes_per_s =
      row.algbw_gbytes_per_s * workload::bus_factor(spec.op, static_cast<std::uint32_t>(spec.ranks.size()));
  return row;
}

}  // namespace aifabric::api
