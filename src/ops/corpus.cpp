#include "ops/corpus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "api/parallel.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"
#include "ops/mitigate.hpp"
#include "telemetry/export.hpp"
#include "whatif/study.hpp"

namespace aifabric::ops {

namespace {

constexpr double kSampleUs = 20;

struct Shape {
  const char* fabric;
  std::uint32_t leaves, hosts_per_leaf, spines;
  double load;
};

// The i-th combination of fabric kind, size and background load.
Shape shape(std::size_t i) {
  static const char* fabrics[] = {"roce", "infiniband", "ethernet"};
  static const std::uint32_t leaves[] = {2, 4, 6};
  static const std::uint32_t hosts[] = {4, 8};
  static const double loads[] = {0.05, 0.1, 0.2};
  const std::uint32_t h = hosts[(i / 3) % 2];
  return {fabrics[i % 3], leaves[(i / 6) % 3], h, (i / 18) % 2 == 0 ? 2u : 4u, loads[(i / 36) % 3]};
}

std::string scenario(const std::string& id, std::size_t seed, const Shape& s, double oversubscription,
                     const std::string& extra_traffic, const std::string& faults,
                     const std::string& extra_top = "") {
  return fmt::format(R"(name: {}
seed: {}
{}fabric: {{kind: {}}}
topology: {{kind: leaf_spine, leaves: {}, hosts_per_leaf: {}, spines: {}, oversubscription: {},
           link: {{rate_gbps: 100, latency_ns: 500, mtu_bytes: 4096}}}}
telemetry: {{sample_interval_us: {}, counters: true}}
traffic:
  - {{kind: poisson, load: {}, size_bytes: 64KB, duration_us: 400}}
{}faults: {}
)",
                     id, seed, extra_top, s.fabric, s.leaves, s.hosts_per_leaf, s.spines, oversubscription,
                     kSampleUs, s.load, extra_traffic, faults.empty() ? "[]" : faults);
}

// Two 1 MB flows to `host` from two other hosts (of `hosts` in all), both starting at 150 us.
std::string two_flows_to(std::uint32_t host, std::uint32_t hosts) {
  const std::uint32_t a = (host + 1) % hosts, b = (host + hosts / 2) % hosts;
  return fmt::format(
      "  - kind: flows\n    flows:\n      - {{src: host{}, dst: host{}, size_bytes: 1MB, start_us: 150}}\n"
      "      - {{src: host{}, dst: host{}, size_bytes: 1MB, start_us: 150}}\n",
      a, host, b == host ? (b + 1) % hosts : b, host);
}

}  // namespace

double ClassScore::precision() const {
  return detected + false_alarms == 0 ? 1.0 : double(detected) / double(detected + false_alarms);
}
double ClassScore::recall() const {
  return cases == 0 ? 1.0 : double(detected) / double(cases);
}
double ClassScore::localization() const {
  return detected == 0 ? 1.0 : double(localized) / double(detected);
}

std::vector<CorpusCase> fault_corpus(std::size_t per_class, std::size_t healthy, std::uint64_t seed) {
  std::vector<CorpusCase> out;
  auto add = [&](const std::string& kind, const std::string& id, std::string yaml,
                 std::vector<std::string> where, double onset_s = 0.0) {
    out.push_back({id, std::move(yaml), {kind, std::move(where), onset_s}});
  };
  for (std::size_t i = 0; i < per_class; ++i) {
    const Shape s = shape(i);
    const std::uint32_t hosts = s.leaves * s.hosts_per_leaf;
    const std::uint32_t leaf = static_cast<std::uint32_t>(i % s.leaves),
                        spine = static_cast<std::uint32_t>(i % s.spines);
    const std::uint32_t host = static_cast<std::uint32_t>((7 * i + 3) % hosts);
    {
      const std::string id = fmt::format("link_down_{:03}", i);
      add("link_down", id,
          scenario(id, seed + i, s, 1, "",
                   fmt::format("[{{kind: link_down, a: leaf{}, b: spine{}}}]", leaf, spine)),
          {fmt::format("link leaf{}-spine{}", leaf, spine)});
    }
    {
      const std::string id = fmt::format("switch_down_{:03}", i);
      const std::string node = i % 2 == 0 ? fmt::format("spine{}", spine) : fmt::format("leaf{}", leaf);
      add("switch_down", id,
          scenario(id, seed + i, s, 1, "", fmt::format("[{{kind: switch_down, node: {}}}]", node)),
          {"switch " + node});
    }
    {
      const std::string id = fmt::format("nic_down_{:03}", i);
      add("nic_down", id,
          scenario(id, seed + i, s, 1, "", fmt::format("[{{kind: nic_down, gpu: {}}}]", host)),
          {fmt::format("host host{}", host)});
    }
    {
      const std::string id = fmt::format("link_degraded_{:03}", i);
      static const double rates[] = {25, 40, 50, 10};
      const double rate = rates[i % 4];
      const bool host_link = i % 3 == 2;
      const std::string a = host_link ? fmt::format("host{}", host) : fmt::format("leaf{}", leaf);
      const std::string b =
          host_link ? fmt::format("leaf{}", host / s.hosts_per_leaf) : fmt::format("spine{}", spine);
      const std::string where = a < b ? fmt::format("link {}-{}", a, b) : fmt::format("link {}-{}", b, a);
      add("link_degraded", id,
          scenario(id, seed + i, s, 1, "",
                   fmt::format("[{{kind: link_degraded, a: {}, b: {}, rate_gbps: {}}}]", a, b, rate)),
          {where});
    }
    {
      // Frames corrupted on a leaf-spine or host link (both directions), from the start: the transport
      // resends them (RoCE or lossy Ethernet: corruption on InfiniBand is not modelled). Bit error rates of
      // 2e-6 to 1e-5 lose 6-28% of 4 KB frames: enough corrupted frames in the 400 us of traffic to see
      // on links that carry a few dozen frames; a real link at Pingmesh's 1e-4-1e-5 drop rate shows as many
      // in a few seconds.
      const std::string id = fmt::format("lossy_link_{:03}", i);
      static const double bers[] = {2e-6, 5e-6, 1e-5};
      const bool host_link = i % 3 == 1;
      const std::string a = host_link ? fmt::format("host{}", host) : fmt::format("leaf{}", leaf);
      const std::string b =
          host_link ? fmt::format("leaf{}", host / s.hosts_per_leaf) : fmt::format("spine{}", spine);
      const std::string where = a < b ? fmt::format("link {}-{}", a, b) : fmt::format("link {}-{}", b, a);
      const Shape ls{i % 2 == 0 ? "roce" : "ethernet", s.leaves, s.hosts_per_leaf, s.spines, s.load};
      add("lossy_link", id,
          scenario(id, seed + i, ls, 1, "",
                   fmt::format("[{{kind: link_degraded, a: {}, b: {}, ber: {}}}]", a, b, bers[(i / 2) % 3])),
          {where});
    }
    {
      // A leaf-spine link that goes down 2 or 3 times for 10 to 50 us, every 100 or 150 us, from 40 to
      // 80 us (routing converges after the default 100 ms: the far ends keep sending into it while it is
      // down). The rule fires at the second down.
      const std::string id = fmt::format("link_flap_{:03}", i);
      static const double downs_us[] = {10, 30, 50};
      const double at = 40 + 20 * double(i % 3), period = i % 2 == 0 ? 100 : 150;
      add("link_flap", id,
          scenario(id, seed + i, s, 1, "",
                   fmt::format("[{{kind: link_flap, a: leaf{}, b: spine{}, at_us: {}, down_us: {}, "
                               "period_us: {}, count: {}}}]",
                               leaf, spine, at, downs_us[(i / 3) % 3], period, 2 + (i / 2) % 2)),
          {fmt::format("link leaf{}-spine{}", leaf, spine)}, at * 1e-6);
    }
    {
      const std::string id = fmt::format("incast_{:03}", i);
      const std::uint32_t senders = std::min<std::uint32_t>(hosts - 1, 4 + static_cast<std::uint32_t>(i % 5));
      static const char* sizes[] = {"256KB", "512KB", "1MB"};
      add("incast", id,
          scenario(
              id, seed + i, s, 1,
              fmt::format("  - {{kind: incast, senders: {}, receiver: {}, size_bytes: {}, start_us: 20}}\n",
                          senders, host, sizes[i % 3]),
              ""),
          {fmt::format("port leaf{}->host{}", host / s.hosts_per_leaf, host)}, 20e-6);
    }
    {
      // A NIC stops draining at 100 us and keeps its switch port paused (RoCE: PFC); two flows to it
      // start at 150 us, so packets wait behind the pause. The run stops at 1 ms.
      const std::string id = fmt::format("pfc_storm_{:03}", i);
      const Shape rs{"roce", s.leaves, s.hosts_per_leaf, s.spines, s.load};
      add("pfc_storm", id,
          scenario(id, seed + i, rs, 1, two_flows_to(host, hosts),
                   fmt::format("[{{kind: pfc_storm, gpu: {}, at_us: 100}}]", host), "stop_time_us: 1000\n"),
          {fmt::format("host host{}", host)}, 100e-6);
    }
    {
      // A NIC slows to 10, 25 or 40 Gbit/s at 100 us (RoCE: it pauses its switch port as its buffer
      // fills); two 1 MB flows to it start at 150 us. The InfiniBand variant has no pause counters to show
      // it (IB's PortXmitWait is not exported yet), so the class is RoCE's.
      const std::string id = fmt::format("nic_slow_{:03}", i);
      static const double rates[] = {10, 25, 40};
      const Shape rs{"roce", s.leaves, s.hosts_per_leaf, s.spines, s.load};
      add("nic_slow", id,
          scenario(
              id, seed + i, rs, 1, two_flows_to(host, hosts),
              fmt::format("[{{kind: nic_slow, gpu: {}, rate_gbps: {}, at_us: 100}}]", host, rates[i % 3])),
          {fmt::format("host host{}", host)}, 100e-6);
    }
    {
      // Every host of one leaf sends 2 MB to a host of the next over a 2:1 spine tier: that leaf's
      // uplinks (and the spines' links down to the next leaf) are the bottleneck.
      const std::string id = fmt::format("hot_spot_{:03}", i);
      const Shape hs{s.fabric, s.leaves, 8, s.spines, s.load};
      const std::uint32_t from = leaf, to = (leaf + 1) % s.leaves;
      std::string flows = "  - kind: flows\n    flows:\n";
      for (std::uint32_t k = 0; k < hs.hosts_per_leaf; ++k)
        flows += fmt::format("      - {{src: host{}, dst: host{}, size_bytes: 2MB, start_us: 20}}\n",
                             from * hs.hosts_per_leaf + k, to * hs.hosts_per_leaf + k);
      std::vector<std::string> where = {fmt::format("port leaf{}->spine", from)};
      for (std::uint32_t sp = 0; sp < hs.spines; ++sp)
        where.push_back(fmt::format("port spine{}->leaf{}", sp, to));
      add("hot_spot", id, scenario(id, seed + i, hs, 2, flows, ""), where, 20e-6);
    }
  }
  for (std::size_t i = 0; i < healthy; ++i) {
    const std::string id = fmt::format("healthy_{:03}", i);
    out.push_back({id, scenario(id, seed + i, shape(i), 1, "", ""), {"healthy", {}, 0.0}});
  }
  return out;
}

CorpusScore evaluate(const std::vector<CorpusCase>& cases, unsigned threads, const Rules& rules,
                     std::vector<Diagnosis>* findings) {
  std::vector<Diagnosis> found(cases.size());
  api::parallel_for(cases.size(), threads, [&](std::size_t i) {
    const auto sc = io::load_scenario_text(cases[i].yaml, cases[i].id);
    found[i] = diagnose(telemetry::from_run(sc, api::run(sc)), rules);
  });
  CorpusScore score;
  score.cases = cases.size();
  if (findings != nullptr) *findings = found;
  score.window_s = kSampleUs * 1e-6;
  for (const char* kind : {"link_down", "link_flap", "switch_down", "nic_down", "link_degraded", "lossy_link",
                           "pfc_storm", "nic_slow", "incast", "hot_spot"}) {
    ClassScore c;
    c.kind = kind;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& truth = cases[i].truth;
      const Finding* first = nullptr;
      for (const auto& f : found[i].findings)
        if (f.kind == kind) {
          first = &f;
          break;
        }
      if (truth.kind != kind) {
        c.false_alarms += first != nullptr ? 1 : 0;
        continue;
      }
      ++c.cases;
      if (first == nullptr) continue;
      ++c.detected;
      c.latency_s_max = std::max(c.latency_s_max, first->detected_s - truth.onset_s);
      for (const auto& where : truth.locations)
        if (first->location.rfind(where, 0) == 0) {
          ++c.localized;
          break;
        }
    }
    score.classes.push_back(c);
  }
  std::size_t tp = 0, fp = 0, total = 0, localized = 0;
  for (const auto& c : score.classes) {
    tp += c.detected;
    fp += c.false_alarms;
    total += c.cases;
    localized += c.localized;
  }
  for (std::size_t i = 0; i < cases.size(); ++i)
    if (cases[i].truth.kind == "healthy") {
      ++score.healthy;
      score.healthy_clean += found[i].findings.empty() ? 1 : 0;
    }
  score.overall_precision = tp + fp == 0 ? 1.0 : double(tp) / double(tp + fp);
  score.overall_recall = total == 0 ? 1.0 : double(tp) / double(total);
  score.overall_localization = tp == 0 ? 1.0 : double(localized) / double(tp);
  return score;
}

std::string score_table(const CorpusScore& s) {
  std::string out = fmt::format(
      "| class | cases | detected | precision | recall | top-1 localization | worst detection latency |\n"
      "|---|---|---|---|---|---|---|\n");
  for (const auto& c : s.classes)
    out += fmt::format(
        "| {} | {} | {} | {:.3f} | {:.3f} | {:.3f} | {:.0f} us ({:.0f} windows of {:.0f} us) |\n", c.kind,
        c.cases, c.detected, c.precision(), c.recall(), c.localization(), c.latency_s_max * 1e6,
        s.window_s > 0 ? c.latency_s_max / s.window_s : 0, s.window_s * 1e6);
  out += fmt::format("| all faults | {} | | {:.3f} | {:.3f} | {:.3f} | |\n", s.cases - s.healthy,
                     s.overall_precision, s.overall_recall, s.overall_localization);
  out += fmt::format("| healthy | {} | no finding: {} ({:.1f}%) | | | | |\n", s.healthy, s.healthy_clean,
                     s.healthy == 0 ? 100.0 : 100.0 * double(s.healthy_clean) / double(s.healthy));
  return out;
}

std::vector<MitigationScore> evaluate_mitigations(const std::vector<CorpusCase>& cases, unsigned threads) {
  // Links between switches (draining a host's link takes the host out), and storms at any host.
  static const char* kinds[] = {"link_degraded", "lossy_link", "link_flap", "pfc_storm"};
  std::vector<std::size_t> picked;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& t = cases[i].truth;
    if (t.kind == "pfc_storm" ||
        (std::any_of(std::begin(kinds), std::end(kinds), [&](const char* k) { return t.kind == k; }) &&
         t.locations.front().find("host") == std::string::npos))
      picked.push_back(i);
  }
  struct Outcome {
    bool costly = false, recommended = false, recovered_80 = false;
    double error = 0;
    std::string action;
  };
  std::vector<Outcome> out(picked.size());
  api::parallel_for(picked.size(), threads, [&](std::size_t k) {
    const auto& c = cases[picked[k]];
    const io::Node real = io::read_yaml(c.yaml, c.id);
    io::Node designed = real;
    designed.set("faults", io::Node::sequence());
    const auto sc = io::load_scenario_document(real, c.id);
    const Diagnosis d = diagnose(telemetry::from_run(sc, api::run(sc)));
    const MitigationReport rep = verify_mitigations(designed, c.id, d, 1);
    Outcome& o = out[k];
    o.costly = rep.observed_cost >= 1.05 * rep.baseline_cost;
    if (!o.costly || rep.recommended < 0) return;
    const auto& best = rep.candidates[static_cast<std::size_t>(rep.recommended)];
    o.recommended = true;
    o.action = best.action;
    o.recovered_80 = best.recovered >= 0.8;
    const whatif::Study fresh = whatif::run_study(
        {{"designed", designed}, {"fresh", apply_mitigation(real, best)}}, c.id, std::nullopt, 1);
    const double measured = traffic_cost(fresh.scenarios[1], fresh.runs[1], rep.excluded_hosts);
    o.error = measured > 0 ? std::abs(best.cost - measured) / measured : 0;
  });
  std::vector<MitigationScore> scores;
  for (const char* kind : kinds) {
    MitigationScore s;
    s.kind = kind;
    for (std::size_t k = 0; k < picked.size(); ++k) {
      if (cases[picked[k]].truth.kind != kind) continue;
      ++s.cases;
      const Outcome& o = out[k];
      if (!o.costly) continue;
      ++s.costly;
      s.actions.push_back(o.action);
      if (!o.recommended) continue;
      ++s.recommended;
      s.recovered_80 += o.recovered_80 ? 1 : 0;
      s.worst_prediction_error = std::max(s.worst_prediction_error, o.error);
    }
    scores.push_back(s);
  }
  return scores;
}

std::string mitigation_table(const std::vector<MitigationScore>& scores) {
  std::string out =
      "| class | cases | fault costs >= 5% (p99 FCT) | verified recommendation | recovers >= 80% | "
      "worst "
      "prediction error vs a fresh run |\n|---|---|---|---|---|---|\n";
  for (const auto& s : scores) {
    std::map<std::string, std::size_t> by_action;
    for (const auto& a : s.actions) ++by_action[a.empty() ? "none" : a.substr(0, a.find(' '))];
    std::string actions;
    for (const auto& [a, n] : by_action) actions += fmt::format("{}{} {}", actions.empty() ? "" : ", ", n, a);
    out +=
        fmt::format("| {} | {} | {} | {} ({}) | {} | {:.2f}% |\n", s.kind, s.cases, s.costly, s.recommended,
                    actions.empty() ? "-" : actions, s.recovered_80, 100 * s.worst_prediction_error);
  }
  return out;
}

}  // namespace aifabric::ops
