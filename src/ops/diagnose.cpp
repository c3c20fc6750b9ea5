#include "ops/diagnose.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace aifabric::ops {

using telemetry::Series;

namespace {

// Column of each metric in port_metrics() (the declaration order of src/telemetry/dataset.cpp).
int column(const char* name) {
  return telemetry::metric_index(name);
}

struct Port {
  std::string name, from, to;
  std::vector<const Series*> metric;  // by metric index; null when absent
};

// "su0.rail3" -> "su#.rail#": a node's name with its numbers taken out.
std::string stem(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      if (out.empty() || out.back() != '#') out += '#';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string link_name(const std::string& a, const std::string& b) {
  return a < b ? fmt::format("link {}-{}", a, b) : fmt::format("link {}-{}", b, a);
}

Finding make_finding(std::string kind, std::string location, std::string evidence, double first_seen_s,
                     double detected_s, std::string severity) {
  Finding f;
  f.kind = std::move(kind);
  f.location = std::move(location);
  f.evidence = std::move(evidence);
  f.first_seen_s = first_seen_s;
  f.detected_s = detected_s;
  f.severity = std::move(severity);
  return f;
}

int severity_rank(const std::string& s) {
  return s == "critical" ? 0 : s == "major" ? 1 : 2;
}

double value_at_end(const Series* s) {
  return s == nullptr || s->value.empty() ? 0.0 : s->value.back();
}

}  // namespace

Diagnosis diagnose(const telemetry::Dataset& data, const Rules& rules) {
  Diagnosis out;
  out.quality = data.quality;
  out.samples = data.samples();
  const std::size_t metrics = telemetry::port_metrics().size();
  std::map<std::string, Port> ports;
  for (const auto& s : data.series) {
    auto& p = ports[s.port];
    if (p.metric.empty()) {
      p = {s.port, s.from, s.to, std::vector<const Series*>(metrics, nullptr)};
    }
    p.metric[static_cast<std::size_t>(s.metric)] = &s;
  }
  out.ports = ports.size();
  const int kTx = column("aifabric_port_transmit_bytes_total"),
            kDrops = column("aifabric_port_dropped_packets_total"),
            kEcn = column("aifabric_port_ecn_marked_packets_total"),
            kQueue = column("aifabric_port_queue_bytes"),
            kSpeed = column("aifabric_port_speed_bytes_per_second"), kUp = column("aifabric_port_up"),
            kDowns = column("aifabric_port_link_down_events_total"),
            kPackets = column("aifabric_port_transmit_packets_total"),
            kFcs = column("aifabric_port_fcs_errors_total");
  // The sampling interval: the median spacing of the transmit counters' samples.
  std::vector<double> gaps;
  for (const auto& [name, p] : ports)
    if (const Series* tx = p.metric[kTx])
      for (std::size_t i = 1; i < tx->t_s.size() && gaps.size() < 100000; ++i)
        gaps.push_back(tx->t_s[i] - tx->t_s[i - 1]);
  if (!gaps.empty()) {
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<long>(gaps.size() / 2), gaps.end());
    out.window_s = gaps[gaps.size() / 2];
  }
  // Nodes and their ports; a node with a single port is a host (a NIC), the others switches.
  std::map<std::string, std::vector<const Port*>> out_ports;
  for (const auto& [name, p] : ports) out_ports[p.from].push_back(&p);
  auto is_host = [&](const std::string& node) {
    const auto it = out_ports.find(node);
    return it != out_ports.end() && it->second.size() == 1;
  };

  // 1. Ports down: whole switches, then hosts' links, then links between switches.
  std::map<std::string, double> down;  // port -> first time seen down
  for (const auto& [name, p] : ports)
    if (const Series* up = p.metric[kUp])
      for (std::size_t i = 0; i < up->value.size(); ++i)
        if (up->value[i] < 0.5) {
          down[name] = up->t_s[i];
          break;
        }
  // 0. Flapping links: downs counted (the counter's rise over the telemetry, or the up gauge's falls),
  // at least rules.flap_downs of them. A flapping link is not also reported down; a switch whose every
  // port flaps went down as a whole (a reboot) and is left to the roll-up below.
  struct Flap {
    const Port* port;
    std::size_t count, rise, falls, down_samples;
    double first, last;
    double fired;  // when the rules.flap_downs-th down was seen (by either signal)
  };
  std::vector<Flap> flaps;
  for (const auto& [name, p] : ports) {
    const Series* up = p.metric[kUp];
    const Series* downs = p.metric[kDowns];
    Flap fl{&p, 0, 0, 0, 0, -1, -1, -1};
    double fired_falls = -1, fired_rise = -1;
    if (up != nullptr)
      for (std::size_t i = 0; i < up->value.size(); ++i) {
        const bool is_down = up->value[i] < 0.5;
        fl.down_samples += is_down ? 1 : 0;
        if (is_down && (i == 0 || up->value[i - 1] >= 0.5)) {
          if (++fl.falls == rules.flap_downs) fired_falls = up->t_s[i];
          if (fl.first < 0) fl.first = up->t_s[i];
          fl.last = up->t_s[i];
        }
      }
    if (downs != nullptr && !downs->value.empty()) {
      fl.rise = static_cast<std::size_t>(std::max(0.0, downs->value.back() - downs->value.front()));
      for (std::size_t i = 1; i < downs->value.size(); ++i)
        if (downs->value[i] > downs->value[i - 1]) {
          if (fl.first < 0 || downs->t_s[i] < fl.first) fl.first = downs->t_s[i];
          fl.last = std::max(fl.last, downs->t_s[i]);
          if (fired_rise < 0 && downs->value[i] - downs->value.front() >= double(rules.flap_downs))
            fired_rise = downs->t_s[i];
        }
    }
    fl.fired = fired_falls < 0  ? fired_rise
               : fired_rise < 0 ? fired_falls
                                : std::min(fired_falls, fired_rise);
    if (fl.fired < 0) fl.fired = fl.last;
    fl.count = std::max(fl.falls, fl.rise);
    if (fl.count >= rules.flap_downs) flaps.push_back(fl);
  }
  std::set<std::string> flapping, rebooted;
  for (const auto& fl : flaps) flapping.insert(fl.port->name);
  for (const auto& [node, list] : out_ports)
    if (list.size() >= 2 &&
        std::all_of(list.begin(), list.end(), [&](const Port* p) { return flapping.count(p->name) > 0; }))
      rebooted.insert(node);
  std::set<std::string> links_done;
  for (const auto& fl : flaps) {
    const Port& p = *fl.port;
    if (rebooted.count(p.from) || rebooted.count(p.to)) continue;
    const std::string link = link_name(p.from, p.to);
    if (!links_done.insert(link).second) continue;
    Finding f = make_finding(
        "link_flap", link,
        fmt::format("{}: down {} times between {:.6g} and {:.6g} s (aifabric_port_link_down_events_total "
                    "+{}; aifabric_port_up 0 at {} samples)",
                    p.name, fl.count, fl.first, fl.last, fl.rise, fl.down_samples),
        fl.first, fl.fired, "major");
    f.a = p.from;
    f.b = p.to;
    f.downs = fl.count;
    f.last_down_s = fl.last;
    f.down_s = fl.falls > 0
                   ? static_cast<double>(fl.down_samples) / static_cast<double>(fl.falls) * out.window_s
                   : 0;
    out.findings.push_back(std::move(f));
  }
  for (auto it = down.begin(); it != down.end();)
    it = links_done.count(link_name(ports.at(it->first).from, ports.at(it->first).to)) ? down.erase(it)
                                                                                       : std::next(it);
  std::set<std::string> explained;
  // Findings that explain congestion next to them: a link down or slow (its ends), a switch down.
  struct Root {
    std::size_t finding;
    std::string a, b;  // b empty for a switch
  };
  std::vector<Root> roots;
  for (const auto& [node, list] : out_ports) {
    if (list.size() < 2) continue;
    double first = 1e300;
    bool all = true;
    for (const Port* p : list) {
      const auto it = down.find(p->name);
      all = all && it != down.end();
      if (it != down.end()) first = std::min(first, it->second);
    }
    if (!all) continue;
    out.findings.push_back(
        make_finding("switch_down", "switch " + node,
                     fmt::format("all {} ports of {} report aifabric_port_up 0", list.size(), node), first,
                     first, "critical"));
    out.findings.back().a = node;
    roots.push_back({out.findings.size() - 1, node, ""});
    for (const auto& [name, p] : ports)
      if (p.from == node || p.to == node) explained.insert(name);
  }
  for (const auto& [name, first] : down) {
    if (explained.count(name)) continue;
    const Port& p = ports.at(name);
    const std::string link = link_name(p.from, p.to);
    if (!links_done.insert(link).second) continue;
    const bool host_from = is_host(p.from), host_to = is_host(p.to);
    if (host_from || host_to) {
      const std::string host = host_from ? p.from : p.to;
      out.findings.push_back(make_finding("nic_down", "host " + host,
                                          fmt::format("{}: aifabric_port_up 0 (the host's only link)", name),
                                          first, first, "critical"));
      out.findings.back().a = host;
    } else {
      out.findings.push_back(make_finding("link_down", link, fmt::format("{}: aifabric_port_up 0", name),
                                          first, first, "critical"));
      out.findings.back().a = p.from;
      out.findings.back().b = p.to;
      roots.push_back({out.findings.size() - 1, p.from, p.to});
    }
  }

  // 2. A lossy link: frames received with a bad FCS, at least rules.lossy_min_errors of them and at
  // least rules.lossy_frame_error_ratio of the frames the peer sent. Corruption is not congestion (which
  // drops at the sender's queue, counted as drops, and follows load); the rule reads no load at all.
  std::set<std::string> lossy_done;
  for (const auto& [name, p] : ports) {
    const Series* fcs = p.metric[kFcs];
    if (fcs == nullptr || fcs->value.size() < 2 || down.count(name) ||
        links_done.count(link_name(p.from, p.to)))
      continue;
    const double errors = std::max(0.0, fcs->value.back() - fcs->value.front());
    if (errors < double(rules.lossy_min_errors)) continue;
    double first = -1, fired = -1;
    for (std::size_t i = 1; i < fcs->value.size(); ++i) {
      if (first < 0 && fcs->value[i] > fcs->value[i - 1]) first = fcs->t_s[i];
      if (fired < 0 && fcs->value[i] - fcs->value.front() >= double(rules.lossy_min_errors))
        fired = fcs->t_s[i];
    }
    // The frames sent towards this port: its peer's transmit counters (the other direction's port; the
    // k-th of parallel links "a->b#k" is "b->a#k").
    const auto hash = name.rfind('#');
    const auto peer = ports.find(p.to + "->" + p.from + (hash == std::string::npos ? "" : name.substr(hash)));
    const Series* sent = peer == ports.end() ? nullptr : peer->second.metric[kPackets];
    const Series* sent_bytes = peer == ports.end() ? nullptr : peer->second.metric[kTx];
    const double frames =
        sent == nullptr || sent->value.empty() ? 0 : sent->value.back() - sent->value.front();
    const double ratio = frames > 0 ? errors / frames : 0;
    if (frames > 0 && ratio < rules.lossy_frame_error_ratio) continue;
    const std::string link = link_name(p.from, p.to);
    if (!lossy_done.insert(link).second) continue;
    const double frame_bytes = frames > 0 && sent_bytes != nullptr && !sent_bytes->value.empty()
                                   ? (sent_bytes->value.back() - sent_bytes->value.front()) / frames
                                   : 0;
    // Every frame bad (a handful seen) gives no finite rate: taken as 99.9% of them.
    const double ber = frame_bytes > 0 ? -std::log1p(-std::min(ratio, 0.999)) / (8 * frame_bytes) : 0;
    Finding f = make_finding(
        "lossy_link", link,
        frames > 0
            ? fmt::format("{}: {:.0f} frames received with a bad FCS of {:.0f} sent by {} ({:.3g}; a bit "
                          "error rate of about {:.2g} on {:.0f}-byte frames), from {:g} s",
                          name, errors, frames, p.to, ratio, ber, frame_bytes, first)
            : fmt::format("{}: {:.0f} frames received with a bad FCS from {:g} s (no frame counters of "
                          "{} to compare with)",
                          name, errors, first, p.to),
        first, fired, "major");
    f.a = p.from;
    f.b = p.to;
    f.frame_error_ratio = ratio;
    f.ber = ber;
    out.findings.push_back(std::move(f));
    roots.push_back({out.findings.size() - 1, p.from, p.to});
  }

  // 3. A port slower than its group's median speed: a link that came up at a lower rate.
  std::map<std::string, std::vector<const Port*>> groups;
  for (const auto& [name, p] : ports)
    if (p.metric[kSpeed] && !down.count(name)) groups[stem(p.from) + "->" + stem(p.to)].push_back(&p);
  for (const auto& [group, list] : groups) {
    std::vector<double> speeds;
    for (const Port* p : list) speeds.push_back(value_at_end(p->metric[kSpeed]));
    std::nth_element(speeds.begin(), speeds.begin() + static_cast<long>(speeds.size() / 2), speeds.end());
    const double median = speeds[speeds.size() / 2];
    for (const Port* p : list) {
      const Series* sp = p->metric[kSpeed];
      const double speed = value_at_end(sp);
      if (!(speed < rules.degraded_speed_fraction * median)) continue;
      const std::string link = link_name(p->from, p->to);
      if (!links_done.insert(link).second) continue;
      double first = sp->t_s.front();
      for (std::size_t i = 0; i < sp->value.size(); ++i)
        if (sp->value[i] < rules.degraded_speed_fraction * median) {
          first = sp->t_s[i];
          break;
        }
      out.findings.push_back(
          make_finding("link_degraded", link,
                       fmt::format("{}: {:g} Gbit/s where its {} ports' median is {:g} Gbit/s", p->name,
                                   speed * 8 / 1e9, list.size(), median * 8 / 1e9),
                       first, first, "major"));
      out.findings.back().a = p->from;
      out.findings.back().b = p->to;
      out.findings.back().rate_gbps = speed * 8 / 1e9;
      roots.push_back({out.findings.size() - 1, p->from, p->to});
    }
  }

  // 4. Congestion: a port busy and queueing for hot_windows windows in a row.
  struct Hot {
    Finding finding;
    const Port* port;
    double end_s;
  };
  std::vector<Hot> hot;
  for (const auto& [name, p] : ports) {
    const Series* tx = p.metric[kTx];
    if (tx == nullptr || down.count(name) || tx->t_s.size() < 2) continue;
    const double speed = value_at_end(p.metric[kSpeed]);
    if (!(speed > 0)) continue;
    auto delta = [](const Series* s, std::size_t i) {
      return s == nullptr || i >= s->value.size() ? 0.0 : std::max(0.0, s->value[i] - s->value[i - 1]);
    };
    std::size_t run = 0, best = 0, best_start = 0, start = 0;
    double peak_queue = 0, marks = 0, drops = 0, busiest = 0;
    for (std::size_t i = 1; i < tx->t_s.size(); ++i) {
      const double dt = tx->t_s[i] - tx->t_s[i - 1];
      const double util = dt > 0 ? delta(tx, i) / (dt * speed) : 0;
      const double queue =
          p.metric[kQueue] && i < p.metric[kQueue]->value.size() ? p.metric[kQueue]->value[i] : 0;
      const bool queueing =
          delta(p.metric[kEcn], i) > 0 || delta(p.metric[kDrops], i) > 0 || queue >= rules.hot_queue_bytes;
      if (util >= rules.hot_utilization && queueing) {
        if (run++ == 0) start = i;
        if (run > best) {
          best = run;
          best_start = start;
        }
      } else {
        run = 0;
      }
    }
    if (best < rules.hot_windows) continue;
    for (std::size_t i = best_start; i < best_start + best; ++i) {
      const double dt = tx->t_s[i] - tx->t_s[i - 1];
      busiest = std::max(busiest, dt > 0 ? delta(tx, i) / (dt * speed) : 0);
      marks += delta(p.metric[kEcn], i);
      drops += delta(p.metric[kDrops], i);
      if (p.metric[kQueue] && i < p.metric[kQueue]->value.size())
        peak_queue = std::max(peak_queue, p.metric[kQueue]->value[i]);
    }
    const bool to_host = is_host(p.to);
    hot.push_back({make_finding(to_host ? "incast" : "hot_spot", "port " + name,
                                fmt::format("{} windows from {:g} s: up to {:.0f}% busy, {:.0f} ECN marks, "
                                            "{:.0f} drops, queue up to {:.0f} B{}",
                                            best, tx->t_s[best_start - 1], 100 * busiest, marks, drops,
                                            peak_queue, to_host ? fmt::format(" towards host {}", p.to) : ""),
                                tx->t_s[best_start - 1], tx->t_s[best_start - 1 + rules.hot_windows],
                                drops > 0 ? "major" : "minor"),
                   &p, tx->t_s[best_start - 1 + best]});
  }
  // Congestion a fault explains is its symptom: on the slow link itself, or on the ports beside a link or
  // switch that is down or slow (towards the same group of peers, carrying the traffic it no longer
  // carries); congestion that starts while an incast is under way (the incast first: the root of a congestion
  // tree fills first) is the incast's.
  auto fold = [&](Finding& root, const Hot& h) {
    root.evidence +=
        fmt::format("; congestion it explains: {} from {:g} s", h.finding.location, h.finding.first_seen_s);
  };
  auto beside = [&](const Root& r, const Port& p) {
    if (r.b.empty())
      return p.from == r.a || p.to == r.a || stem(p.to) == stem(r.a) || stem(p.from) == stem(r.a);
    if ((p.from == r.a && p.to == r.b) || (p.from == r.b && p.to == r.a)) return true;
    return (p.from == r.a && stem(p.to) == stem(r.b)) || (p.from == r.b && stem(p.to) == stem(r.a)) ||
           (p.to == r.a && stem(p.from) == stem(r.b)) || (p.to == r.b && stem(p.from) == stem(r.a));
  };
  std::vector<bool> folded(hot.size(), false);
  for (std::size_t i = 0; i < hot.size(); ++i)
    for (const auto& r : roots)
      if (!folded[i] && beside(r, *hot[i].port)) {
        fold(out.findings[r.finding], hot[i]);
        folded[i] = true;
      }
  for (std::size_t i = 0; i < hot.size(); ++i) {
    if (folded[i] || hot[i].finding.kind != "hot_spot") continue;
    for (auto& in : hot)
      if (&in != &hot[i] && in.finding.kind == "incast" &&
          in.finding.first_seen_s <= hot[i].finding.first_seen_s && hot[i].finding.first_seen_s <= in.end_s) {
        fold(in.finding, hot[i]);
        folded[i] = true;
        break;
      }
  }
  for (std::size_t i = 0; i < hot.size(); ++i)
    if (!folded[i]) {
      out.findings.push_back(hot[i].finding);
      out.findings.back().a = hot[i].port->from;
      out.findings.back().b = hot[i].port->to;
    }

  // 5. PFC storm: a port held paused with packets queued and nothing sent, window after window. The root
  // is a port towards a host (the NIC that keeps pausing it); paused ports towards switches in the same
  // time are the pause spreading up the tree.
  const int kPaused = column("aifabric_port_pfc_paused_seconds_total"),
            kPauseRx = column("aifabric_port_pfc_pause_received_total");
  struct Storm {
    const Port* port;
    double first, fired;
    double paused_since;  // the start of the unbroken pause the stuck windows belong to (often earlier:
                          // a NIC may pause its port before anything queues behind it)
  };
  std::vector<Storm> storms;
  for (const auto& [name, p] : ports) {
    const Series* paused = p.metric[kPaused];
    const Series* tx = p.metric[kTx];
    if (paused == nullptr || tx == nullptr || down.count(name)) continue;
    const double speed = value_at_end(p.metric[kSpeed]);
    std::size_t run = 0;
    for (std::size_t i = 1; i < paused->t_s.size() && i < tx->value.size(); ++i) {
      const double dt = paused->t_s[i] - paused->t_s[i - 1];
      const double queue =
          p.metric[kQueue] && i < p.metric[kQueue]->value.size() ? p.metric[kQueue]->value[i] : 0;
      const bool received =
          p.metric[kPauseRx] && i < p.metric[kPauseRx]->value.size() && p.metric[kPauseRx]->value[i] > 0;
      const bool stuck = dt > 0 &&
                         paused->value[i] - paused->value[i - 1] >= rules.storm_paused_fraction * dt &&
                         queue > 0 && received && tx->value[i] - tx->value[i - 1] < 0.01 * dt * speed;
      run = stuck ? run + 1 : 0;
      if (run == rules.storm_windows) {
        // Back from the first stuck window over the windows paused throughout; the pause began in the
        // window before them, as long before its end as that window was paused.
        std::size_t j = i - run;  // the sample that opens the first stuck window
        auto held = [&](std::size_t w) { return paused->value[w] - paused->value[w - 1]; };
        while (j >= 1 && paused->t_s[j] > paused->t_s[j - 1] &&
               held(j) >= rules.storm_paused_fraction * (paused->t_s[j] - paused->t_s[j - 1]))
          --j;
        const double since = j >= 1 ? paused->t_s[j] - std::max(0.0, held(j)) : paused->t_s[j];
        storms.push_back({&p, paused->t_s[i - run], paused->t_s[i], since});
        break;
      }
    }
  }
  std::vector<std::string> spread;
  for (const auto& st : storms)
    if (!is_host(st.port->to)) spread.push_back(fmt::format("{} from {:g} s", st.port->name, st.first));
  bool rooted = false;
  for (const auto& st : storms) {
    if (!is_host(st.port->to)) continue;
    rooted = true;
    std::string evidence = fmt::format(
        "{}: paused over {:.0f}% of {} windows in a row with packets queued and nothing sent; XOFF frames "
        "received, no XON; paused without a break from {:g} s, packets held from {:g} s",
        st.port->name, 100 * rules.storm_paused_fraction, rules.storm_windows, st.paused_since, st.first);
    if (!spread.empty()) {
      evidence += "; the pause spread to";
      for (const auto& s : spread) evidence += " " + s;
    }
    out.findings.push_back(
        make_finding("pfc_storm", "host " + st.port->to, evidence, st.paused_since, st.fired, "critical"));
    out.findings.back().a = st.port->to;
  }
  // 6. A slow NIC: a host that keeps pausing its switch port while the port still sends (a part of its
  // rate), window after window: the NIC drains below line rate. A host whose pauses stopped its port
  // altogether is a storm above, not also a slow NIC.
  std::set<std::string> stormed;
  for (const auto& st : storms) stormed.insert(st.port->to);
  for (const auto& [name, p] : ports) {
    const Series* paused = p.metric[kPaused];
    const Series* tx = p.metric[kTx];
    if (paused == nullptr || tx == nullptr || !is_host(p.to) || stormed.count(p.to) || down.count(name))
      continue;
    const double speed = value_at_end(p.metric[kSpeed]);
    if (!(speed > 0)) continue;
    // The rule holds at the first stretch of such windows; the NIC's rate is what the port sent over the
    // longest one.
    std::size_t run = 0, best = 0, best_end = 0, fired = 0;  // fired: the sample where the rule first holds
    for (std::size_t i = 1; i < paused->t_s.size() && i < tx->value.size(); ++i) {
      const double dt = paused->t_s[i] - paused->t_s[i - 1];
      const double util = dt > 0 ? (tx->value[i] - tx->value[i - 1]) / (dt * speed) : 0;
      const bool partly = dt > 0 &&
                          paused->value[i] - paused->value[i - 1] >= rules.slow_nic_paused_fraction * dt &&
                          util >= 0.01 && util < rules.hot_utilization;
      run = partly ? run + 1 : 0;
      if (run == rules.storm_windows && fired == 0) fired = i;
      if (run > best) {
        best = run;
        best_end = i;
      }
    }
    if (best < rules.storm_windows) continue;
    const std::size_t from = best_end - best;  // the sample that opens the stretch
    const double span = paused->t_s[best_end] - paused->t_s[from];
    const double sent = tx->value[best_end] - tx->value[from];
    const double held = paused->value[best_end] - paused->value[from];
    Finding f = make_finding(
        "nic_slow", "host " + p.to,
        fmt::format("{}: paused {:.0f}% of {} windows in a row by {}'s XOFF while sending {:.0f}% of its "
                    "{:g} Gbit/s: the NIC drains about {:.3g} Gbit/s",
                    name, 100 * held / span, best, p.to, 100 * sent / (span * speed), speed * 8 / 1e9,
                    sent * 8 / span / 1e9),
        paused->t_s[fired - rules.storm_windows], paused->t_s[fired], "major");
    f.a = p.to;
    f.b = p.from;
    f.rate_gbps = sent * 8 / span / 1e9;
    out.findings.push_back(std::move(f));
  }

  // Ports towards switches held paused with no storm at a host to root them: the pause spreading from a
  // slow NIC when there is one (listed in its evidence), else each a storm of its own.
  std::vector<std::size_t> slow_nics;
  for (std::size_t i = 0; i < out.findings.size(); ++i)
    if (out.findings[i].kind == "nic_slow") slow_nics.push_back(i);
  if (!rooted && !slow_nics.empty() && !spread.empty())
    for (std::size_t i : slow_nics) {
      out.findings[i].evidence += "; the pause spread to";
      for (const auto& sp : spread) out.findings[i].evidence += " " + sp;
    }
  for (const auto& st : storms)
    if (!rooted && slow_nics.empty() && !is_host(st.port->to)) {
      out.findings.push_back(make_finding(
          "pfc_storm", "port " + st.port->name,
          fmt::format("{}: paused over {:.0f}% of {} windows in a row with packets queued and nothing sent",
                      st.port->name, 100 * rules.storm_paused_fraction, rules.storm_windows),
          st.first, st.fired, "critical"));
      out.findings.back().a = st.port->from;
      out.findings.back().b = st.port->to;
    }

  // 7. ECMP imbalance: a switch's ports towards one group of peers loaded unevenly over the run.
  std::map<std::pair<std::string, std::string>, std::vector<const Port*>> ecmp;
  // Only a ToR's (a switch with hosts below) ports up are known to be one equal-cost group without the
  // topology; a spine's ports down lead to different leaves.
  std::set<std::string> tors;
  for (const auto& [name, p] : ports)
    if (is_host(p.from)) tors.insert(p.to);
  for (const auto& [name, p] : ports)
    if (tors.count(p.from) && !is_host(p.to) && p.metric[kTx] && !down.count(name))
      ecmp[{p.from, stem(p.to)}].push_back(&p);
  for (const auto& [key, list] : ecmp) {
    if (list.size() < 2) continue;
    std::vector<double> util;
    for (const Port* p : list) {
      const Series* tx = p->metric[kTx];
      const double span = tx->t_s.back() - tx->t_s.front();
      const double speed = value_at_end(p->metric[kSpeed]);
      util.push_back(span > 0 && speed > 0 ? (tx->value.back() - tx->value.front()) / (span * speed) : 0);
    }
    double mean = 0;
    for (double u : util) mean += u / static_cast<double>(util.size());
    const auto hottest = static_cast<std::size_t>(std::max_element(util.begin(), util.end()) - util.begin());
    if (mean < rules.imbalance_min_utilization || util[hottest] < rules.imbalance_ratio * mean) continue;
    out.findings.push_back(make_finding(
        "ecmp_imbalance", fmt::format("group {}->{}", key.first, key.second),
        fmt::format("{} at {:.0f}% busy, the group's {} members {:.0f}% on average", list[hottest]->name,
                    100 * util[hottest], list.size(), 100 * mean),
        list[hottest]->metric[kTx]->t_s.front(), list[hottest]->metric[kTx]->t_s.back(), "minor"));
  }

  std::stable_sort(out.findings.begin(), out.findings.end(), [](const Finding& a, const Finding& b) {
    if (severity_rank(a.severity) != severity_rank(b.severity))
      return severity_rank(a.severity) < severity_rank(b.severity);
    if (a.first_seen_s != b.first_seen_s) return a.first_seen_s < b.first_seen_s;
    return a.location < b.location;
  });
  return out;
}

std::string diagnosis_text(const Diagnosis& d) {
  std::string s =
      fmt::format("diagnose     {} ports, {} samples, every {:g} s: {} finding(s), {} data-quality note(s)\n",
                  d.ports, d.samples, d.window_s, d.findings.size(), d.quality.size());
  for (const auto& f : d.findings)
    s += fmt::format("{:<8} {:<14} {:<34} from {:g} s (rule fired at {:g} s): {}\n", f.severity, f.kind,
                     f.location, f.first_seen_s, f.detected_s, f.evidence);
  for (const auto& q : d.quality) s += fmt::format("data     {}: {} (at {:g} s)\n", q.where, q.what, q.t_s);
  if (d.findings.empty()) s += "healthy      no rule fired\n";
  return s;
}

std::string diagnosis_json(const Diagnosis& d) {
  nlohmann::ordered_json j;
  j["ports"] = d.ports;
  j["samples"] = d.samples;
  j["window_s"] = d.window_s;
  auto findings = nlohmann::ordered_json::array();
  for (const auto& f : d.findings) {
    findings.push_back({{"kind", f.kind},
                        {"location", f.location},
                        {"severity", f.severity},
                        {"first_seen_s", f.first_seen_s},
                        {"detected_s", f.detected_s},
                        {"evidence", f.evidence}});
    if (f.kind == "link_flap") {
      findings.back()["downs"] = f.downs;
      findings.back()["last_down_s"] = f.last_down_s;
      findings.back()["down_s"] = f.down_s;
    }
    if (f.kind == "lossy_link") {
      findings.back()["frame_error_ratio"] = f.frame_error_ratio;
      findings.back()["ber"] = f.ber;
    }
  }
  j["findings"] = findings;
  auto quality = nlohmann::ordered_json::array();
  for (const auto& q : d.quality) quality.push_back({{"what", q.what}, {"where", q.where}, {"t_s", q.t_s}});
  j["data_quality"] = quality;
  return j.dump(2) + "\n";
}

}  // namespace aifabric::ops
