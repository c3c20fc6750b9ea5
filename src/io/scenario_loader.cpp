#include "io/scenario_loader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/run.hpp"
#include "io/examples.hpp"
#include "io/loaders.hpp"
#include "io/scenario_schemas.hpp"
#include "io/yaml_reader.hpp"

namespace aifabric::io {

using core::InputError;

namespace {

// A scenario file's text; a missing, unreadable or non-regular file is an InputError naming it.
std::string read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(core::Location{path, 0, 0, ""}, "is a folder; expected a scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(core::Location{path, 0, 0, ""}, "cannot open scenario file (missing or unreadable)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(core::Location{path, 0, 0, ""}, "cannot read scenario file");
  return text.str();
}

}  // namespace

api::Scenario load_scenario_document(const Node& root, const std::string& source, std::int64_t seed_override,
                                     bool may_read_files) {
  ParseContext ctx{source, may_read_files};
  require_map(root, ctx, "");
  const TopLevel top = parse_with_defaults(top_schema(), root, ctx, "", nullptr,
                                           {"fabric", "topology", "traffic", "telemetry", "limits", "cluster",
                                            "collective", "jobs", "services", "plan", "faults"});
  // A plan request (`aifabric plan`) is a portfolio whose topology the planner designs.
  if (root["plan"] && !(root["topology"].is_map() && root["topology"]["kind"]))
    throw InputError(ctx.at(root["topology"] ? root["topology"] : root["plan"], "topology"),
                     "missing; this is a plan request: `aifabric plan` designs its topology (or give one)");
  if (root["fabric"]) require_map(root["fabric"], ctx, "fabric");
  api::Scenario sc;
  sc.name = top.name;
  sc.fidelity = top.fidelity;
  sc.source = source;
  sc.run.seed =
      seed_override >= 0 ? static_cast<std::uint64_t>(seed_override) : static_cast<std::uint64_t>(top.seed);
  sc.run.stop_ps = top.stop_ps;
  const Telemetry tel = parse_with_defaults(telemetry_schema(), root["telemetry"], ctx, "telemetry");
  sc.run.sample_interval_ps = tel.sample_ps;
  sc.run.sample_counters = tel.counters;
  if (tel.counters && tel.sample_ps == 0)
    throw InputError(ctx.at(root["telemetry"]["counters"], "telemetry.counters"),
                     "needs telemetry.sample_interval_us > 0: counters are sampled at that interval");
  sc.run.check_interval_ps = tel.check_ps;
  sc.top_ports = tel.top_ports;
  sc.fabric = load_fabric(root["fabric"], ctx);
  const Limits limits = parse_with_defaults(limits_schema(), root["limits"], ctx, "limits");
  SizeBudget budget(limits.max_memory_gbytes);
  sc.topology = load_topology(root["topology"], root["faults"], sc.faults.applied, ctx, budget);
  fit_fabric_to_topology(sc, root["fabric"], ctx);
  // The GPU cluster matters only to GPU workloads; plain traffic scenarios need not divide into servers.
  if (root["cluster"] || root["collective"] || root["jobs"] || root["services"])
    load_cluster(root["cluster"], root["topology"], sc, ctx);
  if (root["faults"]) apply_run_faults(root["faults"], sc, ctx);
  if (root["collective"]) load_collective(root["collective"], sc, ctx);
  for (auto g : sc.collective.spec.ranks)
    if (sc.collective.present && sc.topology.host_down(g))
      throw InputError(ctx.at(root["faults"], "faults"),
                       fmt::format("the collective's GPU {} ({}) is out of service; a collective needs all "
                                   "its GPUs",
                                   g, sc.topology.nodes[sc.topology.hosts[g]].name));
  workload::GpuClaims claims(sc.cluster.gpus);
  if (root["jobs"]) load_jobs(root["jobs"], sc, claims, ctx);
  if (root["services"]) load_services(root["services"], sc, claims, ctx);
  if (root["traffic"] || (!sc.collective.present && sc.jobs.empty() && sc.services.empty()))
    sc.flows = load_traffic(root["traffic"], sc.topology, sc.run.seed, ctx, budget);
  if (!sc.topology.down_hosts.empty()) {
    // A flow from or to a host out of service never starts: it is counted, not simulated. The others
    // keep the ECMP entropy of their place in the unfaulted scenario, so only the fault moves them.
    const auto before = sc.flows.size();
    for (std::size_t i = 0; i < sc.flows.size(); ++i)
      if (sc.flows[i].entropy_key == backend::FlowSpec::kByIndex) sc.flows[i].entropy_key = i;
    std::erase_if(sc.flows, [&](const backend::FlowSpec& f) {
      return sc.topology.host_down(f.src) || sc.topology.host_down(f.dst);
    });
    sc.faults.flows_dropped = before - sc.flows.size();
  }
  // Checks that need the instantiated network (InfiniBand credit windows): they know the field; the
  // topology's line is the place.
  try {
    api::check(sc);
  } catch (const InputError& e) {
    throw e.located(ctx.file, root["topology"].line(), root["topology"].column());
  }
  return sc;
}

api::Scenario load_scenario_text(const std::string& text, const std::string& source,
                                 std::int64_t seed_override) {
  return load_scenario_document(read_yaml(text, source), source, seed_override);
}

api::Scenario load_scenario_file(const std::string& path, std::int64_t seed_override) {
  return load_scenario_text(read_file(path), path, seed_override);
}

std::string scenario_text(const std::string& path_or_example) {
  const std::string prefix = "example:";
  if (path_or_example.rfind(prefix, 0) == 0) {
    for (const auto& ex : builtin_examples())
      if (ex.name == path_or_example.substr(prefix.size())) return ex.yaml;
    throw InputError(core::Location{path_or_example, 0, 0, ""},
                     "no built-in example of that name (see `aifabric examples`)");
  }
  return read_file(path_or_example);
}

void SizeBudget::add(double links, double flows, const core::Location& where) {
  links_ += links;
  flows_ += flows;
  const double bytes = links_ * kBytesPerLink + flows_ * kBytesPerFlow;
  if (bytes > max_bytes_)
    throw InputError(where,
                     fmt::format("the run would need about {:.1f} GB ({:.0f} links, {:.0f} flows at about "
                                 "2 KB a link and 400 B a flow), above limits.max_memory_gbytes = {}; "
                                 "raise it to run a scenario this large",
                                 bytes / 1e9, links_, flows_, max_gbytes_));
}

net::FabricConfig fabric_defaults(net::FabricKind kind) {
  Node fabric = Node::map();
  fabric.set("kind", Node::scalar(net::name(kind)));
  return load_fabric(fabric, ParseContext{"fabric_defaults"});
}

Node scenario_document(const std::string& path_or_example) {
  return read_yaml(scenario_text(path_or_example), path_or_example);
}

api::Scenario load_scenario(const std::string& path_or_example, std::int64_t seed_override) {
  const std::string prefix = "example:";
  if (path_or_example.rfind(prefix, 0) == 0) {
    const std::string name = path_or_example.substr(prefix.size());
    for (const auto& ex : builtin_examples())
      if (ex.name == name) return load_scenario_text(ex.yaml, "example:" + name, seed_override);
    std::string names;
    for (const auto& ex : builtin_examples()) names += (names.empty() ? "" : ", ") + ex.name;
    throw InputError(core::Location{path_or_example, 0, 0, ""},
                     "no built-in example of that name; expected one of: " + names);
  }
  return load_scenario_file(path_or_example, seed_override);
}

}  // namespace aifabric::io
