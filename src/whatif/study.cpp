#include "whatif/study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "api/parallel.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"

namespace aifabric::whatif {

namespace {

double change(double value, double base) {
  return base > 0 ? 100.0 * (value / base - 1.0) : 0.0;
}

// What a job's variant costs per hour against the baseline: its GPUs' time, priced, for the iterations it
// runs slower (negative when it runs faster).
double cost_vs_baseline(const api::JobAssessment& job, const api::JobAssessment& base, double gpu_hour_usd) {
  const double t = core::ps_to_sec(job.fabric.iteration_ps), b = core::ps_to_sec(base.fabric.iteration_ps);
  return t > 0 ? job.gpus * gpu_hour_usd * (1.0 - b / t) : 0.0;
}

std::size_t label_width(const std::vector<std::string>& labels) {
  std::size_t w = 8;
  for (const auto& l : labels) w = std::max(w, l.size());
  return w;
}

}  // namespace

Study run_study(const io::Node& baseline, const std::string& source, const std::vector<std::string>& vary,
                std::optional<api::NetworkModel> fidelity, unsigned threads) {
  Study st;
  for (const auto& v : variants(baseline, vary)) {
    st.labels.push_back(v.label);
    st.scenarios.push_back(io::load_scenario_document(v.document, source + " [" + v.label + "]"));
    if (fidelity) st.scenarios.back().fidelity = *fidelity;
  }
  const auto& first = st.scenarios.front();
  st.assessed = !first.jobs.empty() || !first.services.empty();
  for (std::size_t i = 1; i < st.scenarios.size(); ++i) {
    const auto& s = st.scenarios[i];
    if (s.jobs.size() != first.jobs.size() || s.services.size() != first.services.size())
      throw core::InputError(core::Location{"--vary", 0, 0, st.labels[i]},
                             "a variant must keep the baseline's jobs and services (or its traffic) to be "
                             "compared with it");
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (st.assessed) {
    st.assessments.resize(st.scenarios.size());
    api::parallel_for(st.scenarios.size(), threads,
                      [&](std::size_t i) { st.assessments[i] = api::assess(st.scenarios[i]); });
    for (const auto& a : st.assessments) st.serial_seconds += a.wall_seconds;
  } else {
    for (const auto& s : st.scenarios)
      if (s.flows.empty())
        throw core::InputError(core::Location{s.source, 0, 0, "traffic"},
                               "this scenario has no jobs, services or traffic to compare");
    st.runs = api::run_all(st.scenarios, threads);
    for (const auto& r : st.runs) st.serial_seconds += r.cost.wall_seconds;
  }
  st.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

std::string study_text(const Study& st) {
  std::string s;
  const std::size_t w = label_width(st.labels);
  if (st.assessed) {
    s +=
        fmt::format("{:<{}} {:<12} {:>11} {:>9} {:>11} {:>9} {:>7} {:>11} {:>12}\n", "variant", w, "workload",
                    "iteration s", "vs base", "$/h vs base", "vs ideal", "GPU", "tokens/s", "$/h vs ideal");
    for (std::size_t i = 0; i < st.assessments.size(); ++i) {
      const auto& a = st.assessments[i];
      const auto& base = st.assessments.front();
      for (std::size_t j = 0; j < a.jobs.size(); ++j) {
        const auto& job = a.jobs[j];
        const double t = core::ps_to_sec(job.fabric.iteration_ps);
        s += fmt::format(
            "{:<{}} {:<12} {:>11.3f} {:>+8.1f}% {:>+11.2f} {:>+8.1f}% {:>6.1f}% {:>11.0f} {:>12.2f}{}\n",
            st.labels[i], w, job.name, t, change(t, core::ps_to_sec(base.jobs[j].fabric.iteration_ps)),
            cost_vs_baseline(job, base.jobs[j], st.scenarios[i].cluster.gpu_hour_usd),
            100 * job.slowdown_vs_ideal, 100 * job.fabric.utilization, job.fabric.tokens_per_s,
            job.network_cost_usd_per_hour, job.fabric.complete ? "" : "  INCOMPLETE");
      }
      for (std::size_t j = 0; j < a.services.size(); ++j) {
        const auto& svc = a.services[j];
        s += fmt::format("{:<{}} {:<12} TTFT p99 {:.1f} ms ({:+.1f}%), TPOT p99 {:.2f} ms ({:+.1f}%), {}\n",
                         st.labels[i], w, svc.name, svc.fabric.ttft_ms[2],
                         change(svc.fabric.ttft_ms[2], base.services[j].fabric.ttft_ms[2]),
                         svc.fabric.tpot_ms[2],
                         change(svc.fabric.tpot_ms[2], base.services[j].fabric.tpot_ms[2]),
                         svc.fabric.objective_met ? "objectives met" : "objectives MISSED");
      }
    }
  } else {
    s += fmt::format("{:<{}} {:>9} {:>11} {:>11} {:>11} {:>8} {:>8} {:>10}\n", "variant", w, "flows",
                     "FCT p50 us", "FCT p99 us", "FCT max us", "drops", "pauses", "p99 vs base");
    for (std::size_t i = 0; i < st.runs.size(); ++i) {
      const auto& r = st.runs[i];
      s += fmt::format("{:<{}} {:>4}/{:<4} {:>11.2f} {:>11.2f} {:>11.2f} {:>8} {:>8} {:>+9.1f}%\n",
                       st.labels[i], w, r.flows_completed, r.flows.size(), r.fct_us.p50, r.fct_us.p99,
                       r.fct_us.max, r.drops, r.pause_frames,
                       change(r.fct_us.p99, st.runs.front().fct_us.p99));
    }
  }
  s += fmt::format("run cost     {} variants in {:.2f} s wall ({:.2f} s if run one after another: {:.2f}x)\n",
                   st.scenarios.size(), st.wall_seconds, st.serial_seconds,
                   st.serial_seconds > 0 ? st.wall_seconds / st.serial_seconds : 0.0);
  return s;
}

std::string study_csv(const Study& st) {
  std::string s;
  auto quoted = [](const std::string& v) {
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  if (st.assessed) {
    s = "variant,label,workload,kind,iteration_s,vs_baseline_pct,cost_vs_baseline_usd_per_hour,vs_ideal_pct,"
        "gpu_utilization,tokens_per_s,network_cost_usd_per_hour,ttft_p99_ms,tpot_p99_ms,objectives_met,"
        "complete\n";
    for (std::size_t i = 0; i < st.assessments.size(); ++i) {
      const auto& a = st.assessments[i];
      const auto& base = st.assessments.front();
      for (std::size_t j = 0; j < a.jobs.size(); ++j) {
        const auto& job = a.jobs[j];
        const double t = core::ps_to_sec(job.fabric.iteration_ps);
        s += fmt::format("{},{},{},training,{:.6f},{:.3f},{:.2f},{:.3f},{:.4f},{:.1f},{:.2f},,,,{}\n", i,
                         quoted(st.labels[i]), quoted(job.name), t,
                         change(t, core::ps_to_sec(base.jobs[j].fabric.iteration_ps)),
                         cost_vs_baseline(job, base.jobs[j], st.scenarios[i].cluster.gpu_hour_usd),
                         100 * job.slowdown_vs_ideal, job.fabric.utilization, job.fabric.tokens_per_s,
                         job.network_cost_usd_per_hour, job.fabric.complete ? "true" : "false");
      }
      for (const auto& svc : a.services)
        s += fmt::format("{},{},{},inference,,,,,,,,{:.3f},{:.4f},{},{}\n", i, quoted(st.labels[i]),
                         quoted(svc.name), svc.fabric.ttft_ms[2], svc.fabric.tpot_ms[2],
                         svc.fabric.objective_met ? "true" : "false", svc.fabric.complete ? "true" : "false");
    }
  } else {
    s = "variant,label,flows,flows_completed,fct_p50_us,fct_p99_us,fct_max_us,drops,pause_frames,"
        "p99_vs_baseline_pct\n";
    for (std::size_t i = 0; i < st.runs.size(); ++i) {
      const auto& r = st.runs[i];
      s += fmt::format("{},{},{},{},{:.3f},{:.3f},{:.3f},{},{},{:.3f}\n", i, quoted(st.labels[i]),
                       r.flows.size(), r.flows_completed, r.fct_us.p50, r.fct_us.p99, r.fct_us.max, r.drops,
                       r.pause_frames, change(r.fct_us.p99, st.runs.front().fct_us.p99));
    }
  }
  return s;
}

}  // namespace aifabric::whatif
