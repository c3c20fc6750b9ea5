#include "ops/mitigate.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "api/reduce.hpp"
#include "io/scenario_loader.hpp"
#include "whatif/study.hpp"

namespace aifabric::ops {

namespace {

io::Node scalar(const std::string& s) {
  return io::Node::scalar(s);
}

io::Node fault(const std::string& kind, const std::string& a, const std::string& b, double rate_gbps = 0) {
  io::Node f = io::Node::map();
  f.set("kind", scalar(kind));
  if (kind == "switch_down" || kind == "nic_down" || kind == "nic_slow" || kind == "pfc_storm") {
    f.set("node", scalar(a));
  } else {
    f.set("a", scalar(a));
    f.set("b", scalar(b));
  }
  if (rate_gbps > 0) f.set("rate_gbps", scalar(fmt::format("{}", rate_gbps)));
  return f;
}

// A lossy link as the telemetry shows it: the bit error rate its frame error ratio gives, within what a
// scenario accepts.
io::Node lossy_fault(const std::string& a, const std::string& b, double ber) {
  io::Node f = fault("link_degraded", a, b);
  f.set("ber", scalar(fmt::format("{:.4g}", std::min(ber, 1e-3))));
  return f;
}

std::string describe(const io::Node& f) {
  std::string s = f["kind"].text();
  for (const char* k : {"node", "a", "b", "rate_gbps", "ber", "at_us", "down_us", "period_us", "count"})
    if (f[k]) s += fmt::format(" {}={}", k, f[k].text());
  return s;
}

// The map under `key` of `parent`, made one when absent.
io::Node& child_map(io::Node& parent, const std::string& key) {
  io::Node* n = parent.find(key);
  if (n == nullptr || !n->is_map()) {
    parent.set(key, io::Node::map());
    n = parent.find(key);
  }
  return *n;
}

// The scenario with `faults` appended to its own.
io::Node with_faults(const io::Node& scenario, const std::vector<io::Node>& faults) {
  io::Node doc = scenario;
  io::Node* list = doc.find("faults");
  if (list == nullptr || !list->is_sequence()) {
    doc.set("faults", io::Node::sequence());
    list = doc.find("faults");
  }
  for (const auto& f : faults) list->push_back(f);
  return doc;
}

}  // namespace

MitigationReport verify_mitigations(const io::Node& scenario, const std::string& source,
                                    const Diagnosis& diagnosis, unsigned threads) {
  MitigationReport rep;
  const api::Scenario base = io::load_scenario_document(scenario, source);
  // The observed state: each down or slow part as a fault.
  std::vector<io::Node> observed;
  struct Slow {  // a slow, lossy or flapping link: draining it is a candidate
    std::size_t fault;
    std::string a, b;
    std::string kind;
  };
  std::vector<Slow> slow;
  bool congested = false, stormed = false;
  for (const auto& f : diagnosis.findings) {
    if (f.kind == "link_down") observed.push_back(fault("link_down", f.a, f.b));
    if (f.kind == "switch_down") observed.push_back(fault("switch_down", f.a, ""));
    if (f.kind == "nic_down") observed.push_back(fault("nic_down", f.a, ""));
    if (f.kind == "pfc_storm" && !f.a.empty() && f.b.empty()) {
      // A NIC that keeps its port paused, from the first window that showed it.
      io::Node storm = fault("pfc_storm", f.a, "");
      storm.set("at_us", scalar(fmt::format("{:.6g}", f.first_seen_s * 1e6)));
      observed.push_back(storm);
      stormed = true;
      rep.excluded_hosts.push_back(f.a);
    }
    if (f.kind == "nic_slow") {
      // Draining at the rate its port sent at, from the first window that showed it.
      io::Node slow_nic = fault("nic_slow", f.a, "", f.rate_gbps);
      slow_nic.set("at_us", scalar(fmt::format("{:.6g}", f.first_seen_s * 1e6)));
      observed.push_back(slow_nic);
    }
    // A link both slow and lossy is one fault with both (and one drain candidate).
    if (f.kind == "link_degraded" || (f.kind == "lossy_link" && f.ber > 0)) {
      const bool lossy = f.kind == "lossy_link";
      const auto same = std::find_if(slow.begin(), slow.end(), [&](const Slow& s) {
        return s.kind != "link_flap" && ((s.a == f.a && s.b == f.b) || (s.a == f.b && s.b == f.a));
      });
      if (same != slow.end()) {
        io::Node& both = observed[same->fault];
        if (lossy) {
          both.set("ber", lossy_fault(f.a, f.b, f.ber)["ber"]);
        } else {
          both.set("rate_gbps", scalar(fmt::format("{}", f.rate_gbps)));
        }
      } else {
        slow.push_back({observed.size(), f.a, f.b, f.kind});
        observed.push_back(lossy ? lossy_fault(f.a, f.b, f.ber)
                                 : fault("link_degraded", f.a, f.b, f.rate_gbps));
      }
    }
    if (f.kind == "link_flap") {
      // The flaps as the telemetry saw them: evenly spaced from the first to the last down, each as long
      // as the samples that saw it down (half an interval when none did). Draining it is a candidate.
      // Downs faster than the polling (several within one interval) share that interval.
      double period_s = f.downs > 1 ? (f.last_down_s - f.first_seen_s) / static_cast<double>(f.downs - 1) : 0;
      if (!(period_s > 0))
        period_s = diagnosis.window_s / static_cast<double>(std::max<std::size_t>(f.downs, 1));
      const double down_s = f.down_s > 0 ? f.down_s : diagnosis.window_s / 2;
      io::Node flap = fault("link_flap", f.a, f.b);
      flap.set("at_us", scalar(fmt::format("{:.6g}", f.first_seen_s * 1e6)));
      flap.set("down_us", scalar(fmt::format("{:.6g}", std::min(down_s, period_s / 2) * 1e6)));
      flap.set("period_us", scalar(fmt::format("{:.6g}", period_s * 1e6)));
      flap.set("count", scalar(fmt::format("{}", f.downs)));
      slow.push_back({observed.size(), f.a, f.b, f.kind});
      observed.push_back(flap);
    }
    congested = congested || f.kind == "hot_spot" || f.kind == "incast" || f.kind == "ecmp_imbalance";
  }
  for (const auto& f : observed) rep.faults.push_back(describe(f));
  // Candidates: drain each slow link between switches; spread congestion with per-packet spraying or
  // adaptive routing when the fabric hashes flows.
  std::vector<whatif::Variant> variants = {{"baseline", scenario},
                                           {"observed", with_faults(scenario, observed)}};
  std::vector<MitigationResult> candidates;
  double switch_capacity = 0;
  for (const auto& l : base.topology.links)
    if (base.topology.nodes[l.a].kind == topo::NodeKind::kSwitch &&
        base.topology.nodes[l.b].kind == topo::NodeKind::kSwitch)
      switch_capacity += l.params.rate_gbps;
  auto is_switch = [&](const std::string& name) {
    for (const auto& n : base.topology.nodes)
      if (n.name == name) return n.kind == topo::NodeKind::kSwitch;
    return false;
  };
  for (const auto& s : slow) {
    if (!is_switch(s.a) || !is_switch(s.b)) continue;  // draining a host's link takes the host out
    auto drained = observed;
    drained[s.fault] = fault("link_down", s.a, s.b);
    variants.push_back({"drain", with_faults(scenario, drained)});
    double rate = 0;
    for (const auto& l : base.topology.links)
      if ((base.topology.nodes[l.a].name == s.a && base.topology.nodes[l.b].name == s.b) ||
          (base.topology.nodes[l.a].name == s.b && base.topology.nodes[l.b].name == s.a))
        rate = std::max(rate, l.params.rate_gbps);
    candidates.push_back(
        {fmt::format("drain link {}-{}", s.a, s.b), fmt::format("{} link {}-{}", s.kind, s.a, s.b), 0, 0, 0,
         switch_capacity > 0 ? rate / switch_capacity : 0,
         s.kind == "link_flap" ? "its ECMP siblings carry its traffic, and no flap drops packets or waits "
                                 "for the routing; the optic or cable is replaced at leisure"
         : s.kind == "lossy_link"
             ? "its ECMP siblings carry its traffic and nothing is corrupted (CorrOpt: "
               "disable while the switch keeps enough paths); the optic is cleaned or "
               "replaced at leisure"
             : "its ECMP siblings carry its traffic; the slow optic is replaced at leisure",
         false, "drain", s.a, s.b, ""});
  }
  if (stormed && base.fabric.pfc.enabled && base.fabric.pfc.watchdog_detection_ps == 0) {
    // The switches' PFC watchdog, detecting as fast as the rule that found the storm did.
    const std::string detect =
        fmt::format("{:.6g}", diagnosis.window_s * 1e6 * static_cast<double>(Rules{}.storm_windows));
    io::Node doc = with_faults(scenario, observed);
    child_map(child_map(doc, "fabric"), "pfc").set("watchdog_detection_us", scalar(detect));
    variants.push_back({"pfc_watchdog", doc});
    candidates.push_back(
        {fmt::format("fabric.pfc.watchdog_detection_us={}", detect), "pfc_storm", 0, 0, 0, 0,
         "the storming NIC's packets are dropped until it stops pausing (its own flows stall); a legitimate "
         "pause longer than the detection time would be dropped too, so on a real fabric it stays above the "
         "longest one (SONiC: 200 ms)",
         false, "pfc_watchdog", "", "", detect});
  }
  if (congested && base.fabric.load_balancing == routing::LoadBalancing::kEcmp) {
    for (const char* lb : {"spray", "adaptive"}) {
      io::Node doc = with_faults(scenario, observed);
      child_map(doc, "fabric").set("load_balancing", scalar(lb));
      variants.push_back({lb, doc});
      candidates.push_back({fmt::format("fabric.load_balancing={}", lb), "congestion", 0, 0, 0, 0,
                            std::string(lb) == "spray"
                                ? "packets of a flow arrive out of order: the NICs must accept it (RoCE NICs "
                                  "without out-of-order placement retransmit)"
                                : "needs switches that pick the least-loaded port per packet",
                            false, "load_balancing", "", "", lb});
    }
  }
  if (candidates.empty()) {
    rep.note =
        diagnosis.findings.empty()
            ? "nothing to mitigate: no finding"
            : "no action in the fabric answers these findings (a part that is down is repaired or replaced; "
              "a job on a GPU out of service restarts without it; a slow or storming NIC is replaced, its "
              "host taken out of the job)";
    return rep;
  }
  const whatif::Study st = whatif::run_study(variants, source, std::nullopt, threads);
  std::vector<double> cost(variants.size(), 0.0);
  std::vector<bool> takes_down(variants.size(), false);
  if (st.assessed) {
    rep.metric = "$/h lost";
    for (std::size_t i = 0; i < variants.size(); ++i) cost[i] = st.damage_usd_per_hour[i];
    for (const auto& j : st.jobs) takes_down[j.variant] = takes_down[j.variant] || !j.down.empty();
  } else {
    rep.metric = "p99 FCT us";
    for (std::size_t i = 0; i < variants.size(); ++i)
      cost[i] = traffic_cost(st.scenarios[i], st.runs[i], rep.excluded_hosts);
  }
  rep.baseline_cost = cost[0];
  rep.observed_cost = cost[1];
  const double lost = cost[1] - cost[0];
  for (std::size_t k = 0; k < candidates.size(); ++k) {
    auto& c = candidates[k];
    c.cost = cost[k + 2];
    c.recovered = lost > 0 ? (cost[1] - c.cost) / lost : 0;
    c.improvement = cost[1] > 0 ? (cost[1] - c.cost) / cost[1] : 0;
    c.verified = c.improvement >= kMinImprovement && !(takes_down[k + 2] && !takes_down[1]);
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const MitigationResult& x, const MitigationResult& y) {
                     if (x.verified != y.verified) return x.verified;
                     if (x.improvement != y.improvement) return x.improvement > y.improvement;
                     return x.capacity_lost < y.capacity_lost;
                   });
  rep.candidates = std::move(candidates);
  if (!rep.candidates.empty() && rep.candidates.front().verified) rep.recommended = 0;
  if (rep.recommended < 0)
    rep.note = fmt::format("no candidate improves the observed {} by {:.0f}% or more", rep.metric,
                           100 * kMinImprovement);
  return rep;
}

double traffic_cost(const api::Scenario& sc, const api::Result& r,
                    const std::vector<std::string>& excluded_hosts) {
  std::vector<bool> out(sc.topology.hosts.size(), false);
  for (std::size_t h = 0; h < out.size(); ++h)
    out[h] = std::find(excluded_hosts.begin(), excluded_hosts.end(),
                       sc.topology.nodes[sc.topology.hosts[h]].name) != excluded_hosts.end();
  std::vector<double> fct;
  for (const auto& f : r.flows)
    if (!out[f.src] && !out[f.dst] && (f.completed() || f.start_ps < r.stats.end_ps))  // started in the run
      fct.push_back(f.completed() ? f.fct_us()
                                  : core::ps_to_us(std::max<core::TimePs>(0, r.stats.end_ps - f.start_ps)));
  return api::summarize(std::move(fct)).p99;
}

io::Node apply_mitigation(const io::Node& scenario, const MitigationResult& action) {
  io::Node doc = scenario;
  if (action.kind == "load_balancing") child_map(doc, "fabric").set("load_balancing", scalar(action.value));
  if (action.kind == "pfc_watchdog")
    child_map(child_map(doc, "fabric"), "pfc").set("watchdog_detection_us", scalar(action.value));
  if (action.kind == "drain") {
    io::Node* list = doc.find("faults");
    for (std::size_t i = 0; list != nullptr && list->is_sequence() && i < list->size(); ++i) {
      io::Node* f = list->at(i);
      const std::string a = (*f)["a"].text(), b = (*f)["b"].text();
      const std::string kind = (*f)["kind"].text();
      if ((kind == "link_degraded" || kind == "link_flap") &&
          ((a == action.a && b == action.b) || (a == action.b && b == action.a)))
        *f = fault("link_down", action.a, action.b);
    }
  }
  return doc;
}

std::string mitigation_text(const MitigationReport& r) {
  std::string s;
  for (const auto& f : r.faults) s += fmt::format("observed     {}\n", f);
  if (!r.metric.empty())
    s += fmt::format("mitigate     {}: {:.2f} as designed, {:.2f} as observed\n", r.metric, r.baseline_cost,
                     r.observed_cost);
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    s += fmt::format(
        "  {} {:<34} {:>10.2f}  {:+6.1f}% vs observed{}  capacity lost {:.1f}%  for {}; risk: {}\n",
        static_cast<int>(i) == r.recommended ? "RECOMMENDED" : (c.verified ? "verified   " : "not enough "),
        c.action, c.cost, -100 * c.improvement,
        r.observed_cost > r.baseline_cost
            ? fmt::format(", recovers {:.0f}% of the faults' cost", 100 * c.recovered)
            : "",
        100 * c.capacity_lost, c.finding, c.risk);
  }
  if (!r.note.empty()) s += fmt::format("mitigate     {}\n", r.note);
  return s;
}

}  // namespace aifabric::ops
