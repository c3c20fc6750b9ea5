#pragma once
#include <string>

#include "api/result.hpp"
#include "api/scenario.hpp"
#include "telemetry/dataset.hpp"

namespace aifabric::telemetry {

// The run's telemetry (telemetry.counters): every port's counters at each sample, its line rate, and a
// down state for the links faults took out of service. Empty when the run sampled no counters.
Dataset from_run(const api::Scenario& scenario, const api::Result& result);

// OpenMetrics 1.0 text: one family per metric (TYPE, UNIT, HELP), counters as `_total`, base units,
// timestamps in seconds, `# EOF` last.
std::string openmetrics_text(const Dataset& data);
// The same samples as CSV, one line per port and time: time_s,port,from,to and one column per metric.
std::string csv_text(const Dataset& data);
// Each series cut to its last sample: what a scrape shows of a finished run.
Dataset last_samples(Dataset data);
// The port metric families for a scrape: every sample of every labelled dataset, each with `run="LABEL"`
// before its port labels and without a timestamp, family by family (no `# EOF`: the caller ends the text).
std::string openmetrics_families(const std::vector<std::pair<std::string, const Dataset*>>& runs);
// A run's telemetry (from_run) as DIR/metrics.om and DIR/telemetry.csv, when it has any series (true then).
bool write_telemetry_files(const std::string& dir, const Dataset& data);

}  // namespace aifabric::telemetry
