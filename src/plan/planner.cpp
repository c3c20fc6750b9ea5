#include "plan/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "api/parallel.hpp"
#include "api/run.hpp"
#include "io/loaders.hpp"
#include "io/scenario_loader.hpp"
#include "io/scenario_schemas.hpp"
#include "topo/builders.hpp"

namespace aifabric::plan {

namespace {

using core::InputError;

constexpr double kHoursPerYear = 8760;

io::Node scalar(const std::string& text) {
  return io::Node::scalar(text);
}
io::Node number(double v) {
  return io::Node::scalar(io::format_number(v));
}

const char* family_of(net::FabricKind k) {
  return k == net::FabricKind::kInfiniband ? "infiniband" : "ethernet";
}

std::string design_id(net::FabricKind fabric, double rate, const SwitchModel& sw, double ratio,
                      const SwitchModel* storage_sw, std::uint32_t planes) {
  std::string id = fmt::format("{}-{}g-{}-{}to1{}{}", net::name(fabric), io::format_number(rate), sw.name,
                               io::format_number(ratio), planes > 1 ? fmt::format("-{}planes", planes) : "",
                               storage_sw == nullptr ? "" : fmt::format("+storage-{}", storage_sw->name));
  for (char& ch : id) ch = ch == '.' ? 'p' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return id;
}

// The design's `topology` section: the builder's parameters, and the scenario's own link and switch
// settings with the design's rate.
io::Node topology_node(const topo::RailOptimizedParams& p, const io::Node& base) {
  io::Node t = io::Node::map();
  t.set("kind", scalar("rail_optimized"));
  t.set("scalable_units", number(p.scalable_units));
  t.set("servers_per_unit", number(p.servers_per_unit));
  t.set("gpus_per_server", number(p.gpus_per_server));
  if (p.servers != p.scalable_units * p.servers_per_unit) t.set("servers", number(p.servers));
  t.set("spines", number(p.spines));
  if (p.core_switches > 0) {
    t.set("core_switches", number(p.core_switches));
    if (p.units_per_pod > 1) t.set("units_per_pod", number(p.units_per_pod));
  }
  t.set("oversubscription", number(p.oversubscription));
  if (p.storage_nodes > 0) t.set("storage_nodes", number(p.storage_nodes));
  io::Node link = base["link"].is_map() ? base["link"] : io::Node::map();
  link.set("rate_gbps", number(p.leaf.link.rate_gbps));
  t.set("link", link);
  if (base["switch"].is_map()) t.set("switch", base["switch"]);
  return t;
}

// The portfolio with the design's fabric: `plan` left out, `topology` and `fabric` the design's (the
// scenario's fabric settings kept when it is of the same kind), at flow level as the plan assessed it.
io::Node design_document(const io::Node& root, const io::Node& topology, net::FabricKind fabric) {
  io::Node doc = io::Node::map();
  io::Node fab = io::Node::map();
  if (root["fabric"].is_map() && root["fabric"]["kind"].is_scalar() &&
      root["fabric"]["kind"].text() == net::name(fabric))
    fab = root["fabric"];
  else
    fab.set("kind", scalar(net::name(fabric)));
  bool placed_topology = false, placed_fabric = false;
  for (const auto& e : root.entries()) {
    if (e.key == "plan" || e.key == "fidelity") continue;
    if (e.key == "topology") {
      doc.set("topology", topology);
      placed_topology = true;
    } else if (e.key == "fabric") {
      doc.set("fabric", fab);
      placed_fabric = true;
    } else {
      doc.set(e.key, e.value);
    }
  }
  // The plan's figures are flow-level; the design reproduces them as written.
  doc.set("fidelity", scalar("flow"));
  if (!placed_fabric) doc.set("fabric", fab);
  if (!placed_topology) doc.set("topology", topology);
  return doc;
}

// A scalar's integer value, when it is one.
std::optional<std::int64_t> as_int(const io::Node& n) {
  if (!n.is_scalar()) return std::nullopt;
  try {
    std::size_t used = 0;
    const auto v = std::stoll(n.text(), &used);
    if (used == n.text().size()) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// Whether a job, service or traffic entry of the portfolio lies within the first `gpus` GPUs.
bool fits(const std::string& section, const io::Node& entry, std::uint32_t gpus) {
  if (section == "jobs" && entry["gpu_list"].is_sequence()) {
    for (const auto& g : entry["gpu_list"].items())
      if (as_int(g).value_or(gpus) >= gpus) return false;
    return true;
  }
  auto field = [&](const char* key, std::int64_t fallback) {
    return entry[key] ? as_int(entry[key]).value_or(-1) : fallback;
  };
  if (section == "traffic") {
    const auto count = field("host_count", 0);
    return count > 0 && field("first_host", 0) >= 0 && field("first_host", 0) + count <= gpus;
  }
  const auto n = field("gpus", section == "services" ? 8 : 0);
  return n > 0 && field("first_gpu", 0) >= 0 && field("first_gpu", 0) + n <= gpus;
}

// An earlier phase's document: the portfolio's jobs, services and traffic that fit its GPUs; when none
// does, an all-reduce over every GPU (`aifabric collective`), the bring-up check of a new fabric.
io::Node phase_document(io::Node doc, std::uint32_t gpus) {
  io::Node out = io::Node::map();
  bool any = false;
  for (const auto& e : doc.entries()) {
    if ((e.key != "jobs" && e.key != "services" && e.key != "traffic") || !e.value.is_sequence()) {
      out.set(e.key, e.value);
      continue;
    }
    io::Node kept = io::Node::sequence();
    for (const auto& item : e.value.items())
      if (fits(e.key, item, gpus)) kept.push_back(item);
    if (kept.size() == 0) continue;
    any = true;
    out.set(e.key, kept);
  }
  if (!any && !out["collective"]) {
    io::Node c = io::Node::map();
    c.set("op", scalar("all_reduce"));
    c.set("min_bytes", scalar("1MB"));
    c.set("max_bytes", scalar("256MB"));
    c.set("network", scalar("flow"));
    out.set("collective", c);
  }
  return out;
}

// Links between the same two devices, counted.
std::map<std::pair<std::string, std::string>, std::uint64_t> link_counts(const topo::TopologySpec& t) {
  std::map<std::pair<std::string, std::string>, std::uint64_t> m;
  for (const auto& l : t.links) {
    auto a = t.nodes[l.a].name, b = t.nodes[l.b].name;
    if (b < a) std::swap(a, b);
    ++m[{a, b}];
  }
  return m;
}

// Cables kept between two phases: those whose two ends are the same devices in both. The rest of the
// earlier phase's cables move; the rest of the later phase's are new.
std::pair<std::uint64_t, std::uint64_t> kept_and_moved(const topo::TopologySpec& from,
                                                       const topo::TopologySpec& to) {
  const auto a = link_counts(from), b = link_counts(to);
  std::uint64_t kept = 0;
  for (const auto& [key, n] : a) {
    const auto it = b.find(key);
    if (it != b.end()) kept += std::min(n, it->second);
  }
  return {kept, from.links.size() - kept};
}

GrowthStep grow(const PhaseDesign& a, const topo::TopologySpec& ta, const PhaseDesign& b,
                const topo::TopologySpec& tb, const ObjectiveRequest& obj) {
  GrowthStep g;
  g.from_gpus = a.gpus;
  g.to_gpus = b.gpus;
  const char* tiers[] = {"leaf", "spine", "core"};
  for (int i = 0; i < 3; ++i) {
    const auto before = a.bom.switches_in(tiers[i]), after = b.bom.switches_in(tiers[i]);
    g.switches_added[i] = after > before ? after - before : 0;
  }
  const auto [kept, moved] = kept_and_moved(ta, tb);
  g.cables_moved = moved;
  g.cables_added = tb.links.size() - kept;
  g.rearchitecture = b.sizing.tiers > a.sizing.tiers;
  g.capex_added_usd = b.bom.capex_usd - a.bom.capex_usd;
  g.recable_usd = static_cast<double>(moved) * obj.recable_usd;
  return g;
}

struct Candidate {
  net::FabricKind fabric;
  double rate_gbps;
  const SwitchModel* sw;
  double ratio;
  std::size_t ratio_index;
  const SwitchModel* storage_sw;  // a separate storage fabric's switch; nullptr: storage converged
  std::uint32_t planes;           // identical compute planes, each GPU with a NIC port in every one
};

bool is_checkpoint(const io::Node& entry) {
  return entry["kind"].is_scalar() && entry["kind"].text() == "checkpoint";
}

// `doc` without its checkpoint traffic (`keep_storage` false) or with only that and no jobs or services
// (true). A document left with no workload gets none: the callers check.
io::Node split_storage(const io::Node& doc, bool keep_storage) {
  io::Node out = io::Node::map();
  for (const auto& e : doc.entries()) {
    if (keep_storage && (e.key == "jobs" || e.key == "services" || e.key == "collective")) continue;
    if (e.key != "traffic" || !e.value.is_sequence()) {
      out.set(e.key, e.value);
      continue;
    }
    io::Node kept = io::Node::sequence();
    for (const auto& item : e.value.items())
      if (is_checkpoint(item) == keep_storage) kept.push_back(item);
    if (kept.size() > 0) out.set("traffic", kept);
  }
  return out;
}

// The storage fabric's hosts are the servers' storage NICs (server s, NIC i at s x nics + i), then the
// storage nodes: a checkpoint of GPUs [first, first + count) becomes one of their servers' NICs, each
// NIC writing the shards of gpus_per_server / nics GPUs.
io::Node storage_traffic(const io::Node& traffic, std::uint32_t gpus_per_server, std::uint32_t nics,
                         std::uint32_t servers) {
  io::Node out = io::Node::sequence();
  for (std::size_t i = 0; i < traffic.size(); ++i) {
    io::Node e = traffic[i];
    if (!is_checkpoint(e)) continue;
    const auto first = as_int(e["first_host"]).value_or(0), count = as_int(e["host_count"]).value_or(-1);
    const auto size = e["size_bytes"].is_scalar() ? io::read_bytes(e["size_bytes"], {}, "size_bytes") : 0;
    if (count <= 0 || first % gpus_per_server != 0 || count % gpus_per_server != 0)
      throw core::field_error(fmt::format("traffic[{}]", i),
                              fmt::format("a separate storage fabric carries checkpoints of whole servers: "
                                          "first_host and host_count multiples of {}",
                                          gpus_per_server));
    e.set("first_host", scalar(fmt::format("{}", first / gpus_per_server * nics)));
    e.set("host_count", scalar(fmt::format("{}", count / gpus_per_server * nics)));
    e.set("size_bytes", scalar(fmt::format("{}", size * gpus_per_server / nics)));
    e.set("storage_first_host", scalar(fmt::format("{}", std::uint64_t{servers} * nics)));
    out.push_back(e);
  }
  return out;
}

// A separate storage fabric's parts added to the compute fabric's bill: roles and tiers marked, its
// switches' rack units and racks (the servers are counted once).
void add_storage_fabric(Bom& b, Bom s) {
  for (auto& l : s.lines) {
    l.role =
        l.role == "GPU NIC" ? std::string("server storage NIC") : fmt::format("storage fabric {}", l.role);
    b.lines.push_back(std::move(l));
  }
  for (auto& c : s.cables) {
    c.tier = fmt::format("storage_fabric_{}", c.tier);
    b.cables.push_back(std::move(c));
  }
  for (auto& t : s.tiers) {
    t.tier = fmt::format("storage_fabric_{}", t.tier);
    b.tiers.push_back(std::move(t));
  }
  for (auto n : s.cables_by_tier) b.cables_by_tier[3] += n;
  b.switch_transceivers += s.switch_transceivers;
  b.node_transceivers += s.node_transceivers;
  b.switch_power_w += s.switch_power_w;
  b.optics_power_w += s.optics_power_w;
  b.nic_power_w += s.nic_power_w;
  b.cable_power_w += s.cable_power_w;
  b.capex_usd += s.capex_usd;
  b.rack_units += s.network_rack_units;
  b.racks += s.network_racks;
  b.network_rack_units += s.network_rack_units;
  b.network_racks += s.network_racks;
}

// Sizes, builds and counts one candidate at every phase, then assesses the portfolio on the last.
void plan_design(const Candidate& cand, const PlanRequest& req, const io::Node& root,
                 const std::string& source, DesignOutcome& out, bool evaluate,
                 const std::function<void(api::Scenario&)>& prepare) {
  const auto started = std::chrono::steady_clock::now();
  const std::string ratio_field = fmt::format("plan.options.oversubscription[{}]", cand.ratio_index);
  // The SU is the design's building block: sized for the last phase, the same in every phase.
  auto sized = [&](const ClusterRequest& cluster, std::size_t phase) {
    try {
      return size_fabric(cluster, req.phases_gpus[phase], *cand.sw, cand.ratio, ratio_field);
    } catch (const InputError& e) {
      if (e.where().field != "plan.phases") throw;
      throw core::field_error(fmt::format("plan.phases[{}]", phase), e.expected());
    }
  };
  ClusterRequest cluster = req.cluster;
  if (cand.storage_sw != nullptr) cluster.storage_nodes = 0;  // they sit on the storage fabric
  cluster.servers_per_unit = sized(cluster, req.phases_gpus.size() - 1).servers_per_unit;
  // A separate storage fabric: each server's storage NICs as its rails, the storage nodes on its leaf.
  ClusterRequest storage = req.cluster;
  storage.gpus_per_server = req.storage.nics_per_server;
  storage.fabric_manager_slot = false;
  storage.nic_links_per_cage = 1;
  auto storage_sized = [&](std::uint32_t gpus) {
    const std::uint32_t servers = gpus / req.cluster.gpus_per_server;
    return size_fabric(storage, servers * storage.gpus_per_server, *cand.storage_sw,
                       req.storage.oversubscription, "plan.storage.oversubscription");
  };
  if (cand.storage_sw != nullptr)
    storage.servers_per_unit = storage_sized(req.phases_gpus.back()).servers_per_unit;
  std::vector<topo::TopologySpec> specs;
  std::vector<Bom> storage_boms;
  for (std::size_t i = 0; i < req.phases_gpus.size(); ++i) {
    PhaseDesign ph;
    ph.gpus = req.phases_gpus[i];
    ph.sizing = sized(cluster, i);
    // The planes are identical and a GPU's traffic spreads over its ports evenly: one plane at planes x
    // the port rate stands for them all in the simulation; the bill counts every plane.
    const auto params = builder_params(ph.sizing, cand.rate_gbps * cand.planes, cluster.storage_nodes);
    specs.push_back(topo::build_rail_optimized(params, "topology"));
    ph.bom = bill_of_materials(specs.back(), ph.sizing, *cand.sw, cand.rate_gbps, cluster, req.catalog);
    replicate_planes(ph.bom, cand.planes, cand.rate_gbps, ph.gpus, req.catalog);
    ph.scenario = design_document(root, topology_node(params, root["topology"]), cand.fabric);
    if (cand.storage_sw != nullptr) {
      const Sizing ss = storage_sized(ph.gpus);
      const auto sparams = builder_params(ss, req.storage.link_rate_gbps, req.cluster.storage_nodes);
      const auto sspec = topo::build_rail_optimized(sparams, "topology");
      storage_boms.push_back(
          bill_of_materials(sspec, ss, *cand.storage_sw, req.storage.link_rate_gbps, storage, req.catalog));
      add_storage_fabric(ph.bom, storage_boms.back());
      // The storage fabric as a scenario of its own, carrying the checkpoints.
      io::Node sdoc = io::Node::map();
      sdoc.set("name", scalar(fmt::format("{} storage fabric", out.id)));
      sdoc.set("fidelity", scalar("flow"));
      io::Node sfab = io::Node::map();
      sfab.set("kind", scalar(net::name(req.storage.fabric)));
      sdoc.set("fabric", sfab);
      sdoc.set("topology", topology_node(sparams, root["topology"]));
      if (root["traffic"].is_sequence()) {
        io::Node t = storage_traffic(root["traffic"], req.cluster.gpus_per_server,
                                     req.storage.nics_per_server, ph.sizing.servers);
        if (t.size() > 0) sdoc.set("traffic", t);
      }
      ph.storage_scenario = sdoc;
      ph.scenario = split_storage(ph.scenario, false);
    }
    if (i + 1 < req.phases_gpus.size()) ph.scenario = phase_document(std::move(ph.scenario), ph.gpus);
    out.phases.push_back(std::move(ph));
  }
  const PhaseDesign& last = out.phases.back();
  for (std::size_t i = 0; i + 1 < out.phases.size(); ++i) {
    GrowthStep g = grow(out.phases[i], specs[i], out.phases[i + 1], specs[i + 1], req.objective);
    if (g.rearchitecture) {
      // The other path: three tiers from phase i on, the core built for the last phase.
      PhaseDesign pre;
      pre.gpus = out.phases[i].gpus;
      pre.sizing = size_three_tiers(cluster, pre.gpus, last.gpus, *cand.sw, cand.ratio, ratio_field);
      const auto params = builder_params(pre.sizing, cand.rate_gbps * cand.planes, cluster.storage_nodes);
      const auto spec = topo::build_rail_optimized(params, "topology");
      pre.bom = bill_of_materials(spec, pre.sizing, *cand.sw, cand.rate_gbps, cluster, req.catalog);
      replicate_planes(pre.bom, cand.planes, cand.rate_gbps, pre.gpus, req.catalog);
      if (cand.storage_sw != nullptr) add_storage_fabric(pre.bom, storage_boms[i]);
      const GrowthStep alt = grow(pre, spec, out.phases[i + 1], specs[i + 1], req.objective);
      g.preprovision = true;
      g.preprovision_capex_usd = pre.bom.capex_usd - out.phases[i].bom.capex_usd;
      g.preprovision_cables_moved = alt.cables_moved * cand.planes;
    }
    // Every plane grows alike.
    for (auto& n : g.switches_added) n *= cand.planes;
    g.cables_added *= cand.planes;
    g.cables_moved *= cand.planes;
    g.recable_usd *= cand.planes;
    out.growth.push_back(g);
  }
  specs.clear();
  if (!evaluate) return;  // another process evaluates it (Spread)

  // A request without a portfolio is sized and counted only.
  if (root["jobs"] || root["services"]) {
    api::Scenario sc =
        io::load_scenario_document(last.scenario, fmt::format("{} (design {})", source, out.id));
    if (prepare) prepare(sc);
    const api::Assessment a = api::assess(sc);
    for (const auto& j : a.jobs) {
      JobFigures f;
      f.name = j.name;
      f.gpus = j.gpus;
      f.iteration_s = core::ps_to_sec(j.fabric.iteration_ps);
      f.ideal_iteration_s = core::ps_to_sec(j.ideal.iteration_ps);
      f.tokens_per_s = j.fabric.tokens_per_s;
      f.lost_usd_per_hour = j.network_cost_usd_per_hour;
      f.complete = j.fabric.complete;
      out.tokens_per_s += f.tokens_per_s;
      out.lost_usd_per_hour += f.lost_usd_per_hour;
      out.jobs.push_back(f);
    }
    for (const auto& s : a.services)
      out.services.push_back({s.name, s.fabric.ttft_ms[2], s.fabric.tpot_ms[2], s.fabric.objective_met});
  }
  // The checkpoints alone on the fabric that carries them: the compute fabric, or the storage fabric.
  const io::Node storage_doc =
      cand.storage_sw != nullptr ? last.storage_scenario : split_storage(last.scenario, true);
  if (storage_doc["traffic"]) {
    api::Scenario storage_run =
        io::load_scenario_document(storage_doc, fmt::format("{} (design {} storage)", source, out.id));
    if (prepare) prepare(storage_run);
    const api::Result r = api::run(storage_run);
    core::TimePs first = std::numeric_limits<core::TimePs>::max(), done = 0;
    for (const auto& f : r.flows) {
      first = std::min(first, f.start_ps);
      done = std::max(done, f.finish_ps);
      out.storage_complete = out.storage_complete && f.completed();
    }
    out.storage_s = r.flows.empty() ? 0 : core::ps_to_sec(done - first);
  }
  const double hours = req.objective.years * kHoursPerYear;
  out.energy_usd =
      last.bom.network_power_w() / 1e3 * req.objective.pue * hours * req.objective.energy_usd_per_kwh;
  out.lost_gpu_usd = out.lost_usd_per_hour * hours;
  double growth_usd = 0;
  for (const auto& g : out.growth) growth_usd += g.recable_usd;
  out.total_usd = last.bom.capex_usd + out.energy_usd + out.lost_gpu_usd + growth_usd;
  out.feasible = true;
  out.assess_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

// Pareto: no other design is at most as costly, at most as power-hungry and at least as fast, and
// better in one of them.
void mark_pareto(std::vector<DesignOutcome>& designs) {
  for (auto& d : designs) {
    if (!d.feasible) continue;
    const Bom& b = d.phases.back().bom;
    d.pareto = std::none_of(designs.begin(), designs.end(), [&](const DesignOutcome& o) {
      if (!o.feasible || &o == &d) return false;
      const Bom& ob = o.phases.back().bom;
      const bool no_worse = ob.capex_usd <= b.capex_usd && ob.network_power_w() <= b.network_power_w() &&
                            o.tokens_per_s >= d.tokens_per_s;
      const bool better = ob.capex_usd < b.capex_usd || ob.network_power_w() < b.network_power_w() ||
                          o.tokens_per_s > d.tokens_per_s;
      return no_worse && better;
    });
  }
}

// The design with the lowest cost over the horizon among those that meet every service's objectives
// (all designs when none does), and why.
void recommend(Plan& plan) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < plan.designs.size(); ++i)
    if (plan.designs[i].feasible) order.push_back(i);
  const bool any_meets = std::any_of(order.begin(), order.end(), [&](std::size_t i) {
    const auto& s = plan.designs[i].services;
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](const ServiceFigures& f) { return f.objective_met; });
  });
  auto meets = [&](std::size_t i) {
    const auto& s = plan.designs[i].services;
    return !any_meets ||
           std::all_of(s.begin(), s.end(), [](const ServiceFigures& f) { return f.objective_met; });
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (meets(a) != meets(b)) return meets(a);
    return plan.designs[a].total_usd < plan.designs[b].total_usd;
  });
  plan.recommended = order.front();
  const DesignOutcome& r = plan.designs[order.front()];
  const Bom& b = r.phases.back().bom;
  const double years = plan.objective.years;
  plan.why = fmt::format(
      "{}: the lowest {}-year cost, {} = {} capital + {} energy for the network + {} of GPU time lost to it "
      "({}/h)",
      r.id, io::format_number(years), format_usd(r.total_usd), format_usd(b.capex_usd),
      format_usd(r.energy_usd), format_usd(r.lost_gpu_usd), format_usd(r.lost_usd_per_hour));
  if (any_meets) plan.why += ", meeting every service's latency objective";
  if (order.size() > 1) {
    const DesignOutcome& n = plan.designs[order[1]];
    plan.why += fmt::format("; the next, {}, costs {} more over {} years ({} capital, {} of GPU time)", n.id,
                            format_usd(n.total_usd - r.total_usd), io::format_number(years),
                            format_usd(n.phases.back().bom.capex_usd - b.capex_usd),
                            format_usd(n.lost_gpu_usd - r.lost_gpu_usd));
  }
}

}  // namespace

Plan run_plan(const io::Node& root, const std::string& source, const api::TasksDone& progress,
              const Spread& spread) {
  const auto started = std::chrono::steady_clock::now();
  const PlanRequest req = parse_plan(root, source);
  const io::ParseContext ctx{source};
  Plan plan;
  plan.name = root["name"].is_scalar() ? root["name"].text() : source;
  plan.phases_gpus = req.phases_gpus;
  plan.objective = req.objective;

  // A separate storage fabric's switch: the first of its fabric and speed (or the one named).
  const SwitchModel* storage_sw = nullptr;
  for (const auto& sw : req.catalog.switches)
    if (storage_sw == nullptr && sw.fabric == family_of(req.storage.fabric) &&
        sw.rate_gbps == req.storage.link_rate_gbps &&
        (req.storage.switch_name.empty() || sw.name == req.storage.switch_name))
      storage_sw = &sw;
  std::vector<Candidate> cands;
  for (const auto fabric : req.options.fabrics)
    for (const double rate : req.options.link_rates_gbps)
      for (const auto& sw : req.catalog.switches) {
        if (sw.fabric != family_of(fabric) || sw.rate_gbps != rate) continue;
        if (!req.options.switches.empty() &&
            std::find(req.options.switches.begin(), req.options.switches.end(), sw.name) ==
                req.options.switches.end())
          continue;
        for (std::size_t r = 0; r < req.options.oversubscription.size(); ++r)
          for (const std::uint32_t planes : req.options.planes)
            for (const bool separate : req.options.separate_storage)
              cands.push_back({fabric, rate, &sw, req.options.oversubscription[r], r,
                               separate ? storage_sw : nullptr, planes});
      }
  if (cands.empty())
    throw InputError(ctx.at(root["plan"]["options"] ? root["plan"]["options"] : root["plan"], "plan.options"),
                     "no catalog switch matches the fabrics, link rates and switches asked for");

  // Memory, before anything is built: each design in flight holds its topology and cable plant, about
  // three links per GPU port at three tiers, at the cost per link of io::SizeBudget.
  {
    const io::Limits limits = io::parse_with_defaults(io::limits_schema(), root["limits"], ctx, "limits");
    io::SizeBudget budget(limits.max_memory_gbytes);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const auto in_flight =
        static_cast<double>(std::min<std::size_t>(req.threads == 0 ? cores : req.threads, cands.size()));
    const auto planes = *std::max_element(req.options.planes.begin(), req.options.planes.end());
    const std::size_t last = req.phases_gpus.size() - 1;
    budget.add_links(3.0 * req.phases_gpus[last] * planes * in_flight,
                     ctx.at(root["plan"]["phases"][last], fmt::format("plan.phases[{}]", last)));
  }
  plan.designs.resize(cands.size());
  std::vector<std::optional<InputError>> errors(cands.size());
  api::parallel_for(
      cands.size(), req.threads,
      [&](std::size_t i) {
        DesignOutcome& d = plan.designs[i];
        const Candidate& c = cands[i];
        d.id = design_id(c.fabric, c.rate_gbps, *c.sw, c.ratio, c.storage_sw, c.planes);
        d.planes = c.planes;
        d.fabric = c.fabric;
        d.rate_gbps = c.rate_gbps;
        d.oversubscription = c.ratio;
        d.switch_name = c.sw->name;
        d.separate_storage = c.storage_sw != nullptr;
        try {
          plan_design(c, req, root, source, d, !spread.mine || spread.mine(i), spread.prepare);
        } catch (const InputError& e) {
          d.feasible = false;
          d.why_not = e.what();
          d.phases.clear();
          d.growth.clear();
          errors[i] = e;
        }
      },
      progress);
  if (spread.exchange) {
    std::vector<bool> evaluated(cands.size());
    for (std::size_t i = 0; i < cands.size(); ++i) evaluated[i] = !spread.mine || spread.mine(i);
    spread.exchange(plan.designs, evaluated);
    if (!spread.reports) return plan;
    for (std::size_t i = 0; i < cands.size(); ++i)
      if (!evaluated[i] && !plan.designs[i].feasible && !errors[i])
        errors[i] = InputError(core::Location{source, 0, 0, "plan"}, plan.designs[i].why_not);
  }
  const bool any = std::any_of(plan.designs.begin(), plan.designs.end(),
                               [](const DesignOutcome& d) { return d.feasible; });
  if (!any) {
    const InputError& e = *errors.front();
    if (!e.where().file.empty()) throw e;
    throw e.located(source, root["plan"].line(), root["plan"].column());
  }
  mark_pareto(plan.designs);
  recommend(plan);
  for (const auto& d : plan.designs) plan.serial_seconds += d.assess_seconds;
  plan.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return plan;
}

std::string evaluation_json(const DesignOutcome& d) {
  nlohmann::json jobs = nlohmann::json::array(), services = nlohmann::json::array();
  for (const auto& j : d.jobs)
    jobs.push_back({j.name, j.gpus, j.iteration_s, j.ideal_iteration_s, j.tokens_per_s, j.lost_usd_per_hour,
                    j.storage_s, j.storage_complete, j.complete});
  for (const auto& s : d.services)
    services.push_back({s.name, s.ttft_p99_ms, s.tpot_p99_ms, s.objective_met});
  return nlohmann::json{{"feasible", d.feasible},
                        {"why_not", d.why_not},
                        {"jobs", jobs},
                        {"services", services},
                        {"figures",
                         {d.tokens_per_s, d.lost_usd_per_hour, d.storage_s, d.energy_usd, d.lost_gpu_usd,
                          d.total_usd, d.assess_seconds}},
                        {"storage_complete", d.storage_complete}}
      .dump();
}

void apply_evaluation(DesignOutcome& d, const std::string& text) {
  const auto j = nlohmann::json::parse(text);
  d.feasible = j.at("feasible");
  d.why_not = j.at("why_not");
  d.jobs.clear();
  for (const auto& x : j.at("jobs")) d.jobs.push_back({x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]});
  d.services.clear();
  for (const auto& x : j.at("services")) d.services.push_back({x[0], x[1], x[2], x[3]});
  const auto& f = j.at("figures");
  d.tokens_per_s = f[0];
  d.lost_usd_per_hour = f[1];
  d.storage_s = f[2];
  d.energy_usd = f[3];
  d.lost_gpu_usd = f[4];
  d.total_usd = f[5];
  d.assess_seconds = f[6];
  d.storage_complete = j.at("storage_complete");
  if (!d.feasible) {  // as run_plan leaves a design that failed where it was evaluated
    d.phases.clear();
    d.growth.clear();
  }
}

}  // namespace aifabric::plan
