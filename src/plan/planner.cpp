#include "plan/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>
#include <map>
#include <optional>

#include "api/parallel.hpp"
#include "io/scenario_loader.hpp"
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

std::string design_id(net::FabricKind fabric, double rate, const SwitchModel& sw, double ratio) {
  std::string id = fmt::format("{}-{}g-{}-{}to1", net::name(fabric), io::format_number(rate), sw.name,
                               io::format_number(ratio));
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

std::uint32_t tier_switches(const Bom& b, const char* tier) {
  for (const auto& t : b.tiers)
    if (t.tier == tier) return t.switches;
  return 0;
}

GrowthStep grow(const PhaseDesign& a, const topo::TopologySpec& ta, const PhaseDesign& b,
                const topo::TopologySpec& tb, const ObjectiveRequest& obj) {
  GrowthStep g;
  g.from_gpus = a.gpus;
  g.to_gpus = b.gpus;
  const char* tiers[] = {"leaf", "spine", "core"};
  for (int i = 0; i < 3; ++i) {
    const auto before = tier_switches(a.bom, tiers[i]), after = tier_switches(b.bom, tiers[i]);
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
};

// Sizes, builds and counts one candidate at every phase, then assesses the portfolio on the last.
void plan_design(const Candidate& cand, const PlanRequest& req, const io::Node& root,
                 const std::string& source, DesignOutcome& out) {
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
  cluster.servers_per_unit = sized(cluster, req.phases_gpus.size() - 1).servers_per_unit;
  std::vector<topo::TopologySpec> specs;
  for (std::size_t i = 0; i < req.phases_gpus.size(); ++i) {
    PhaseDesign ph;
    ph.gpus = req.phases_gpus[i];
    ph.sizing = sized(cluster, i);
    const auto params = builder_params(ph.sizing, cand.rate_gbps, cluster.storage_nodes);
    specs.push_back(topo::build_rail_optimized(params, "topology"));
    ph.bom = bill_of_materials(specs.back(), ph.sizing, *cand.sw, cand.rate_gbps, cluster, req.catalog);
    ph.scenario = design_document(root, topology_node(params, root["topology"]), cand.fabric);
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
      const auto params = builder_params(pre.sizing, cand.rate_gbps, cluster.storage_nodes);
      const auto spec = topo::build_rail_optimized(params, "topology");
      pre.bom = bill_of_materials(spec, pre.sizing, *cand.sw, cand.rate_gbps, cluster, req.catalog);
      const GrowthStep alt = grow(pre, spec, out.phases[i + 1], specs[i + 1], req.objective);
      g.preprovision = true;
      g.preprovision_capex_usd = pre.bom.capex_usd - out.phases[i].bom.capex_usd;
      g.preprovision_cables_moved = alt.cables_moved;
    }
    out.growth.push_back(g);
  }
  specs.clear();

  // A request without a portfolio is sized and counted only.
  if (root["jobs"] || root["services"]) {
    api::Scenario sc =
        io::load_scenario_document(last.scenario, fmt::format("{} (design {})", source, out.id));
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

std::string usd(double v) {
  return format_usd(v);
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
      r.id, io::format_number(years), usd(r.total_usd), usd(b.capex_usd), usd(r.energy_usd),
      usd(r.lost_gpu_usd), usd(r.lost_usd_per_hour));
  if (any_meets) plan.why += ", meeting every service's latency objective";
  if (order.size() > 1) {
    const DesignOutcome& n = plan.designs[order[1]];
    plan.why +=
        fmt::format("; the next, {}, costs {} more over {} years ({} capital, {} of GPU time)", n.id,
                    usd(n.total_usd - r.total_usd), io::format_number(years),
                    usd(n.phases.back().bom.capex_usd - b.capex_usd), usd(n.lost_gpu_usd - r.lost_gpu_usd));
  }
}

}  // namespace

Plan run_plan(const io::Node& root, const std::string& source) {
  const auto started = std::chrono::steady_clock::now();
  const PlanRequest req = parse_plan(root, source);
  const io::ParseContext ctx{source};
  Plan plan;
  plan.name = root["name"].is_scalar() ? root["name"].text() : source;
  plan.phases_gpus = req.phases_gpus;
  plan.objective = req.objective;

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
          cands.push_back({fabric, rate, &sw, req.options.oversubscription[r], r});
      }
  if (cands.empty())
    throw InputError(ctx.at(root["plan"]["options"] ? root["plan"]["options"] : root["plan"], "plan.options"),
                     "no catalog switch matches the fabrics, link rates and switches asked for");

  plan.designs.resize(cands.size());
  std::vector<std::optional<InputError>> errors(cands.size());
  api::parallel_for(cands.size(), req.threads, [&](std::size_t i) {
    DesignOutcome& d = plan.designs[i];
    const Candidate& c = cands[i];
    d.id = design_id(c.fabric, c.rate_gbps, *c.sw, c.ratio);
    d.fabric = c.fabric;
    d.rate_gbps = c.rate_gbps;
    d.oversubscription = c.ratio;
    d.switch_name = c.sw->name;
    try {
      plan_design(c, req, root, source, d);
    } catch (const InputError& e) {
      d.feasible = false;
      d.why_not = e.what();
      d.phases.clear();
      d.growth.clear();
      errors[i] = e;
    }
  });
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

}  // namespace aifabric::plan
