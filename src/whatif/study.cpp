#include "whatif/study.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "api/parallel.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"
#include "io/writers.hpp"

namespace aifabric::whatif {

namespace {

double change(double value, double base) {
  return base > 0 ? 100.0 * (value / base - 1.0) : 0.0;
}

void compare(Study& st) {
  st.damage_usd_per_hour.assign(st.scenarios.size(), 0.0);
  const auto& base = st.outcomes.front();
  if (st.assessed) {
    for (std::size_t i = 0; i < st.outcomes.size(); ++i) {
      const auto& a = st.outcomes[i];
      const double price = st.scenarios[i].cluster.gpu_hour_usd;
      for (std::size_t j = 0; j < a.jobs.size(); ++j) {
        const auto& job = a.jobs[j];
        const auto& bj = base.jobs[j];
        const double t = job.down.empty() ? core::ps_to_sec(job.iteration_ps) : 0.0;
        const double b = bj.down.empty() ? core::ps_to_sec(bj.iteration_ps) : 0.0;
        double cost = 0;
        if (!job.down.empty()) {
          cost = bj.down.empty() ? job.gpus * price : 0.0;  // the whole job's GPU time
        } else if (t > 0) {
          cost = job.gpus * price * (1.0 - (b > 0 ? b / t : 0.0));
        }
        st.jobs.push_back({i, job.name, t, job.down.empty() && b > 0 ? change(t, b) : 0.0, cost,
                           100 * job.slowdown_vs_ideal, job.utilization, job.tokens_per_s,
                           job.network_cost_usd_per_hour, job.complete, job.down});
        st.damage_usd_per_hour[i] += cost;
      }
      for (std::size_t j = 0; j < a.services.size(); ++j) {
        const auto& r = a.services[j];
        const auto& b = base.services[j];
        st.services.push_back({i, r.name, r.ttft_p99_ms, change(r.ttft_p99_ms, b.ttft_p99_ms), r.tpot_p99_ms,
                               change(r.tpot_p99_ms, b.tpot_p99_ms), r.objective_met, r.complete, r.down});
        if (b.objective_met && !r.objective_met) st.damage_usd_per_hour[i] += r.gpus * price;
      }
    }
  } else {
    for (std::size_t i = 0; i < st.outcomes.size(); ++i) {
      const auto& r = st.outcomes[i];
      st.flows.push_back({i, r.flows, r.flows_completed, r.fct_p50_us, r.fct_p99_us, r.fct_max_us,
                          change(r.fct_p99_us, base.fct_p99_us), r.drops, r.pause_frames});
    }
  }
  // The ports whose utilization changed most, per variant.
  std::map<std::string, std::size_t> base_port;
  for (std::size_t p = 0; p < base.ports.size(); ++p) base_port.emplace(base.ports[p].name, p);
  for (std::size_t i = 1; i < st.scenarios.size(); ++i) {
    std::vector<LinkDiff> diffs;
    for (const auto& p : st.outcomes[i].ports) {
      const auto it = base_port.find(p.name);
      if (it == base_port.end()) continue;
      const auto& b = base.ports[it->second];
      if (p.utilization == b.utilization && p.mean_queue_bytes == b.mean_queue_bytes) continue;
      diffs.push_back({i, p.name, p.utilization, b.utilization, p.mean_queue_bytes, b.mean_queue_bytes});
    }
    std::stable_sort(diffs.begin(), diffs.end(), [](const LinkDiff& x, const LinkDiff& y) {
      return std::abs(x.utilization - x.baseline_utilization) >
             std::abs(y.utilization - y.baseline_utilization);
    });
    if (diffs.size() > kLinkDiffs) diffs.resize(kLinkDiffs);
    st.links.insert(st.links.end(), diffs.begin(), diffs.end());
  }
}

std::vector<Outcome::Port> ports_of(const std::vector<net::PortReport>& ports) {
  std::vector<Outcome::Port> out;
  out.reserve(ports.size());
  for (const auto& p : ports) out.push_back({p.name, p.utilization, p.mean_queue_bytes[net::kData]});
  return out;
}

std::size_t label_width(const std::vector<std::string>& labels) {
  std::size_t w = 8;
  for (const auto& l : labels) w = std::max(w, l.size());
  return w;
}

}  // namespace

Study run_study(const io::Node& baseline, const std::string& source, const std::vector<std::string>& vary,
                std::optional<api::NetworkModel> fidelity, unsigned threads) {
  return run_study(variants(baseline, vary), source, fidelity, threads);
}

Study run_study(const std::vector<Variant>& variants, const std::string& source,
                std::optional<api::NetworkModel> fidelity, unsigned threads, Shard shard,
                const api::TasksDone& progress, const std::function<void(api::Scenario&)>& prepare) {
  Study st;
  for (const auto& v : variants) {
    st.labels.push_back(v.label);
    st.scenarios.push_back(io::load_scenario_document(v.document, source + " [" + v.label + "]"));
    if (fidelity) st.scenarios.back().fidelity = *fidelity;
    if (prepare) prepare(st.scenarios.back());
  }
  const auto& first = st.scenarios.front();
  st.assessed = !first.jobs.empty() || !first.services.empty();
  for (std::size_t i = 1; i < st.scenarios.size(); ++i) {
    const auto& s = st.scenarios[i];
    if (s.jobs.size() != first.jobs.size() || s.services.size() != first.services.size())
      throw core::InputError(core::Location{"variant", 0, 0, st.labels[i]},
                             "a variant must keep the baseline's jobs and services (or its traffic) to be "
                             "compared with it");
    for (std::size_t k = 0; k < s.services.size(); ++k) {
      auto sites = [](const workload::InferenceService& svc) {
        std::vector<std::string> out;
        for (const auto& u : svc.users) out.push_back(u.site);
        return out;
      };
      if (sites(s.services[k]) != sites(first.services[k]))
        throw core::InputError(
            core::Location{"variant", 0, 0, st.labels[i]},
            fmt::format("a variant must keep the user sites of service '{}' to be compared "
                        "with the baseline",
                        first.services[k].name));
    }
  }
  if (!st.assessed)
    for (const auto& s : st.scenarios)
      if (s.flows.empty())
        throw core::InputError(core::Location{s.source, 0, 0, "traffic"},
                               "this scenario has no jobs, services or traffic to compare");
  const std::size_t n = st.scenarios.size();
  std::vector<std::size_t> mine;
  for (std::size_t i = 0; i < n; ++i)
    if (shard.runs(i)) mine.push_back(i);
  st.outcomes.resize(n);
  st.ran.assign(n, false);
  st.received.resize(n);
  const auto t0 = std::chrono::steady_clock::now();
  if (st.assessed) {
    st.assessments.resize(n);
    api::parallel_for(
        mine.size(), threads,
        [&](std::size_t k) { st.assessments[mine[k]] = api::assess(st.scenarios[mine[k]]); }, progress);
    for (auto i : mine) st.outcomes[i] = outcome_of(st.assessments[i]);
  } else {
    std::vector<api::Scenario> own;
    for (auto i : mine) own.push_back(st.scenarios[i]);
    auto results = api::run_all(own, threads, progress);
    st.runs.resize(n);
    for (std::size_t k = 0; k < mine.size(); ++k) {
      st.runs[mine[k]] = std::move(results[k]);
      st.outcomes[mine[k]] = outcome_of(st.runs[mine[k]]);
    }
  }
  for (auto i : mine) st.ran[i] = true;
  st.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (shard.count == 1) compare_study(st);
  return st;
}

void compare_study(Study& st) {
  for (std::size_t i = 0; i < st.ran.size(); ++i)
    AIFABRIC_ASSERT(st.ran[i], "every variant's outcome must be known before the comparison");
  st.jobs.clear(), st.services.clear(), st.flows.clear(), st.links.clear();
  st.serial_seconds = 0;
  for (const auto& o : st.outcomes) st.serial_seconds += o.wall_seconds;
  compare(st);
}

Outcome outcome_of(const api::Assessment& a) {
  Outcome o;
  for (const auto& j : a.jobs)
    o.jobs.push_back({j.name, j.down, j.gpus, j.fabric.iteration_ps, j.fabric.complete, j.fabric.utilization,
                      j.fabric.tokens_per_s, j.slowdown_vs_ideal, j.network_cost_usd_per_hour});
  for (const auto& s : a.services) {
    o.services.push_back({s.name, s.down, s.gpus, s.fabric.ttft_ms[2], s.fabric.tpot_ms[2],
                          s.fabric.objective_met, s.fabric.complete});
    // One row per user site, "service@site", with no GPUs of its own: the service's row carries them, so
    // a missed objective costs the service's GPU time once.
    if (s.users.size() > 1)
      for (const auto& [site, r] : s.users)
        o.services.push_back(
            {s.name + "@" + site, s.down, 0, r.ttft_ms[2], r.tpot_ms[2], r.objective_met, r.complete});
  }
  o.ports = ports_of(a.ports);
  o.wall_seconds = a.wall_seconds;
  return o;
}

Outcome outcome_of(const api::Result& r) {
  Outcome o;
  o.flows = r.flows.size();
  o.flows_completed = r.flows_completed;
  o.fct_p50_us = r.fct_us.p50, o.fct_p99_us = r.fct_us.p99, o.fct_max_us = r.fct_us.max;
  o.drops = r.drops, o.pause_frames = r.pause_frames;
  o.ports = ports_of(r.ports);
  o.wall_seconds = r.cost.wall_seconds;
  return o;
}

std::string outcome_json(const Outcome& o) {
  nlohmann::json j;
  auto jobs = nlohmann::json::array();
  for (const auto& x : o.jobs)
    jobs.push_back({x.name, x.down, x.gpus, x.iteration_ps, x.complete, x.utilization, x.tokens_per_s,
                    x.slowdown_vs_ideal, x.network_cost_usd_per_hour});
  auto services = nlohmann::json::array();
  for (const auto& x : o.services)
    services.push_back({x.name, x.down, x.gpus, x.ttft_p99_ms, x.tpot_p99_ms, x.objective_met, x.complete});
  auto ports = nlohmann::json::array();
  for (const auto& x : o.ports) ports.push_back({x.name, x.utilization, x.mean_queue_bytes});
  j["jobs"] = jobs;
  j["services"] = services;
  j["flows"] = {o.flows,      o.flows_completed, o.fct_p50_us,  o.fct_p99_us,
                o.fct_max_us, o.drops,           o.pause_frames};
  j["ports"] = ports;
  j["wall_seconds"] = o.wall_seconds;
  return j.dump();
}

Outcome outcome_from_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text);
  Outcome o;
  for (const auto& x : j.at("jobs")) o.jobs.push_back({x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[8]});
  for (const auto& x : j.at("services")) o.services.push_back({x[0], x[1], x[2], x[3], x[4], x[5], x[6]});
  const auto& f = j.at("flows");
  o.flows = f[0], o.flows_completed = f[1], o.fct_p50_us = f[2], o.fct_p99_us = f[3], o.fct_max_us = f[4];
  o.drops = f[5], o.pause_frames = f[6];
  for (const auto& x : j.at("ports")) o.ports.push_back({x[0], x[1], x[2]});
  o.wall_seconds = j.at("wall_seconds");
  return o;
}

Files variant_files(const Study& st, std::size_t i) {
  if (!st.received[i].empty()) return st.received[i];
  AIFABRIC_ASSERT(st.ran[i], "a variant's files come from its run or from the process that ran it");
  const auto& sc = st.scenarios[i];
  if (st.assessed) return {{"assess.json", io::assess_json(sc, st.assessments[i])}};
  const auto& r = st.runs[i];
  Files f{{"flows.csv", io::flows_csv(r)}, {"ports.csv", io::ports_csv(r)}};
  if (sc.run.sample_interval_ps > 0) f.emplace_back("timeseries.csv", io::timeseries_csv(r));
  f.emplace_back("summary.json", io::summary_json(sc, r));  // last, as write_results writes it
  return f;
}

void write_variant_folders(const std::string& dir, const Study& study) {
  for (std::size_t i = 0; i < study.scenarios.size(); ++i) {
    if (!study.ran[i]) continue;  // another shard's
    const std::string folder = dir + "/" + std::to_string(i);
    std::filesystem::create_directory(folder);
    for (const auto& [name, content] : variant_files(study, i))
      io::write_file_atomic(folder + "/" + name, content);
  }
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
              !d.down.empty() ? fmt::format("  DOWN: {}", d.down)
              : d.complete    ? ""
                              : "  INCOMPLETE");
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

std::string whatif_text(const Study& st, std::size_t top) {
  std::vector<std::size_t> order(st.scenarios.size() - 1);
  std::iota(order.begin(), order.end(), std::size_t{1});
  std::vector<double> p99(st.scenarios.size(), 0.0);
  for (const auto& f : st.flows) p99[f.variant] = f.p99_vs_baseline_pct;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return st.assessed ? st.damage_usd_per_hour[a] > st.damage_usd_per_hour[b] : p99[a] > p99[b];
  });
  const std::size_t shown = top == 0 ? order.size() : std::min(top, order.size());
  std::size_t w = 8;
  for (std::size_t k = 0; k < shown; ++k) w = std::max(w, st.labels[order[k]].size());
  auto link_text = [&](std::size_t v) -> std::string {
    for (const auto& l : st.links)
      if (l.variant == v)
        return fmt::format("{} {:.1f}% -> {:.1f}%", l.port, 100 * l.baseline_utilization,
                           100 * l.utilization);
    return "";
  };
  std::string s = fmt::format(
      "whatif       {} at {} level: the baseline and {} variants, {}\n", st.scenarios.front().name,
      st.scenarios.front().fidelity == api::NetworkModel::kFlow ? "flow" : "packet", order.size(),
      st.assessed ? "ranked by what each costs per hour against the baseline"
                  : "ranked by the change in p99 flow completion time");
  for (const auto& f : st.scenarios.front().faults.applied) s += fmt::format("baseline     fault {}\n", f);
  if (st.assessed) {
    for (const auto& d : st.jobs)
      if (d.variant == 0)
        s += fmt::format("baseline     {}: {}\n", d.job,
                         d.down.empty()
                             ? fmt::format("iteration {:.3f} s, {:.0f} tokens/s, {:.1f}% GPU utilization",
                                           d.iteration_s, d.tokens_per_s, 100 * d.gpu_utilization)
                             : "DOWN: " + d.down);
    for (const auto& d : st.services)
      if (d.variant == 0)
        s += fmt::format("baseline     {}: TTFT p99 {:.1f} ms, TPOT p99 {:.2f} ms, {}\n", d.service,
                         d.ttft_p99_ms, d.tpot_p99_ms,
                         d.objectives_met ? "objectives met" : "objectives MISSED");
    s += fmt::format("{:>4}  {:<{}} {:>10}  {:<12} {:>11} {:>8} {:>10}  {}\n", "rank", "variant", w,
                     "$/h lost", "workload", "iteration s", "vs base", "tokens/s",
                     "link that changed most (utilization)");
    for (std::size_t k = 0; k < shown; ++k) {
      const std::size_t v = order[k];
      bool first = true;
      auto lead = [&]() {
        const std::string l = first ? fmt::format("{:>4}  {:<{}} {:>10.2f}  ", k + 1, st.labels[v], w,
                                                  st.damage_usd_per_hour[v])
                                    : fmt::format("{:>4}  {:<{}} {:>10}  ", "", "", w, "");
        first = false;
        return l;
      };
      for (const auto& d : st.jobs)
        if (d.variant == v) {
          const std::string link = first ? link_text(v) : "";  // once per variant
          s += lead() + (d.down.empty() ? fmt::format("{:<12} {:>11.3f} {:>+7.1f}% {:>10.0f}  {}{}\n", d.job,
                                                      d.iteration_s, d.vs_baseline_pct, d.tokens_per_s, link,
                                                      d.complete ? "" : "  INCOMPLETE")
                                        : fmt::format("{:<12} DOWN: {}\n", d.job, d.down));
        }
      for (const auto& d : st.services)
        if (d.variant == v)
          s += lead() +
               (d.down.empty()
                    ? fmt::format("{:<12} TTFT p99 {:.1f} ms ({:+.1f}%), TPOT p99 {:.2f} ms ({:+.1f}%), {}\n",
                                  d.service, d.ttft_p99_ms, d.ttft_vs_baseline_pct, d.tpot_p99_ms,
                                  d.tpot_vs_baseline_pct,
                                  d.objectives_met ? "objectives met" : "objectives MISSED")
                    : fmt::format("{:<12} DOWN: {}\n", d.service, d.down));
    }
  } else {
    s += fmt::format("{:>4}  {:<{}} {:>9} {:>11} {:>8} {:>8} {:>8}  {}\n", "rank", "variant", w, "flows",
                     "FCT p99 us", "vs base", "drops", "pauses", "link that changed most (utilization)");
    for (const auto& f : st.flows)
      if (f.variant == 0)
        s += fmt::format("baseline     {}/{} flows, FCT p99 {:.2f} us\n", f.flows_completed, f.flows,
                         f.fct_p99_us);
    for (std::size_t k = 0; k < shown; ++k)
      for (const auto& f : st.flows)
        if (f.variant == order[k])
          s += fmt::format("{:>4}  {:<{}} {:>4}/{:<4} {:>11.2f} {:>+7.1f}% {:>8} {:>8}  {}\n", k + 1,
                           st.labels[f.variant], w, f.flows_completed, f.flows, f.fct_p99_us,
                           f.p99_vs_baseline_pct, f.drops, f.pause_frames, link_text(f.variant));
  }
  if (shown < order.size()) {
    std::size_t unchanged = 0;
    for (std::size_t k = shown; k < order.size(); ++k)
      unchanged += (st.assessed ? st.damage_usd_per_hour[order[k]] : p99[order[k]]) < 0.005 ? 1 : 0;
    s +=
        fmt::format("      ... {} more variants (all in whatif.csv), {} of them costing nothing measurable\n",
                    order.size() - shown, unchanged);
  }
  return s;
}

std::string run_cost_text(const Study& st) {
  return fmt::format("run cost     {} runs in {:.2f} s wall ({:.2f} s if run one after another)\n",
                     st.scenarios.size(), st.wall_seconds, st.serial_seconds);
}

std::string links_csv(const Study& st) {
  std::string s =
      "variant,port,utilization,baseline_utilization,mean_queue_bytes,baseline_mean_queue_bytes\n";
  for (const auto& l : st.links)
    s += fmt::format("{},{},{:.6f},{:.6f},{:.1f},{:.1f}\n", l.variant, l.port, l.utilization,
                     l.baseline_utilization, l.mean_queue_bytes, l.baseline_mean_queue_bytes);
  return s;
}

}  // namespace aifabric::whatif
