#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/collective_sweep.hpp"
#include "api/execute.hpp"
#include "api/scenario.hpp"
#include "api/timeline.hpp"
#include "workload/trace.hpp"

namespace aifabric::api {

// One training iteration of one job, on one network model.
struct IterationReport {
  bool complete = true;  // false: the network stopped (stop_time_us or a deadlock) before the iteration ended
  core::TimePs iteration_ps = 0;
  double compute_us = 0;                     // per GPU, averaged over the job's GPUs
  std::map<std::string, double> exposed_us;  // idle GPU time by what it waited for (tp, pp, dp, ep), averaged
  double utilization = 0;                    // compute / iteration
  double tokens_per_s = 0;
  double mfu = 0;  // model FLOPs / (iteration x GPUs x peak)
};

struct JobAssessment {
  std::string name;
  std::uint32_t gpus = 0;
  // Why the job cannot run ("GPU 17 (srv2.gpu1) out of service"), when a fault took one of its GPUs out of
  // service; empty when it runs. A job that is down is not simulated: all its GPU time is lost.
  std::string down;
  IterationReport fabric;       // on the scenario's fabric, packet by packet, with every other job
  IterationReport ideal;        // alone on the ideal network
  IterationReport alone;        // alone on the scenario's fabric: no other job, service or traffic
  bool alone_computed = false;  // only when something else shares the fabric
  double slowdown_vs_ideal = 0;
  double slowdown_from_others = 0;  // fabric / alone - 1: what the other jobs, services and traffic cost it
  double network_cost_usd_per_hour = 0;  // GPU time lost to the network: gpus x price x (1 - ideal / fabric)
};

struct LatencyReport {
  bool complete = true;
  std::size_t requests = 0;
  double ttft_ms[3] = {0, 0, 0};  // p50, p90, p99
  double tpot_ms[3] = {0, 0, 0};
  double slo_attainment = 0;   // fraction of requests meeting both objectives
  bool objective_met = false;  // p99 TTFT and p99 TPOT within their objectives
};

struct ServiceAssessment {
  std::string name;
  std::uint32_t gpus = 0;
  std::string down;      // as for a job
  LatencyReport fabric;  // as the users see it: with their delay to the replicas, when the service has users
  LatencyReport ideal;
  // Per user site (InferenceService::users, in order): the requests of the users there, on this fabric.
  std::vector<std::pair<std::string, LatencyReport>> users;
};

struct Assessment {
  std::vector<JobAssessment> jobs;
  std::vector<ServiceAssessment> services;
  std::vector<net::PortReport> ports;  // the shared run's ports
  std::vector<std::uint32_t> hottest;  // port indices: deepest data queue first, then utilization
  std::uint64_t events = 0;
  double wall_seconds = 0;
};

// Why a workload on `gpus` cannot run under the scenario's faults (its first GPU out of service), or "".
std::string down_reason(const Scenario& scenario, const std::vector<std::uint32_t>& gpus);

// Runs every job of the scenario together on its fabric, each alone on the ideal network (and alone on the
// fabric when there are several; jobs and services that faults took down are reported, not run), and reports
// iteration times, their breakdown and the bottlenecks. With `timeline`, the shared run's ops are appended to
// it, one owner per job and service, each with its `trace_gpus` lowest-numbered GPUs (0: all). The runs go
// to `threads` threads (0: one per core); the results do not depend on it.
Assessment assess(const Scenario& scenario, Timeline* timeline = nullptr, std::uint32_t trace_gpus = 0,
                  unsigned threads = 1);

// Job `job`'s iteration, as assess builds it at the scenario's fidelity, written as an execution trace per
// rank (workload::trace_of), with its tokens and FLOPs per iteration.
workload::TraceWorkload job_trace(const Scenario& scenario, std::size_t job);

}  // namespace aifabric::api
