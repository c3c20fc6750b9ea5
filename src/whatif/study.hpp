#pragma once
#include <optional>
#include <string>
#include <vector>

#include "api/assess.hpp"
#include "api/result.hpp"
#include "api/scenario.hpp"
#include "whatif/variants.hpp"

namespace aifabric::whatif {

// A what-if study: a baseline scenario and its variants, each run on its own, in parallel, and compared
// with the baseline. Scenarios with training jobs or inference services are assessed (iteration time,
// utilization, the cost of GPU time lost to the network, latency objectives); the others are simulated
// (flow completion times, drops, pauses).
struct Study {
  std::vector<std::string> labels;  // "baseline" first
  std::vector<api::Scenario> scenarios;
  bool assessed = false;
  std::vector<api::Assessment> assessments;  // when assessed
  std::vector<api::Result> runs;             // otherwise
  double wall_seconds = 0;
  double serial_seconds = 0;  // the runs' own wall times added up
};

// Loads every variant of `baseline` (`source` names it in errors), with `fidelity` overriding each
// scenario's when given, and runs them on `threads` threads (0 = one per core).
Study run_study(const io::Node& baseline, const std::string& source, const std::vector<std::string>& vary,
                std::optional<api::NetworkModel> fidelity, unsigned threads);

// The comparison table, one line per variant (per job or service of it when assessed).
std::string study_text(const Study& study);
// One line per variant (and job or service): the figures of the table, for scripts.
std::string study_csv(const Study& study);

}  // namespace aifabric::whatif
