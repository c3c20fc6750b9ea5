#pragma once
// `aifabric plan`: every candidate design of a plan request sized, counted and built, its growth phases
// compared, and the workload portfolio assessed on it at flow level, in parallel; a Pareto set and a
// recommendation that says why (docs/models/plan.md).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/assess.hpp"
#include "api/parallel.hpp"
#include "io/node.hpp"
#include "plan/bom.hpp"
#include "plan/request.hpp"
#include "plan/sizing.hpp"

namespace aifabric::plan {

// One design at one growth phase.
struct PhaseDesign {
  std::uint32_t gpus = 0;
  Sizing sizing;
  Bom bom;
  io::Node scenario;  // the design as a scenario every command accepts (the portfolio with this fabric)
  io::Node storage_scenario;  // a separate storage fabric with the checkpoints (else undefined)
};

// From one phase to the next: what is added and what existing cables move.
struct GrowthStep {
  std::uint32_t from_gpus = 0, to_gpus = 0;
  std::uint32_t switches_added[3] = {0, 0, 0};  // leaf, spine, core
  std::uint64_t cables_added = 0;
  std::uint64_t cables_moved = 0;  // existing switch-to-switch cables re-terminated on another switch
  bool rearchitecture = false;     // the phase adds a tier
  double capex_added_usd = 0;
  double recable_usd = 0;  // cables_moved x objective.recable_usd
  // Where the step adds a tier: the other path, building the earlier phase on three tiers with its core
  // sized for the last phase, so the step moves (almost) nothing.
  bool preprovision = false;
  double preprovision_capex_usd = 0;  // extra capital at the earlier phase
  std::uint64_t preprovision_cables_moved = 0;
};

struct JobFigures {
  std::string name;
  std::uint32_t gpus = 0;
  double iteration_s = 0, ideal_iteration_s = 0;
  double tokens_per_s = 0;
  double lost_usd_per_hour = 0;
  // The checkpoints alone on the fabric that carries them (first start to last finish), when any.
  double storage_s = 0;
  bool storage_complete = true;
  bool complete = true;
};

struct ServiceFigures {
  std::string name;
  double ttft_p99_ms = 0, tpot_p99_ms = 0;
  bool objective_met = false;
};

struct DesignOutcome {
  std::string id;  // roce-400g-sn5600-1to1
  net::FabricKind fabric = net::FabricKind::kRoce;
  double rate_gbps = 0;
  double oversubscription = 1;
  std::string switch_name;
  std::uint32_t planes = 1;
  bool separate_storage = false;  // storage NICs and nodes on a fabric of their own (plan.storage)
  bool feasible = false;
  std::string why_not;  // when infeasible
  std::vector<PhaseDesign> phases;
  std::vector<GrowthStep> growth;
  // The portfolio on the last phase.
  std::vector<JobFigures> jobs;
  std::vector<ServiceFigures> services;
  double tokens_per_s = 0;
  double lost_usd_per_hour = 0;
  // The checkpoints alone on the fabric that carries them (first start to last finish), when any.
  double storage_s = 0;
  bool storage_complete = true;
  double energy_usd = 0, lost_gpu_usd = 0, total_usd = 0;  // over objective.years
  bool pareto = false;
  double assess_seconds = 0;
};

struct Plan {
  std::string name;
  std::vector<std::uint32_t> phases_gpus;
  ObjectiveRequest objective;
  std::vector<DesignOutcome> designs;
  std::size_t recommended = 0;  // index into designs
  std::string why;
  double wall_seconds = 0;
  double serial_seconds = 0;  // the designs' own times added up
};

// How run_plan runs its designs, and spreads them over processes (dist::run_plan): every process builds every
// design (the sizing, bill of materials and growth are cheap and deterministic) but evaluates (assesses the
// portfolio, runs the checkpoints) only those `mine` accepts; then `exchange` brings the other processes'
// evaluations (evaluation_json, apply_evaluation) to the one that reports. One that does not report returns
// after the exchange, its plan incomplete.
struct Spread {
  std::function<bool(std::size_t)> mine;
  std::function<void(std::vector<DesignOutcome>& designs, const std::vector<bool>& evaluated)> exchange;
  bool reports = true;
  // When given, sees each scenario a design runs before it runs (the service sets its progress callback
  // there, which may throw to cancel the plan).
  std::function<void(api::Scenario&)> prepare;
};

// Plans the scenario document `root` (its `plan` section and its portfolio). `source` names it in
// errors. Designs that cannot be built are kept with the reason; when none can, the first reason is
// the error. `progress` is told after each design (a progress display).
Plan run_plan(const io::Node& root, const std::string& source, const api::TasksDone& progress = {},
              const Spread& spread = {});

// A design's evaluation (feasibility, the portfolio's figures, the checkpoints, the totals) as JSON that
// apply_evaluation reads back exactly.
std::string evaluation_json(const DesignOutcome& d);
void apply_evaluation(DesignOutcome& d, const std::string& json);

}  // namespace aifabric::plan
