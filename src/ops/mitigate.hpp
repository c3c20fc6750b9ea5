#pragma once
#include <string>
#include <vector>

#include "api/result.hpp"
#include "api/scenario.hpp"
#include "io/node.hpp"
#include "ops/diagnose.hpp"

namespace aifabric::ops {

// Mitigations verified in the twin (docs/models/diagnose.md): the findings become faults of the scenario
// (the observed state), each candidate action is applied to it and re-simulated, and the actions are
// ranked by the share of the faults' cost they recover and the capacity they take out.
struct MitigationResult {
  std::string action;    // "drain link leaf0-spine1", "fabric.load_balancing=spray"
  std::string finding;   // the finding it answers ("link_degraded link leaf0-spine1"; "congestion")
  double cost = 0;       // the variant's cost metric (see MitigationReport::metric)
  double recovered = 0;  // (observed cost - this cost) / (observed cost - baseline cost): of the faults' cost
  double improvement = 0;    // (observed cost - this cost) / observed cost: congestion included
  double capacity_lost = 0;  // share of the switch-to-switch capacity the action takes out
  std::string risk;
  bool verified = false;  // improves the observed cost by at least kMinImprovement, takes no workload down
  // The action as data: "drain" (link a-b), "load_balancing" (value) or "pfc_watchdog" (the detection
  // time in us, value).
  std::string kind, a, b, value;
};

struct MitigationReport {
  std::string metric;  // "$/h lost" (jobs and services) or "p99 FCT us" (traffic, traffic_cost)
  // Hosts whose flows the traffic cost leaves out: a storming NIC's flows are lost to it whatever the
  // fabric does, so what the others pay is the cost.
  std::vector<std::string> excluded_hosts;
  double baseline_cost = 0, observed_cost = 0;
  std::vector<std::string> faults;           // the findings as the scenario's faults
  std::vector<MitigationResult> candidates;  // best first
  int recommended = -1;                      // index into candidates, -1: none verified
  std::string note;                          // why there is nothing to recommend, when there is not
};

inline constexpr double kMinImprovement = 0.05;

// `scenario` (its document; `source` names it) is the fabric and workloads as designed, without the
// faults the telemetry shows. Runs the baseline, the observed state and every candidate on `threads`
// threads (0 = one per core).
MitigationReport verify_mitigations(const io::Node& scenario, const std::string& source,
                                    const Diagnosis& diagnosis, unsigned threads);

std::string mitigation_text(const MitigationReport& report);

// The cost of a run of traffic: the p99 FCT (us) of its flows with neither end at `excluded_hosts`, each
// unfinished flow counted as taking until the run's end (a lower bound, so that the flows a fault stops do
// not flatter the figure); a flow due to start after the run's end is left out.
double traffic_cost(const api::Scenario& sc, const api::Result& r,
                    const std::vector<std::string>& excluded_hosts);

// `scenario` (a document with its faults) with `action` applied: a drained link's slow-link fault
// becomes a link-down fault, a load-balancing change or the PFC watchdog is set. For checking a prediction
// against a fresh run of the real faults.
io::Node apply_mitigation(const io::Node& scenario, const MitigationResult& action);

}  // namespace aifabric::ops
