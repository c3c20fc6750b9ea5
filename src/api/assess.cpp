#include "api/assess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "api/parallel.hpp"
#include "api/reduce.hpp"

namespace aifabric::api {
namespace {

struct BuiltJobs {
  workload::Program program;
  workload::TrainingTags tags;
  std::vector<std::vector<std::uint32_t>> finish;                             // per job
  std::vector<std::vector<workload::RequestOps>> requests;                    // per service
  std::vector<std::pair<std::uint32_t, std::uint32_t>> job_ops, service_ops;  // [first, last) of each
};

std::vector<std::uint32_t> gpus_of(const workload::TrainingJob& job) {
  if (!job.gpu_list.empty()) return job.gpu_list;
  std::vector<std::uint32_t> g(job.gpus);
  std::iota(g.begin(), g.end(), job.first_gpu);
  return g;
}

BuiltJobs build(const Scenario& sc, const std::vector<std::size_t>& jobs,
                const std::vector<std::size_t>& services) {
  BuiltJobs b;
  b.tags = {b.program.tag("compute"), b.program.tag("tp"), b.program.tag("pp"), b.program.tag("dp"),
            b.program.tag("ep")};
  const workload::InferenceTags itags{b.tags.compute, b.tags.tp, b.program.tag("kv_cache"),
                                      b.program.tag("arrival")};
  const auto server_of = cluster_map(sc).server_of;
  const auto params = executor_params(sc);
  workload::IterationLayout layout;
  layout.collective_launch_ps = core::us_to_ps(sc.cluster.gpu.collective_launch_us);
  layout.nvlink_bytes_per_ps = params.nvlink_bytes_per_ps;
  layout.nvlink_step_ps = params.nvlink_step_ps;
  layout.aggregate_collectives = sc.fidelity == NetworkModel::kFlow;
  const auto size = [&] { return static_cast<std::uint32_t>(b.program.size()); };
  for (auto j : jobs) {
    const auto first = size();
    const auto& job = sc.jobs[j];
    if (job.trace) {
      // A trace's compute nodes carry FLOPs, not shapes: without an override they run at the GPU's
      // large-GEMM rate.
      const double efficiency = job.gpu_efficiency > 0 ? job.gpu_efficiency : sc.cluster.gpu.gemm_efficiency;
      b.finish.push_back(workload::append_trace_iteration(b.program, *job.trace, gpus_of(job), sc.cluster.gpu,
                                                          server_of, {layout, job.allreduce, efficiency},
                                                          b.tags.compute));
    } else {
      b.finish.push_back(
          workload::append_training_iteration(b.program, job, sc.cluster.gpu, server_of, layout, b.tags));
    }
    b.job_ops.emplace_back(first, size());
  }
  for (auto s : services) {
    const auto first = size();
    b.requests.push_back(
        workload::append_inference(b.program, sc.services[s], sc.cluster.gpu, server_of, itags));
    b.service_ops.emplace_back(first, size());
  }
  if (!sc.faults.compute_factor.empty()) b.program.scale_compute(sc.faults.compute_factor, b.tags.compute);
  b.program.finalize();
  return b;
}

LatencyReport latency(const workload::InferenceService& s, const std::vector<workload::RequestOps>& reqs,
                      const workload::ExecutionResult& r) {
  LatencyReport rep;
  std::vector<double> ttft, tpot;
  std::size_t met = 0;
  for (const auto& q : reqs) {
    if (r.finish_ps[q.last_token] < 0) {
      rep.complete = false;
      continue;
    }
    const double first = core::ps_to_us(r.finish_ps[q.first_token] - r.finish_ps[q.arrival]) / 1e3;
    const double per = s.output_tokens > 1
                           ? core::ps_to_us(r.finish_ps[q.last_token] - r.finish_ps[q.first_token]) / 1e3 /
                                 (s.output_tokens - 1)
                           : 0;
    ttft.push_back(first);
    tpot.push_back(per);
    met += first <= s.ttft_slo_ms && per <= s.tpot_slo_ms ? 1 : 0;
  }
  const double qs[3] = {0.5, 0.9, 0.99};
  for (int i = 0; i < 3; ++i) {
    rep.ttft_ms[i] = nearest_rank(ttft, qs[i]);
    rep.tpot_ms[i] = nearest_rank(tpot, qs[i]);
  }
  rep.slo_attainment = reqs.empty() ? 0 : static_cast<double>(met) / static_cast<double>(reqs.size());
  rep.objective_met = rep.complete && rep.ttft_ms[2] <= s.ttft_slo_ms && rep.tpot_ms[2] <= s.tpot_slo_ms;
  return rep;
}

// Walks back from `op` through zero-time joins to the op it waited for last; returns that op's tag.
std::uint32_t waited_for(const workload::Program& p, const std::vector<std::vector<std::uint32_t>>& preds,
                         const workload::ExecutionResult& r, std::uint32_t op, std::uint32_t compute_tag) {
  for (int guard = 0; guard < 1000; ++guard) {
    const auto& ps = preds[op];
    if (ps.empty()) return compute_tag;
    const std::uint32_t last = *std::max_element(ps.begin(), ps.end(), [&](std::uint32_t a, std::uint32_t c) {
      return r.finish_ps[a] < r.finish_ps[c];
    });
    const auto& o = p.ops()[last];
    if (o.tag != compute_tag || o.kind == workload::OpKind::kTransfer || o.duration > 0) return o.tag;
    op = last;
  }
  return compute_tag;
}

IterationReport report(const Scenario& sc, const workload::TrainingJob& job, const BuiltJobs& b,
                       std::size_t index, const workload::ExecutionResult& r) {
  const auto& p = b.program;
  std::vector<std::vector<std::uint32_t>> preds(p.size());
  for (std::uint32_t i = 0; i < p.size(); ++i) {
    const auto& o = p.ops()[i];
    for (std::uint32_t k = 0; k < o.successors; ++k) preds[p.successor(o.first_successor + k)].push_back(i);
  }
  IterationReport rep;
  core::TimePs end = 0;
  for (auto op : b.finish[index]) {
    if (r.finish_ps[op] < 0) rep.complete = false;
    end = std::max(end, r.finish_ps[op]);
  }
  rep.iteration_ps = end;
  // Per GPU: compute busy time, and each idle gap charged to what the next compute op waited for.
  std::map<std::uint32_t, std::vector<std::uint32_t>> computes;  // GPU -> its compute ops
  for (std::uint32_t k = 0; k < job.gpus; ++k)
    computes[job.gpu_list.empty() ? job.first_gpu + k : job.gpu_list[k]];
  for (std::uint32_t i = 0; i < p.size(); ++i) {
    const auto& o = p.ops()[i];
    if (o.kind == workload::OpKind::kCompute && o.duration > 0 && o.tag == b.tags.compute) {
      auto it = computes.find(o.src);
      if (it != computes.end()) it->second.push_back(i);
    }
  }
  std::map<std::uint32_t, double> idle;
  double busy = 0;
  for (auto& [gpu_index, ops] : computes) {
    std::sort(ops.begin(), ops.end(),
              [&](std::uint32_t a, std::uint32_t c) { return r.finish_ps[a] < r.finish_ps[c]; });
    core::TimePs free_at = 0;
    for (auto op : ops) {
      const core::TimePs started = r.finish_ps[op] - p.ops()[op].duration;
      if (started > free_at)
        idle[waited_for(p, preds, r, op, b.tags.compute)] += core::ps_to_us(started - free_at);
      busy += core::ps_to_us(p.ops()[op].duration);
      free_at = r.finish_ps[op];
    }
    if (end > free_at) idle[b.tags.dp] += core::ps_to_us(end - free_at);  // the tail waits for the gradients
  }
  const double n = job.gpus;
  rep.compute_us = busy / n;
  for (const auto& [tag, us] : idle) rep.exposed_us[p.tag_names()[tag]] = us / n;
  const double seconds = core::ps_to_sec(end);
  rep.utilization = seconds > 0 ? rep.compute_us / core::ps_to_us(end) : 0;
  rep.tokens_per_s = seconds > 0 ? workload::tokens_per_iteration(job) / seconds : 0;
  rep.mfu =
      seconds > 0 ? workload::iteration_flops(job) / (seconds * n * sc.cluster.gpu.peak_tflops * 1e12) : 0;
  return rep;
}

}  // namespace

std::string down_reason(const Scenario& sc, const std::vector<std::uint32_t>& gpus) {
  for (auto g : gpus)
    if (sc.topology.host_down(g))
      return fmt::format("GPU {} ({}) out of service", g, sc.topology.nodes[sc.topology.hosts[g]].name);
  return "";
}

workload::TraceWorkload job_trace(const Scenario& sc, std::size_t job) {
  const BuiltJobs b = build(sc, {job}, {});
  workload::TraceWorkload t =
      workload::trace_of(b.program, b.job_ops[0].first, b.job_ops[0].second, gpus_of(sc.jobs[job]));
  t.tokens_per_iteration = workload::tokens_per_iteration(sc.jobs[job]);
  t.flops_per_iteration = workload::iteration_flops(sc.jobs[job]);
  return t;
}

Assessment assess(const Scenario& sc, Timeline* timeline, std::uint32_t trace_gpus, unsigned threads) {
  const auto t0 = std::chrono::steady_clock::now();
  Assessment out;
  // The jobs and services that run, in order; those on a GPU out of service are reported as down.
  std::vector<std::size_t> all, all_services;
  std::vector<std::string> job_down(sc.jobs.size()), service_down(sc.services.size());
  for (std::size_t j = 0; j < sc.jobs.size(); ++j) {
    job_down[j] = down_reason(sc, gpus_of(sc.jobs[j]));
    if (job_down[j].empty()) all.push_back(j);
  }
  for (std::size_t s = 0; s < sc.services.size(); ++s) {
    std::vector<std::uint32_t> g(sc.services[s].gpus);
    std::iota(g.begin(), g.end(), sc.services[s].first_gpu);
    service_down[s] = down_reason(sc, g);
    if (service_down[s].empty()) all_services.push_back(s);
  }
  // The runs are independent (each owns its Simulation): the shared run, and per job and service its
  // runs alone; they go to `threads` threads and come back as a serial run gives them. A lone job or
  // service with nothing beside it runs on the ideal network from the shared run's program.
  const BuiltJobs together = build(sc, all, all_services);
  const bool lone = sc.jobs.size() + sc.services.size() == 1 && sc.flows.empty();
  std::vector<BuiltJobs> solo(all.size() + all_services.size());
  struct Task {
    const BuiltJobs* program;
    NetworkModel model;
    bool with_traffic;
  };
  std::vector<Task> tasks;
  const bool any = !all.empty() || !all_services.empty() || !sc.flows.empty();
  if (any) tasks.push_back({&together, sc.fidelity, true});
  const std::size_t first_solo = tasks.size();
  for (std::size_t k = 0; k < solo.size(); ++k) {
    if (!lone)
      solo[k] = k < all.size() ? build(sc, {all[k]}, {}) : build(sc, {}, {all_services[k - all.size()]});
    const BuiltJobs* program = lone ? &together : &solo[k];
    tasks.push_back({program, NetworkModel::kIdeal, false});
    if (k < all.size() && !lone) tasks.push_back({program, sc.fidelity, false});
  }
  std::vector<Execution> runs(tasks.size());
  parallel_for(tasks.size(), threads, [&](std::size_t t) {
    runs[t] = execute(sc, tasks[t].program->program, tasks[t].model, tasks[t].with_traffic);
  });
  const Execution shared = any ? std::move(runs[0]) : Execution{};
  out.events = shared.events;
  out.ports = shared.ports;
  if (timeline) {
    for (std::size_t k = 0; k < all.size(); ++k)
      append_timeline(*timeline, together.program, shared.result, together.job_ops[k].first,
                      together.job_ops[k].second, "job " + sc.jobs[all[k]].name, trace_gpus);
    for (std::size_t k = 0; k < all_services.size(); ++k)
      append_timeline(*timeline, together.program, shared.result, together.service_ops[k].first,
                      together.service_ops[k].second, "service " + sc.services[all_services[k]].name,
                      trace_gpus);
  }
  std::size_t position = 0;  // of the job among those that run
  std::size_t next_run = first_solo;
  for (std::size_t j = 0; j < sc.jobs.size(); ++j) {
    const auto& job = sc.jobs[j];
    JobAssessment a;
    a.name = job.name;
    a.gpus = job.gpus;
    if (!job_down[j].empty()) {
      a.down = job_down[j];
      a.fabric.complete = a.ideal.complete = a.alone.complete = false;
      a.network_cost_usd_per_hour = job.gpus * sc.cluster.gpu_hour_usd;
      out.jobs.push_back(std::move(a));
      continue;
    }
    const BuiltJobs& alone = lone ? together : solo[position];
    a.fabric = report(sc, job, together, position++, shared.result);
    a.ideal = report(sc, job, alone, 0, runs[next_run++].result);
    if (!lone) {
      a.alone = report(sc, job, alone, 0, runs[next_run++].result);
      a.alone_computed = true;
      a.slowdown_from_others =
          static_cast<double>(a.fabric.iteration_ps) / static_cast<double>(a.alone.iteration_ps) - 1.0;
    } else {
      a.alone = a.fabric;
    }
    a.slowdown_vs_ideal =
        static_cast<double>(a.fabric.iteration_ps) / static_cast<double>(a.ideal.iteration_ps) - 1.0;
    a.network_cost_usd_per_hour = job.gpus * sc.cluster.gpu_hour_usd *
                                  std::max(0.0, 1.0 - static_cast<double>(a.ideal.iteration_ps) /
                                                          static_cast<double>(a.fabric.iteration_ps));
    out.jobs.push_back(std::move(a));
  }
  position = 0;
  for (std::size_t s = 0; s < sc.services.size(); ++s) {
    const auto& svc = sc.services[s];
    ServiceAssessment a;
    a.name = svc.name;
    a.gpus = svc.gpus;
    if (!service_down[s].empty()) {
      a.down = service_down[s];
      a.fabric.complete = a.ideal.complete = false;
      out.services.push_back(a);
      continue;
    }
    const BuiltJobs& alone = lone ? together : solo[all.size() + position];
    a.fabric = latency(svc, together.requests[position], shared.result);
    a.ideal = latency(svc, alone.requests[0], runs[next_run++].result);
    ++position;
    out.services.push_back(a);
  }
  out.hottest = rank_ports(out.ports, PortRanking::kDeepestQueue, sc.top_ports);
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace aifabric::api
