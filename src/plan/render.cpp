#include "plan/render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "io/schema.hpp"
#include "io/writers.hpp"
#include "io/yaml_reader.hpp"

namespace aifabric::plan {

namespace {

std::string signed_usd(double v) {
  return fmt::format("{}{}", v >= 0 ? "+" : "", format_usd(v));
}

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    out += c;
    if (c == '"') out += c;
  }
  out += '"';
  return out;
}

double worst_slowdown_pct(const DesignOutcome& d) {
  double worst = 0;
  for (const auto& j : d.jobs)
    if (j.ideal_iteration_s > 0) worst = std::max(worst, 100 * (j.iteration_s / j.ideal_iteration_s - 1));
  return worst;
}

// The same fabric, speed and switch at 1:1, when the plan has it.
const DesignOutcome* sibling_at_one(const Plan& plan, const DesignOutcome& d) {
  for (const auto& o : plan.designs)
    if (o.feasible && o.oversubscription == 1 && o.fabric == d.fabric && o.rate_gbps == d.rate_gbps &&
        o.switch_name == d.switch_name && o.separate_storage == d.separate_storage && o.planes == d.planes)
      return &o;
  return nullptr;
}

}  // namespace

std::string plan_cost_text(const Plan& plan) {
  return fmt::format("run cost     {} designs in {:.2f} s wall ({:.2f} s if run one after another)\n",
                     plan.designs.size(), plan.wall_seconds, plan.serial_seconds);
}

std::string plan_text(const Plan& plan) {
  std::size_t feasible = 0;
  for (const auto& d : plan.designs) feasible += d.feasible ? 1 : 0;
  std::string phases;
  for (auto g : plan.phases_gpus) phases += fmt::format("{}{}", phases.empty() ? "" : " -> ", g);
  std::string out = fmt::format(
      "plan         {}: {} candidate designs for {} GPUs, {} buildable; portfolio assessed at flow level on "
      "the last phase\n",
      plan.name, plan.designs.size(), phases, feasible);
  const std::string years = io::format_number(plan.objective.years);
  const bool storage = std::any_of(plan.designs.begin(), plan.designs.end(),
                                   [](const DesignOutcome& d) { return d.storage_s > 0; });
  std::size_t width = 30;
  for (const auto& d : plan.designs) width = std::max(width, d.id.size());
  out += fmt::format(
      "{:<{}} {:>5} {:>5} {:>5} {:>5} {:>7} {:>7} {:>7} {:>9} {:>9} {:>11} {:>9} {:>9} {:>7} {:>10}  {}\n",
      "design", width, "tiers", "leaf", "spine", "core", "storage", "xcvrs", "cables", "power kW", "capital",
      "tokens/s", "vs ideal", "lost $/h", storage ? "ckpt s" : "", fmt::format("{}y cost", years), "pareto");
  for (const auto& d : plan.designs) {
    if (!d.feasible) continue;
    const Bom& b = d.phases.back().bom;
    const auto& s = d.phases.back().sizing;
    std::uint64_t cables = 0;
    for (auto c : b.cables_by_tier) cables += c;
    // The storage fabric's switches when it is separate, the storage leaf's otherwise.
    std::uint32_t storage_switches = s.storage_leaves;
    for (const auto& t : b.tiers)
      if (t.tier.rfind("storage_fabric_", 0) == 0) storage_switches += t.switches;
    out += fmt::format(
        "{:<{}} {:>5} {:>5} {:>5} {:>5} {:>7} {:>7} {:>7} {:>9.1f} {:>9} {:>11.0f} {:>8.1f}% {:>9.2f} {:>7} "
        "{:>10}  {}\n",
        d.id, width, s.tiers, s.leaves, s.spines, s.cores, storage_switches,
        b.switch_transceivers + b.node_transceivers, cables, b.network_power_w() / 1e3,
        format_usd(b.capex_usd), d.tokens_per_s, worst_slowdown_pct(d), d.lost_usd_per_hour,
        storage ? fmt::format("{:.3f}{}", d.storage_s, d.storage_complete ? "" : "+") : "",
        format_usd(d.total_usd), d.pareto ? "yes" : "");
    for (const auto& sv : d.services)
      out += fmt::format("{:<{}} service {}: TTFT p99 {:.1f} ms, TPOT p99 {:.2f} ms, objectives {}\n", "",
                         width, sv.name, sv.ttft_p99_ms, sv.tpot_p99_ms, sv.objective_met ? "met" : "missed");
  }
  for (const auto& d : plan.designs)
    if (!d.feasible) out += fmt::format("not buildable {}: {}\n", d.id, d.why_not);

  bool header = false;
  for (const auto& d : plan.designs) {
    if (!d.feasible || d.oversubscription == 1) continue;
    const DesignOutcome* one = sibling_at_one(plan, d);
    if (one == nullptr) continue;
    if (!header) out += "oversubscribed against 1:1 (same fabric, speed and switch):\n";
    header = true;
    const Bom &b = d.phases.back().bom, &o = one->phases.back().bom;
    const double tput = one->tokens_per_s > 0 ? 100 * (d.tokens_per_s / one->tokens_per_s - 1) : 0;
    out += fmt::format(
        "  {} vs {}: throughput {:+.1f}%, switches {:+d} ({:+d} spine, {:+d} core), transceivers {:+d}, "
        "network "
        "power {:+.1f} kW, capital {}, GPU time lost {:+.2f} $/h, {}-year cost {}\n",
        d.id, one->id, tput, int(b.switch_count()) - int(o.switch_count()),
        int(b.switches_in("spine")) - int(o.switches_in("spine")),
        int(b.switches_in("core")) - int(o.switches_in("core")),
        static_cast<long long>(b.switch_transceivers + b.node_transceivers) -
            static_cast<long long>(o.switch_transceivers + o.node_transceivers),
        (b.network_power_w() - o.network_power_w()) / 1e3, signed_usd(b.capex_usd - o.capex_usd),
        d.lost_usd_per_hour - one->lost_usd_per_hour, years, signed_usd(d.total_usd - one->total_usd));
  }

  const DesignOutcome& r = plan.designs[plan.recommended];
  for (const auto& g : r.growth) {
    out += fmt::format(
        "growth       {} -> {} GPUs on {}: +{} leaf, +{} spine, +{} core switches, +{} cables, {} "
        "existing cables moved ({}), capital {}{}\n",
        g.from_gpus, g.to_gpus, r.id, g.switches_added[0], g.switches_added[1], g.switches_added[2],
        g.cables_added, g.cables_moved, format_usd(g.recable_usd), signed_usd(g.capex_added_usd),
        g.rearchitecture ? "; adds a tier (two to three)" : "");
    if (g.preprovision)
      out += fmt::format(
          "             or build {} GPUs on three tiers with the core for {}: capital {} at that "
          "phase, {} cables moved at this step instead of {}\n",
          g.from_gpus, plan.phases_gpus.back(), signed_usd(g.preprovision_capex_usd),
          g.preprovision_cables_moved, g.cables_moved);
  }
  out += fmt::format("recommended  {}\n", plan.why);
  return out;
}

std::string plan_json(const Plan& plan) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["name"] = plan.name;
  j["phases_gpus"] = plan.phases_gpus;
  j["objective"] = {{"years", plan.objective.years},
                    {"energy_usd_per_kwh", plan.objective.energy_usd_per_kwh},
                    {"pue", plan.objective.pue},
                    {"recable_usd", plan.objective.recable_usd}};
  j["recommended"] = plan.designs[plan.recommended].id;
  j["why"] = plan.why;
  ordered_json designs = ordered_json::array();
  for (const auto& d : plan.designs) {
    ordered_json o;
    o["id"] = d.id;
    o["fabric"] = net::name(d.fabric);
    o["link_rate_gbps"] = d.rate_gbps;
    o["oversubscription"] = d.oversubscription;
    o["switch"] = d.switch_name;
    o["planes"] = d.planes;
    o["separate_storage"] = d.separate_storage;
    o["buildable"] = d.feasible;
    if (!d.feasible) {
      o["why_not"] = d.why_not;
      designs.push_back(o);
      continue;
    }
    ordered_json phases = ordered_json::array();
    for (std::size_t i = 0; i < d.phases.size(); ++i) {
      const auto& p = d.phases[i];
      const auto& s = p.sizing;
      const auto& b = p.bom;
      ordered_json tiers = ordered_json::array();
      for (const auto& t : b.tiers)
        tiers.push_back({{"tier", t.tier},
                         {"switches", t.switches},
                         {"ports_used", t.ports_used},
                         {"ports_free", t.ports_free}});
      phases.push_back(
          {{"gpus", p.gpus},
           {"servers", s.servers},
           {"tiers", s.tiers},
           {"scalable_units", s.units},
           {"servers_per_unit", s.servers_per_unit},
           {"leaf_uplinks", s.leaf_up},
           {"units_per_pod", s.units_per_pod},
           {"switches", tiers},
           {"cables",
            {{"leaf", b.cables_by_tier[0]},
             {"spine", b.cables_by_tier[1]},
             {"core", b.cables_by_tier[2]},
             {"storage", b.cables_by_tier[3]}}},
           {"transceivers", {{"switch_side", b.switch_transceivers}, {"server_side", b.node_transceivers}}},
           {"power_w",
            {{"switches", b.switch_power_w},
             {"optics", b.optics_power_w},
             {"nics", b.nic_power_w},
             {"cables", b.cable_power_w}}},
           {"rack_units", b.rack_units},
           {"racks", b.racks},
           {"capex_usd", b.capex_usd},
           {"scenario", fmt::format("designs/{}/phase{}.yaml", d.id, i)},
           {"storage_scenario",
            p.storage_scenario ? fmt::format("designs/{}/phase{}.storage.yaml", d.id, i) : ""}});
    }
    o["phases"] = phases;
    ordered_json growth = ordered_json::array();
    for (const auto& g : d.growth) {
      ordered_json step = {
          {"from_gpus", g.from_gpus},
          {"to_gpus", g.to_gpus},
          {"switches_added",
           {{"leaf", g.switches_added[0]}, {"spine", g.switches_added[1]}, {"core", g.switches_added[2]}}},
          {"cables_added", g.cables_added},
          {"cables_moved", g.cables_moved},
          {"adds_a_tier", g.rearchitecture},
          {"capex_added_usd", g.capex_added_usd},
          {"recable_usd", g.recable_usd}};
      if (g.preprovision)
        step["preprovision"] = {{"extra_capex_usd", g.preprovision_capex_usd},
                                {"cables_moved", g.preprovision_cables_moved}};
      growth.push_back(step);
    }
    o["growth"] = growth;
    ordered_json jobs = ordered_json::array();
    for (const auto& f : d.jobs)
      jobs.push_back({{"name", f.name},
                      {"gpus", f.gpus},
                      {"iteration_s", f.iteration_s},
                      {"ideal_iteration_s", f.ideal_iteration_s},
                      {"tokens_per_s", f.tokens_per_s},
                      {"network_cost_usd_per_hour", f.lost_usd_per_hour},
                      {"complete", f.complete}});
    o["jobs"] = jobs;
    ordered_json services = ordered_json::array();
    for (const auto& s : d.services)
      services.push_back({{"name", s.name},
                          {"ttft_p99_ms", s.ttft_p99_ms},
                          {"tpot_p99_ms", s.tpot_p99_ms},
                          {"objective_met", s.objective_met}});
    o["services"] = services;
    o["tokens_per_s"] = d.tokens_per_s;
    o["network_cost_usd_per_hour"] = d.lost_usd_per_hour;
    o["checkpoint_s"] = d.storage_s;
    o["checkpoint_complete"] = d.storage_complete;
    o["cost_over_horizon_usd"] = {{"capex", d.phases.back().bom.capex_usd},
                                  {"energy", d.energy_usd},
                                  {"gpu_time_lost", d.lost_gpu_usd},
                                  {"total", d.total_usd}};
    o["pareto"] = d.pareto;
    designs.push_back(o);
  }
  j["designs"] = designs;
  return j.dump(2) + "\n";
}

std::string bom_csv(const Bom& bom) {
  std::string out = "item,role,count,unit_power_w,unit_price_usd,source\n";
  for (const auto& l : bom.lines)
    out += fmt::format("{},{},{},{},{},{}\n", csv_cell(l.item), csv_cell(l.role), l.count,
                       io::format_number(l.unit_power_w), io::format_number(l.unit_price_usd),
                       csv_cell(l.source));
  return out;
}

std::string cabling_csv(const Bom& bom) {
  std::string out = "cable,tier,a_device,a_port,b_device,b_port,length_m,medium,catalog\n";
  std::size_t n = 0;
  for (const auto& c : bom.cables)
    out += fmt::format("{},{},{},{},{},{},{:.1f},{},{}\n", ++n, c.tier, c.a_device, c.a_port, c.b_device,
                       c.b_port, c.length_m, c.medium, csv_cell(c.cable));
  return out;
}

void write_plan_files(const std::string& dir, const Plan& p, const std::string& shown_as) {
  io::write_file_atomic(dir + "/plan.json", plan_json(p));
  io::write_file_atomic(dir + "/summary.txt", plan_text(p));
  const auto& best = p.designs[p.recommended].phases.back().bom;
  io::write_file_atomic(dir + "/bom.csv", bom_csv(best));
  io::write_file_atomic(dir + "/cabling.csv", cabling_csv(best));
  std::filesystem::create_directory(dir + "/designs");
  for (const auto& d : p.designs) {
    if (!d.feasible) continue;
    const std::string ddir = dir + "/designs/" + d.id;
    std::filesystem::create_directory(ddir);
    for (std::size_t i = 0; i < d.phases.size(); ++i) {
      const auto& ph = d.phases[i];
      const std::string note = fmt::format(
          "Design {} of plan {} at phase {} ({} GPUs), written by `aifabric plan`.\nEvery command "
          "accepts it: aifabric assess {}/designs/{}/phase{}.yaml",
          d.id, p.name, i, ph.gpus, shown_as, d.id, i);
      io::write_file_atomic(fmt::format("{}/phase{}.yaml", ddir, i), io::write_yaml(ph.scenario, note));
      if (ph.storage_scenario)
        io::write_file_atomic(
            fmt::format("{}/phase{}.storage.yaml", ddir, i),
            io::write_yaml(ph.storage_scenario,
                           fmt::format("The storage fabric of design {} at phase {}, with the "
                                       "portfolio's checkpoints: aifabric simulate FILE",
                                       d.id, i)));
      io::write_file_atomic(fmt::format("{}/phase{}.bom.csv", ddir, i), bom_csv(ph.bom));
      io::write_file_atomic(fmt::format("{}/phase{}.cabling.csv", ddir, i), cabling_csv(ph.bom));
    }
  }
}

}  // namespace aifabric::plan
