#pragma once
// A plan as people and scripts read it: the summary table, plan.json, bom.csv and cabling.csv.
#include <string>

#include "plan/planner.hpp"

namespace aifabric::plan {

// The designs side by side (tiers, switches, optics, power, capital, throughput, GPU time lost, cost over
// the horizon, Pareto), each r:1 design against its 1:1 sibling, the recommended design's growth and
// the recommendation with its reasons.
std::string plan_text(const Plan& plan);
// What the plan's runs cost in wall time (printed, not written: result files hold no wall time).
std::string plan_cost_text(const Plan& plan);
// A plan's result files into `dir`: plan.json, summary.txt, the recommended design's bom.csv and
// cabling.csv, and per buildable design and phase designs/ID/phaseN.yaml (a scenario every command takes;
// its comment names it under `shown_as`, the folder as the user knows it), .storage.yaml, .bom.csv and
// .cabling.csv.
void write_plan_files(const std::string& dir, const Plan& plan, const std::string& shown_as);
// Everything above and per design and phase its tiers, ports, counts and portfolio figures.
std::string plan_json(const Plan& plan);
// item, role, count, unit_power_w, unit_price_usd, source: one line per part of one design's phase.
std::string bom_csv(const Bom& bom);
// One line per cable: both ends by device and port, tier, length, medium, catalog cable.
std::string cabling_csv(const Bom& bom);

}  // namespace aifabric::plan
