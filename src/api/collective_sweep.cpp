#include "api/collective_sweep.hpp"

#include <fmt/format.h>

#include <set>

#include "api/execute.hpp"
#include "workload/nccl.hpp"
#include "workload/program.hpp"

namespace aifabric::api {

CollectiveRow run_collective(const Scenario& sc, const workload::CollectiveSpec& spec, NetworkModel model,
                             Timeline* timeline, std::uint32_t trace_gpus) {
  workload::Program program;
  workload::append_collective(program, spec, cluster_map(sc).server_of, {},
                              program.tag(workload::name(spec.op)));
  program.finalize();
  const Execution e = execute(sc, program, model);
  if (timeline)
    append_timeline(*timeline, program, e.result, 0, static_cast<std::uint32_t>(program.size()),
                    fmt::format("{} {} B", workload::name(spec.op), spec.bytes), trace_gpus);
  CollectiveRow row;
  row.bytes = spec.bytes;
  row.time_ps = e.result.makespan_ps;
  row.events = e.events;
  row.complete = e.result.complete;
  row.algorithm = spec.algorithm;
  row.protocol = spec.protocol;
  const double seconds = core::ps_to_sec(row.time_ps);
  row.algbw_gbytes_per_s = seconds > 0 ? static_cast<double>(spec.bytes) / seconds / 1e9 : 0;
  row.busbw_gbytes_per_s =
      row.algbw_gbytes_per_s * workload::bus_factor(spec.op, static_cast<std::uint32_t>(spec.ranks.size()));
  return row;
}

workload::CollectiveSpec tuned_spec(const Scenario& sc, std::uint64_t bytes) {
  auto spec = sc.collective.spec;
  spec.bytes = bytes;
  const auto map = cluster_map(sc);
  std::set<std::uint32_t> servers;
  for (const auto r : spec.ranks) servers.insert(map.server_of[r]);
  workload::TunerInput in;
  in.op = spec.op;
  in.ranks = static_cast<std::uint32_t>(spec.ranks.size());
  in.nodes = static_cast<std::uint32_t>(servers.size());
  in.bytes = bytes;
  const auto& gpu = sc.cluster.gpu;
  in.nvlink_gbytes_per_s = gpu.nvlink_gbytes_per_s * gpu.nvlink_efficiency;
  // The NIC of the communicator's first GPU: its host link's payload rate, as the network carries it.
  const std::uint32_t host = sc.topology.hosts[map.host_of[spec.ranks.front()]];
  double rate_gbps = 0;
  for (const auto& l : sc.topology.links)
    if (l.a == host || l.b == host) rate_gbps = l.params.rate_gbps;
  in.nic_gbytes_per_s =
      rate_gbps / 8 * sc.topology.smallest_mtu() / sc.full_packet_wire_bytes() * gpu.network_efficiency;
  const auto choice = workload::nccl_choose(in, sc.collective.algorithm, sc.collective.protocol);
  spec.algorithm = choice.algorithm;
  spec.protocol = choice.protocol;
  spec.launch_ps =
      core::us_to_ps(workload::nccl_latency(choice.algorithm, choice.protocol, in.nodes).base_us);
  return spec;
}

std::vector<CollectiveRow> run_collective_sweep(const Scenario& sc, NetworkModel model, Timeline* timeline,
                                                std::uint32_t trace_gpus) {
  std::vector<CollectiveRow> rows;
  for (std::uint64_t bytes = sc.collective.min_bytes; bytes <= sc.collective.max_bytes;
       bytes *= sc.collective.step_factor) {
    auto spec = tuned_spec(sc, bytes);
    spec.aggregate = model == NetworkModel::kFlow;
    rows.push_back(run_collective(sc, spec, model, timeline, trace_gpus));
  }
  return rows;
}

}  // namespace aifabric::api
