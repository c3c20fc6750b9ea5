#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/assess.hpp"
#include "api/parallel.hpp"
#include "api/result.hpp"
#include "api/scenario.hpp"
#include "whatif/variants.hpp"

namespace aifabric::whatif {

// A what-if study: a baseline scenario and its variants, each run on its own, in parallel, and compared
// with the baseline. Scenarios with training jobs or inference services are assessed (iteration time,
// utilization, the cost of GPU time lost to the network, latency objectives); the others are simulated
// (flow completion times, drops, pauses).
// One job of one variant against the same job in the baseline.
struct JobDiff {
  std::size_t variant = 0;
  std::string job;
  double iteration_s = 0;
  double vs_baseline_pct = 0;  // 100 x (iteration / baseline iteration - 1)
  // GPU time the variant costs per hour: gpus x gpu_hour_usd x (1 - baseline / iteration); < 0 saves.
  double cost_vs_baseline_usd_per_hour = 0;
  double vs_ideal_pct = 0;
  double gpu_utilization = 0;
  double tokens_per_s = 0;
  double network_cost_usd_per_hour = 0;
  bool complete = true;
  std::string down;  // why the job cannot run in this variant (a fault took a GPU out); then all is lost
};

// One inference service of one variant against the baseline's.
struct ServiceDiff {
  std::size_t variant = 0;
  std::string service;
  double ttft_p99_ms = 0, ttft_vs_baseline_pct = 0;
  double tpot_p99_ms = 0, tpot_vs_baseline_pct = 0;
  bool objectives_met = false;
  bool complete = true;
  std::string down;
};

// One simulated variant's flows against the baseline's.
struct FlowDiff {
  std::size_t variant = 0;
  std::size_t flows = 0, flows_completed = 0;
  double fct_p50_us = 0, fct_p99_us = 0, fct_max_us = 0, p99_vs_baseline_pct = 0;
  std::uint64_t drops = 0, pause_frames = 0;
};

// One port whose load or queue changed most in a variant, against the same port in the baseline (ports
// are matched by name; a port of a failed link has no counterpart and is left out).
struct LinkDiff {
  std::size_t variant = 0;
  std::string port;
  double utilization = 0, baseline_utilization = 0;
  double mean_queue_bytes = 0, baseline_mean_queue_bytes = 0;
};

// What a study needs of one variant's run to diff it against the baseline: small enough to send between
// processes (outcome_json, outcome_from_json round-trip it exactly).
struct Outcome {
  struct Job {
    std::string name, down;
    std::uint32_t gpus = 0;
    core::TimePs iteration_ps = 0;
    bool complete = true;
    double utilization = 0, tokens_per_s = 0, slowdown_vs_ideal = 0, network_cost_usd_per_hour = 0;
  };
  struct Service {
    std::string name, down;
    std::uint32_t gpus = 0;
    double ttft_p99_ms = 0, tpot_p99_ms = 0;
    bool objective_met = false, complete = true;
  };
  struct Port {
    std::string name;
    double utilization = 0, mean_queue_bytes = 0;  // data class
  };
  std::vector<Job> jobs;
  std::vector<Service> services;
  std::size_t flows = 0, flows_completed = 0;  // simulated variants
  double fct_p50_us = 0, fct_p99_us = 0, fct_max_us = 0;
  std::uint64_t drops = 0, pause_frames = 0;
  std::vector<Port> ports;
  double wall_seconds = 0;
};

Outcome outcome_of(const api::Assessment& assessment);
Outcome outcome_of(const api::Result& run);
std::string outcome_json(const Outcome& outcome);
Outcome outcome_from_json(const std::string& text);

// The variants one process runs when a study is spread over `count` processes: those whose index modulo
// `count` is `index` (so the baseline, variant 0, runs in process 0).
// A count of 0 runs none (a merge of shards run elsewhere).
struct Shard {
  std::size_t index = 0, count = 1;
  bool runs(std::size_t variant) const { return count > 0 && variant % count == index; }
};

// The files of one variant's result folder, in writing order: (name, content).
using Files = std::vector<std::pair<std::string, std::string>>;

struct Study {
  std::vector<std::string> labels;  // "baseline" first
  std::vector<api::Scenario> scenarios;
  bool assessed = false;
  std::vector<api::Assessment> assessments;  // when assessed
  std::vector<api::Result> runs;             // otherwise
  std::vector<Outcome> outcomes;             // per variant: of this process's runs, or received (`ran`)
  std::vector<bool> ran;                     // the variant's outcome is known here
  std::vector<Files> received;               // per variant: its folder's files, when another process ran it
  // Every answer as a diff against the baseline, in variant order (the baseline's own rows first).
  std::vector<JobDiff> jobs;
  std::vector<ServiceDiff> services;
  std::vector<FlowDiff> flows;
  std::vector<LinkDiff> links;  // per variant, its kLinkDiffs ports of largest utilization change
  // Per variant, what it costs per hour against the baseline: the jobs' GPU time lost (all of a job that
  // is down), plus the GPUs of every service that is down or misses an objective the baseline meets.
  std::vector<double> damage_usd_per_hour;
  double wall_seconds = 0;
  double serial_seconds = 0;  // the runs' own wall times added up
};

inline constexpr std::size_t kLinkDiffs = 3;

// Loads every variant (the first is the baseline; `source` names it in errors), with `fidelity`
// overriding each scenario's when given, and runs them on `threads` threads (0 = one per core). With a
// shard of several, only the shard's variants run, and the diffs wait for compare_study once every outcome
// is known (`ran`). `prepare`, when given, sees each scenario once loaded (the service sets its progress
// callback there, which may throw to cancel the study).
Study run_study(const std::vector<Variant>& variants, const std::string& source,
                std::optional<api::NetworkModel> fidelity, unsigned threads, Shard shard = {},
                const api::TasksDone& progress = {}, const std::function<void(api::Scenario&)>& prepare = {});
// Writes one numbered folder per variant that ran into `dir`: its assess.json, or its simulate files.
void write_variant_folders(const std::string& dir, const Study& study);
// The diffs against the baseline (jobs, services, flows, links, damage) from every variant's outcome.
void compare_study(Study& study);
// Variant i's result folder (its assess.json, or its simulate files), from its run or as received.
Files variant_files(const Study& study, std::size_t variant);
// The same for the variants of `--vary PATH=V1,V2,...` (see variants()).
Study run_study(const io::Node& baseline, const std::string& source, const std::vector<std::string>& vary,
                std::optional<api::NetworkModel> fidelity, unsigned threads);

// The comparison table, one line per variant (per job or service of it when assessed).
std::string study_text(const Study& study);
// One line per variant (and job or service): the figures of the table, for scripts.
std::string study_csv(const Study& study);
// The what-if answer: the variants ranked by damage (worst first, at most `top` of them, 0 = all), each
// job's and service's change against the baseline and the links whose load changed most.
std::string whatif_text(const Study& study, std::size_t top);
// What the study's runs cost in wall time (printed, not written: result files hold no wall time).
std::string run_cost_text(const Study& study);
// Every variant's link changes (LinkDiff), for scripts.
std::string links_csv(const Study& study);

}  // namespace aifabric::whatif
