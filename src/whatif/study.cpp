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

void compare(Study& st) {
  if (st.assessed) {
    const auto& base = st.assessments.front();
    for (std::size_t i = 0; i < st.assessments.size(); ++i) {
      const auto& a = st.assessments[i];
      for (std::size_t j = 0; j < a.jobs.size(); ++j) {
        const auto& job = a.jobs[j];
        const double t = core::ps_to_sec(job.fabric.iteration_ps);
        const double b = core::ps_to_sec(base.jobs[j].fabric.iteration_ps);
        st.jobs.push_back({i, job.name, t, change(t, b),
                           t > 0 ? job.gpus * st.scenarios[i].cluster.gpu_hour_usd * (1.0 - b / t) : 0.0,
                           100 * job.slowdown_vs_ideal, job.fabric.utilization, job.fabric.tokens_per_s,
                           job.network_cost_usd_per_hour, job.fabric.complete});
      }
      for (std::size_t j = 0; j < a.services.size(); ++j) {
        const auto& r = a.services[j].fabric;
        const auto& b = base.services[j].fabric;
        st.services.push_back({i, a.services[j].name, r.ttft_ms[2], change(r.ttft_ms[2], b.ttft_ms[2]),
                               r.tpot_ms[2], change(r.tpot_ms[2], b.tpot_ms[2]), r.objective_met,
                               r.complete});
      }
    }
  } else {
    for (std::size_t i = 0; i < st.runs.size(); ++i) {
      const auto& r = st.runs[i];
      st.flows.push_back({i, r.flows.size(), r.flows_completed, r.fct_us.p50, r.fct_us.p99, r.fct_us.max,
                          change(r.fct_us.p99, st.runs.front().fct_us.p99), r.drops, r.pause_frames});
    }
  }
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
  compare(st);
  return st;
}

std::string study_text(const Study& st) {
  std::string s;
  const std::size_t w = label_width(st.labels);
  if (st.assessed) {
    s +=
        fmt::format("{:<{}} {:<12} {:>11} {:>9} {:>11} {:>9} {:>7} {:>11} {:>12}\n", "variant", w, "workload",
                    "iteration s", "vs base", "$/h vs base", "vs ideal", "GPU", "tokens/s", "$/h vs ideal");
    for (std::size_t i = 0; i < st.scenarios.size(); ++i) {
      for (const auto& d : st.jobs)
        if (d.variant == i)
          s += fmt::format(
              "{:<{}} {:<12} {:>11.3f} {:>+8.1f}% {:>+11.2f} {:>+8.1f}% {:>6.1f}% {:>11.0f} {:>12.2f}{}\n",
              st.labels[i], w, d.job, d.iteration_s, d.vs_baseline_pct, d.cost_vs_baseline_usd_per_hour,
              d.vs_ideal_pct, 100 * d.gpu_utilization, d.tokens_per_s, d.network_cost_usd_per_hour,
              d.complete ? "" : "  INCOMPLETE");
      for (const auto& d : st.services)
        if (d.variant == i)
          s += fmt::format("{:<{}} {:<12} TTFT p99 {:.1f} ms ({:+.1f}%), TPOT p99 {:.2f} ms ({:+.1f}%), {}\n",
                           st.labels[i], w, d.service, d.ttft_p99_ms, d.ttft_vs_baseline_pct, d.tpot_p99_ms,
                           d.tpot_vs_baseline_pct, d.objectives_met ? "objectives met" : "objectives MISSED");
    }
  } else {
    s += fmt::format("{:<{}} {:>9} {:>11} {:>11} {:>11} {:>8} {:>8} {:>10}\n", "variant", w, "flows",
                     "FCT p50 us", "FCT p99 us", "FCT max us", "drops", "pauses", "p99 vs base");
    for (const auto& d : st.flows)
      s += fmt::format("{:<{}} {:>4}/{:<4} {:>11.2f} {:>11.2f} {:>11.2f} {:>8} {:>8} {:>+9.1f}%\n",
                       st.labels[d.variant], w, d.flows_completed, d.flows, d.fct_p50_us, d.fct_p99_us,
                       d.fct_max_us, d.drops, d.pause_frames, d.p99_vs_baseline_pct);
  }
  s += fmt::format("run cost     {} variants in {:.2f} s wall ({:.2f} s if run one after another: {:.2f}x)\n",
                   st.scenarios.size(), st.wall_seconds, st.serial_seconds,
                   st.serial_seconds > 0 ? st.wall_seconds / st.serial_seconds : 0.0);
  return s;
}

std::string study_csv(const Study& st) {
  auto quoted = [](const std::string& v) {
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  auto flag = [](bool b) { return b ? "true" : "false"; };
  std::string s;
  if (st.assessed) {
    s = "variant,label,workload,kind,iteration_s,vs_baseline_pct,cost_vs_baseline_usd_per_hour,vs_ideal_pct,"
        "gpu_utilization,tokens_per_s,network_cost_usd_per_hour,ttft_p99_ms,tpot_p99_ms,objectives_met,"
        "complete\n";
    for (std::size_t i = 0; i < st.scenarios.size(); ++i) {
      for (const auto& d : st.jobs)
        if (d.variant == i)
          s += fmt::format("{},{},{},training,{:.6f},{:.3f},{:.2f},{:.3f},{:.4f},{:.1f},{:.2f},,,,{}\n", i,
                           quoted(st.labels[i]), quoted(d.job), d.iteration_s, d.vs_baseline_pct,
                           d.cost_vs_baseline_usd_per_hour, d.vs_ideal_pct, d.gpu_utilization, d.tokens_per_s,
                           d.network_cost_usd_per_hour, flag(d.complete));
      for (const auto& d : st.services)
        if (d.variant == i)
          s += fmt::format("{},{},{},inference,,,,,,,,{:.3f},{:.4f},{},{}\n", i, quoted(st.labels[i]),
                           quoted(d.service), d.ttft_p99_ms, d.tpot_p99_ms, flag(d.objectives_met),
                           flag(d.complete));
    }
  } else {
    s = "variant,label,flows,flows_completed,fct_p50_us,fct_p99_us,fct_max_us,drops,pause_frames,"
        "p99_vs_baseline_pct\n";
    for (const auto& d : st.flows)
      s += fmt::format("{},{},{},{},{:.3f},{:.3f},{:.3f},{},{},{:.3f}\n", d.variant,
                       quoted(st.labels[d.variant]), d.flows, d.flows_completed, d.fct_p50_us, d.fct_p99_us,
                       d.fct_max_us, d.drops, d.pause_frames, d.p99_vs_baseline_pct);
  }
  return s;
}

}  // namespace aifabric::whatif
