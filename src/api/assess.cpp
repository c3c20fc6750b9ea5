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
  b.tags = {b.program.tag("compute"), b.program.tag("tp"), b.program.tag("pp"),
            b.program.tag("dp"),      b.program.tag("ep"), b.program.tag("dci")};
  const workload::InferenceTags itags{b.tags.compute, b.tags.tp, b.program.tag("kv_cache"),
                                      b.program.tag("arrival"), b.program.tag("retrieval")};
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

// The latency of the service's requests (of the users at site index `user`; kAll: every request), from the
// users' side: a request arrives at its replica one user delay after it was sent, and its tokens come back
// one user delay after they were made.
constexpr std::uint32_t kAll = workload::Program::kNone;
LatencyReport latency(const workload::InferenceService& s, const std::vector<workload::RequestOps>& reqs,
                      const workload::ExecutionResult& r, std::uint32_t user = kAll) {
  LatencyReport rep;
  std::vector<double> ttft, tpot;
  std::size_t met = 0, count = 0;
  for (const auto& q : reqs) {
    if (user != kAll && q.user != user) continue;
    ++count;
    if (r.finish_ps[q.last_token] < 0) {
      rep.complete = false;
      continue;
    }
    const core::TimePs delay_ps = s.users.empty() ? 0 : 2 * s.users[q.user].one_way_ps;
    const double first = core::ps_to_us(r.finish_ps[q.first_token] - r.finish_ps[q.arrival] + delay_ps) / 1e3;
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
  rep.requests = count;
  rep.slo_attainment = count == 0 ? 0 : static_cast<double>(met) / static_cast<double>(count);
  // A user site that drew no request has no latency to meet its objective with.
  rep.objective_met =
      count > 0 && rep.complete && rep.ttft_ms[2] <= s.ttft_slo_ms && rep.tpot_ms[2] <= s.tpot_slo_ms;
  return rep;
}

// Per op, the predecessor that finished last (kNone when it has none), found once per op: a ring exit's
// are its ring's entries (the program holds no edge between them: the executor runs the ring's steps).
class LastPredecessor {
 public:
  LastPredecessor(const workload::Program& p, const workload::ExecutionResult& r)
      : p_(p), r_(r), preds_(p.size()), last_(p.size(), kUnknown), ring_last_(p.rings().size(), kUnknown) {
    for (std::uint32_t i = 0; i < p.size(); ++i) {
      const auto& o = p.ops()[i];
      for (std::uint32_t k = 0; k < o.successors; ++k)
        preds_[p.successor(o.first_successor + k)].push_back(i);
    }
  }
  std::uint32_t operator()(std::uint32_t op) {
    if (last_[op] != kUnknown) return last_[op];
    const auto& o = p_.ops()[op];
    if (o.kind == workload::OpKind::kRingExit) {
      if (ring_last_[o.ring] == kUnknown) {
        std::uint32_t last = kNone;
        for (std::uint32_t i = 0; i < p_.ring(o.ring).size; ++i) last = later(last, p_.ring_entry(o.ring, i));
        ring_last_[o.ring] = last;
      }
      return last_[op] = ring_last_[o.ring];
    }
    std::uint32_t last = kNone;
    for (auto c : preds_[op]) last = later(last, c);
    return last_[op] = last;
  }

 private:
  static constexpr std::uint32_t kNone = workload::Program::kNone;
  static constexpr std::uint32_t kUnknown = kNone - 1;
  std::uint32_t later(std::uint32_t a, std::uint32_t c) const {
    return a == kNone || r_.finish_ps[c] > r_.finish_ps[a] ? c : a;
  }
  const workload::Program& p_;
  const workload::ExecutionResult& r_;
  std::vector<std::vector<std::uint32_t>> preds_;
  std::vector<std::uint32_t> last_, ring_last_;
};

// Charges a GPU's idle gap (from, to] to what it waited for, op `waited` (the last-finishing predecessor of
// the compute op that ended the gap): back along the chain of last-finishing predecessors, each
// communication op takes the part of the gap it ran in (from its own last predecessor's finish to its
// finish); the part before the chain reaches a compute op goes to the first communication op on the
// chain (a pipeline send waiting for the previous stage is a bubble of the pipeline), or to compute when
// the chain holds none.
void charge_gap(const workload::Program& p, LastPredecessor& last_of, const workload::ExecutionResult& r,
                std::uint32_t waited, core::TimePs from, core::TimePs to, std::uint32_t compute_tag,
                std::map<std::uint32_t, core::TimePs>& idle) {
  constexpr std::uint32_t kNone = workload::Program::kNone;
  std::uint32_t first = kNone, running = kNone;  // running: the tag of the op that ends at `to`
  for (std::uint32_t last = waited; to > from && last != kNone; last = last_of(last)) {
    const auto& o = p.ops()[last];
    const core::TimePs finished = std::max(from, std::min(to, r.finish_ps[last]));
    if (running != kNone) idle[running] += to - finished;
    to = finished;
    if (o.tag == compute_tag && (o.kind != workload::OpKind::kCompute || o.duration > 0)) break;
    if (o.tag != compute_tag) {
      running = o.tag;
      if (first == kNone) first = o.tag;
    }
  }
  if (to > from) idle[first == kNone ? compute_tag : first] += to - from;
}

IterationReport report(const Scenario& sc, const workload::TrainingJob& job, const BuiltJobs& b,
                       std::size_t index, const workload::ExecutionResult& r) {
  const auto& p = b.program;
  LastPredecessor last_of(p, r);
  IterationReport rep;
  core::TimePs end = 0;
  for (auto op : b.finish[index]) {
    if (r.finish_ps[op] < 0) rep.complete = false;
    end = std::max(end, r.finish_ps[op]);
  }
  rep.iteration_ps = end;
  std::map<std::uint32_t, std::uint32_t> finish_of;  // GPU -> the op that finishes its iteration
  for (auto op : b.finish[index]) {                  // the latest-finishing, when a GPU has several (traces)
    const auto [it, fresh] = finish_of.emplace(p.ops()[op].src, op);
    if (!fresh && r.finish_ps[op] > r.finish_ps[it->second]) it->second = op;
  }
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
  std::map<std::uint32_t, core::TimePs> idle;  // summed in picoseconds: the same whatever the pieces
  double busy = 0;
  for (auto& [gpu_index, ops] : computes) {
    std::sort(ops.begin(), ops.end(),
              [&](std::uint32_t a, std::uint32_t c) { return r.finish_ps[a] < r.finish_ps[c]; });
    core::TimePs free_at = 0;
    for (auto op : ops) {
      const core::TimePs started = r.finish_ps[op] - p.ops()[op].duration;
      if (started > free_at) charge_gap(p, last_of, r, last_of(op), free_at, started, b.tags.compute, idle);
      busy += core::ps_to_us(p.ops()[op].duration);
      free_at = r.finish_ps[op];
    }
    // The tail: until the GPU's own last op (the weights' all-gather, say), charged along its chain; then
    // until the job's last GPU is done, waiting for the gradients.
    const auto own = finish_of.find(gpu_index);
    core::TimePs done_at = free_at;
    if (own != finish_of.end() && r.finish_ps[own->second] > free_at) {
      done_at = std::min(end, r.finish_ps[own->second]);
      charge_gap(p, last_of, r, own->second, free_at, done_at, b.tags.compute, idle);
    }
    if (end > done_at) idle[b.tags.dp] += end - done_at;
  }
  const double n = job.gpus;
  rep.compute_us = busy / n;
  for (const auto& [tag, ps] : idle) rep.exposed_us[p.tag_names()[tag]] = core::ps_to_us(ps) / n;
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
    if (sc.services[s].retrieval_bytes > 0) g.push_back(sc.services[s].retrieval_gpu);  // its context's host
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
      for (const auto& u : svc.users) a.users.emplace_back(u.site, LatencyReport{.complete = false});
      out.services.push_back(a);
      continue;
    }
    const BuiltJobs& alone = lone ? together : solo[all.size() + position];
    a.fabric = latency(svc, together.requests[position], shared.result);
    for (std::uint32_t u = 0; u < svc.users.size(); ++u)
      a.users.emplace_back(svc.users[u].site, latency(svc, together.requests[position], shared.result, u));
    a.ideal = latency(svc, alone.requests[0], runs[next_run++].result);
    ++position;
    out.services.push_back(a);
  }
  out.hottest = rank_ports(out.ports, PortRanking::kDeepestQueue, sc.top_ports);
  out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace aifabric::api
