#include "api/collective_sweep.hpp"

#include <fmt/format.h>

#include "api/execute.hpp"
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
  const double seconds = core::ps_to_sec(row.time_ps);
  row.algbw_gbytes_per_s = seconds > 0 ? static_cast<double>(spec.bytes) / seconds / 1e9 : 0;
  row.busbw_gbytes_per_s =
      row.algbw_gbytes_per_s * workload::bus_factor(spec.op, static_cast<std::uint32_t>(spec.ranks.size()));
  return row;
}

std::vector<CollectiveRow> run_collective_sweep(const Scenario& sc, NetworkModel model, Timeline* timeline,
                                                std::uint32_t trace_gpus) {
  std::vector<CollectiveRow> rows;
  for (std::uint64_t bytes = sc.collective.min_bytes; bytes <= sc.collective.max_bytes;
       bytes *= sc.collective.step_factor) {
    auto spec = sc.collective.spec;
    spec.bytes = bytes;
    rows.push_back(run_collective(sc, spec, model, timeline, trace_gpus));
  }
  return rows;
}

}  // namespace aifabric::api
