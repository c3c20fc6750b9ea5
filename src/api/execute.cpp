#include "api/execute.hpp"

#include <fmt/format.h>

#include <cmath>

#include "flow/flow_network.hpp"
#include "net/packet_network.hpp"
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

void require_packet_level_faults(const Scenario& sc) {
  if (!sc.run.pfc_storms.empty())
    throw core::InputError(
        core::Location{sc.source, 0, 0, "faults"},
        "a pfc_storm exists at packet level only (flow level has no PFC): use fidelity packet");
  if (!sc.run.slow_nics.empty())
    throw core::InputError(core::Location{sc.source, 0, 0, "faults"},
                           "a nic_slow exists at packet level only (the pauses or withheld credits it "
                           "spreads): use fidelity packet");
  if (!sc.run.link_events.empty())
    throw core::InputError(
        core::Location{sc.source, 0, 0, "faults"},
        "a link, switch or NIC that fails during the run (at_us, link_flap) is modelled at "
        "packet level only (the packets it loses, the transport's recovery, the routing's "
        "convergence): use fidelity packet, or leave at_us out for the converged state");
  for (const auto& l : sc.topology.links)
    if (l.params.ber > 0)
      throw core::InputError(
          core::Location{sc.source, 0, 0, l.field.empty() ? "topology" : "topology." + l.field},
          fmt::format("the link {}-{} loses frames (ber {}), which only the packet level models (its "
                      "transport resends them): use fidelity packet",
                      sc.topology.nodes[l.a].name, sc.topology.nodes[l.b].name, l.params.ber));
}

std::vector<net::PortReport> flow_port_reports(const topo::TopologySpec& t, const flow::FlowNetwork& net,
                                               core::TimePs end) {
  std::vector<net::PortReport> out;
  const std::uint32_t mtu = t.smallest_mtu();
  const double overhead = net.wire_bytes() - mtu;
  const auto names = net::port_names(t);
  const double seconds = core::ps_to_sec(end > 0 ? end : 1);
  for (std::uint32_t p = 0; p < names.size(); ++p) {
    const auto& l = t.links[p / 2];
    net::PortReport pr;
    pr.name = names[p];
    pr.from = t.nodes[p % 2 == 0 ? l.a : l.b].name;
    pr.to = t.nodes[p % 2 == 0 ? l.b : l.a].name;
    pr.rate_gbps = l.params.rate_gbps;
    const double payload = net.carried_bytes(p);
    pr.counters.tx_data_bytes = static_cast<std::uint64_t>(payload);
    pr.counters.tx_packets = static_cast<std::uint64_t>(std::ceil(payload / mtu));
    pr.counters.tx_bytes =
        static_cast<std::uint64_t>(payload + static_cast<double>(pr.counters.tx_packets) * overhead);
    pr.utilization = static_cast<double>(pr.counters.tx_bytes) * 8.0 / (l.params.rate_gbps * 1e9 * seconds);
    out.push_back(std::move(pr));
  }
  return out;
}

std::unique_ptr<flow::IdealNetwork> ideal_network(const Scenario& sc) {
  auto net = flow::ideal_network(sc.topology, sc.full_packet_wire_bytes());
  net->set_progress(sc.run.progress);
  return net;
}

Execution execute(const Scenario& sc, const workload::Program& program, NetworkModel model,
                  bool with_traffic) {
  const auto map = cluster_map(sc);
  const auto params = executor_params(sc);
  Execution out;
  if (model == NetworkModel::kFlow) {
    require_packet_level_faults(sc);
    flow::FlowNetwork net(sc.topology, sc.fabric.load_balancing, sc.run.seed, sc.full_packet_wire_bytes());
    net.set_progress(sc.run.progress);
    if (with_traffic) net.add_background(sc.flows);
    workload::Executor ex(program, map, params, net);
    out.result = ex.run();
    out.events = net.events();
    if (with_traffic) out.ports = flow_port_reports(sc.topology, net, net.now());
    return out;
  }
  if (model == NetworkModel::kIdeal) {
    auto net = ideal_network(sc);
    workload::Executor ex(program, map, params, *net);
    out.result = ex.run();
    out.events = net->events();
    return out;
  }
  net::Simulation sim(sc.topology, sc.fabric, with_traffic ? sc.flows : std::vector<backend::FlowSpec>{},
                      sc.run);
  net::PacketNetwork net(sim);
  workload::Executor ex(program, map, params, net);
  out.result = ex.run();
  out.packet_stats = sim.run();  // nothing left to run: collects the stats
  out.events = out.packet_stats.events;
  out.ports = sim.port_reports();
  return out;
}

}  // namespace aifabric::api
