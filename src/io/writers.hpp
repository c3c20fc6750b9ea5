#pragma once
#include <string>

#include "api/assess.hpp"
#include "api/collective_sweep.hpp"
#include "api/execute.hpp"
#include "api/result.hpp"
#include "api/scenario.hpp"

namespace aifabric::io {

// Writes `content` to `path` atomically: a temporary file in the same folder, flushed, then renamed over
// `path`. A killed run leaves either the old file or the complete new one, never half of one.
void write_file_atomic(const std::string& path, const std::string& content);

// summary.json, flows.csv, ports.csv and (when sampled) timeseries.csv in `dir`, created if needed. The
// files depend only on the scenario and seed: the run's own cost is not in them. Fields: docs/output.md.
void write_results(const std::string& dir, const api::Scenario& scenario, const api::Result& result);

std::string summary_json(const api::Scenario& scenario, const api::Result& result);
std::string flows_csv(const api::Result& result);
std::string ports_csv(const api::Result& result);
std::string timeseries_csv(const api::Result& result);

// The nccl-tests table of a collective sweep (out-of-place columns; the model has no in-place difference),
// and the same rows as CSV.
std::string collective_table(const api::Scenario& scenario, const std::vector<api::CollectiveRow>& rows);
std::string collective_csv(const api::Scenario& scenario, const std::vector<api::CollectiveRow>& rows);

// The readiness assessment: per job against the ideal network, and the bottleneck ports.
std::string assess_text(const api::Scenario& scenario, const api::Assessment& a);
std::string assess_json(const api::Scenario& scenario, const api::Assessment& a);

// The short human summary the CLI prints.
std::string human_summary(const api::Scenario& scenario, const api::Result& result);

}  // namespace aifabric::io
