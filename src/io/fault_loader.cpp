#include <fmt/format.h>

#include <algorithm>

#include "io/loaders.hpp"
#include "io/scenario_schemas.hpp"

namespace aifabric::io {

using core::InputError;

namespace {

// The keys each kind of fault takes besides `kind`.
const std::set<std::string>& keys_for(FaultKind k) {
  static const std::set<std::string> link = {"kind", "a", "b", "at_us", "up_at_us"},
                                     sw = {"kind", "node", "at_us", "up_at_us"},
                                     nic = {"kind", "node", "gpu", "at_us", "up_at_us"},
                                     flap = {"kind", "a", "b", "at_us", "down_us", "period_us", "count"},
                                     degraded = {"kind", "a", "b", "rate_gbps", "ber"},
                                     straggler = {"kind", "gpu", "server", "factor"},
                                     storm = {"kind", "gpu", "node", "at_us", "up_at_us"},
                                     slow_nic = {"kind", "gpu", "node", "rate_gbps", "at_us"};
  switch (k) {
    case FaultKind::kLinkDown:
      return link;
    case FaultKind::kSwitchDown:
      return sw;
    case FaultKind::kNicDown:
      return nic;
    case FaultKind::kLinkDegraded:
      return degraded;
    case FaultKind::kStraggler:
      return straggler;
    case FaultKind::kPfcStorm:
      return storm;
    case FaultKind::kLinkFlap:
      return flap;
    case FaultKind::kNicSlow:
      return slow_nic;
  }
  return link;
}

struct Parsed {
  FaultEntry entry;
  std::string field;
  const Node* node;
  // A link, switch or NIC fault at given times during the run (at_us), or a flap: the engine takes the
  // links down and up (apply_run_faults); the topology keeps them.
  bool timed() const {
    return entry.kind == FaultKind::kLinkFlap ||
           ((entry.kind == FaultKind::kLinkDown || entry.kind == FaultKind::kSwitchDown ||
             entry.kind == FaultKind::kNicDown) &&
            (*node)["at_us"]);
  }
};

std::vector<Parsed> parse_faults(const Node& faults, const ParseContext& ctx) {
  std::vector<Parsed> out;
  if (!faults) return out;
  if (!faults.is_sequence())
    throw InputError(ctx.at(faults, "faults"),
                     "expected a list of faults ({kind: link_down, a: ..., b: ...})");
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const std::string f = fmt::format("faults[{}]", i);
    require_map(faults[i], ctx, f);
    if (!faults[i]["kind"])
      throw InputError(
          ctx.at(faults[i], f + ".kind"),
          "missing; expected link_down, switch_down, nic_down, link_degraded, straggler, pfc_storm, "
          "link_flap or nic_slow");
    Parsed p{parse_with_defaults(fault_schema(), faults[i], ctx, f), f, &faults[i]};
    const auto& allowed = keys_for(p.entry.kind);
    const std::string kind = read_string(faults[i]["kind"], ctx, f + ".kind");
    for (const auto& key : keys_of(fault_schema().docs("")))
      if (faults[i][key] && allowed.count(key) == 0)
        throw InputError(ctx.at(faults[i][key], f + "." + key),
                         fmt::format("not a key of a {} fault (it takes {})", kind, [&] {
                           std::string k;
                           for (const auto& a : allowed)
                             if (a != "kind") k += (k.empty() ? "" : ", ") + a;
                           return k;
                         }()));
    if ((*p.node)["up_at_us"] && !(*p.node)["at_us"])
      throw InputError(ctx.at((*p.node)["up_at_us"], f + ".up_at_us"),
                       "needs at_us: a fault that comes back fails during the run (at_us: when)");
    out.push_back(std::move(p));
  }
  return out;
}

std::uint32_t named(const topo::TopologySpec& t, const Node& entry, const std::string& key,
                    const std::string& value, const ParseContext& ctx, const std::string& field) {
  if (value.empty()) throw InputError(ctx.at(entry, field + "." + key), "missing; expected a node name");
  for (std::uint32_t i = 0; i < t.nodes.size(); ++i)
    if (t.nodes[i].name == value) return i;
  throw InputError(ctx.at(entry[key], field + "." + key), fmt::format("no node named '{}'", value));
}

std::uint32_t host_index(const topo::TopologySpec& t, std::uint32_t node) {
  return static_cast<std::uint32_t>(std::find(t.hosts.begin(), t.hosts.end(), node) - t.hosts.begin());
}

// The first link between the fault's `a` and `b`, by index.
std::uint32_t link_between(const topo::TopologySpec& t, const Parsed& p, std::uint32_t& a, std::uint32_t& b,
                           const ParseContext& ctx) {
  a = named(t, *p.node, "a", p.entry.a, ctx, p.field);
  b = named(t, *p.node, "b", p.entry.b, ctx, p.field);
  auto it = std::find_if(t.links.begin(), t.links.end(), [&](const topo::LinkSpec& l) {
    return (l.a == a && l.b == b) || (l.a == b && l.b == a);
  });
  if (it == t.links.end())
    throw InputError(ctx.at(*p.node, p.field),
                     fmt::format("no link between '{}' and '{}'", t.nodes[a].name, t.nodes[b].name));
  return static_cast<std::uint32_t>(it - t.links.begin());
}

// The host (its index) a NIC fault names by `gpu` or by `node`; `switch_hint` says what to use when the
// node is a switch.
std::uint32_t fault_host(const topo::TopologySpec& t, const Parsed& p, const ParseContext& ctx,
                         const char* switch_hint) {
  const auto& e = p.entry;
  if ((e.gpu >= 0) == !e.node.empty())
    throw InputError(ctx.at(*p.node, p.field), "expected the host: one of gpu or node");
  if (e.gpu >= 0) {
    if (static_cast<std::size_t>(e.gpu) >= t.hosts.size())
      throw InputError(ctx.at((*p.node)["gpu"], p.field + ".gpu"),
                       fmt::format("the topology has {} hosts, got {}", t.hosts.size(), e.gpu));
    return static_cast<std::uint32_t>(e.gpu);
  }
  const std::uint32_t n = named(t, *p.node, "node", e.node, ctx, p.field);
  if (t.nodes[n].kind != topo::NodeKind::kHost)
    throw InputError(ctx.at((*p.node)["node"], p.field + ".node"),
                     fmt::format("'{}' is a switch; expected a host ({})", e.node, switch_hint));
  return host_index(t, n);
}

}  // namespace

void apply_topology_faults(const Node& faults, topo::TopologySpec& t, std::vector<std::string>& applied,
                           const ParseContext& ctx) {
  std::vector<std::uint32_t> down;
  auto take_down = [&](std::uint32_t node) { down.push_back(host_index(t, node)); };
  for (const auto& p : parse_faults(faults, ctx)) {
    const auto& e = p.entry;
    if (p.timed()) continue;
    switch (e.kind) {
      case FaultKind::kLinkDown: {
        std::uint32_t a = 0, b = 0;
        topo::LinkSpec& l = t.links[link_between(t, p, a, b, ctx)];
        // A host's only link down is its NIC's: the host goes out of service and keeps the link.
        const bool host_link =
            t.nodes[a].kind == topo::NodeKind::kHost || t.nodes[b].kind == topo::NodeKind::kHost;
        applied.push_back(fmt::format("link_down {}-{}{}", t.nodes[a].name, t.nodes[b].name,
                                      host_link ? " (its host out of service)" : ""));
        if (host_link) {
          take_down(t.nodes[a].kind == topo::NodeKind::kHost ? a : b);
        } else {
          t.failed_links.push_back(l);
          t.links.erase(t.links.begin() + (&l - t.links.data()));
          t.layered = false;
        }
        break;
      }
      case FaultKind::kSwitchDown: {
        const std::uint32_t s = named(t, *p.node, "node", e.node, ctx, p.field);
        if (t.nodes[s].kind != topo::NodeKind::kSwitch)
          throw InputError(ctx.at((*p.node)["node"], p.field + ".node"),
                           fmt::format("'{}' is a host; a failed NIC is a nic_down fault", e.node));
        std::size_t removed = 0, hosts = 0;
        std::vector<topo::LinkSpec> kept;
        for (const auto& l : t.links) {
          const bool touches = l.a == s || l.b == s;
          const std::uint32_t other = l.a == s ? l.b : l.a;
          if (touches && t.nodes[other].kind == topo::NodeKind::kHost) {
            take_down(other);
            ++hosts;
          }
          if (touches && t.nodes[other].kind == topo::NodeKind::kSwitch) {
            ++removed;
            t.failed_links.push_back(l);
          } else {
            kept.push_back(l);
          }
        }
        t.links = std::move(kept);
        t.layered = false;
        applied.push_back(fmt::format("switch_down {} ({} switch links{})", e.node, removed,
                                      hosts ? fmt::format(", {} hosts out of service", hosts) : ""));
        break;
      }
      case FaultKind::kNicDown: {
        const std::uint32_t n = t.hosts[fault_host(t, p, ctx, "a failed switch is switch_down")];
        take_down(n);
        applied.push_back(fmt::format("nic_down {}", t.nodes[n].name));
        break;
      }
      case FaultKind::kLinkDegraded: {
        std::uint32_t a = 0, b = 0;
        topo::LinkSpec& l = t.links[link_between(t, p, a, b, ctx)];
        const bool slower = static_cast<bool>((*p.node)["rate_gbps"]),
                   lossy = static_cast<bool>((*p.node)["ber"]);
        if (!slower && !lossy)
          throw InputError(ctx.at(*p.node, p.field + ".rate_gbps"),
                           "missing; expected the degraded rate (rate_gbps) or a bit error rate (ber)");
        if (slower && !(e.rate_gbps >= 0.001 && e.rate_gbps < l.params.rate_gbps))
          throw InputError(ctx.at((*p.node)["rate_gbps"], p.field + ".rate_gbps"),
                           fmt::format("expected a rate in [0.001, {}) Gbit/s, below the link's line rate, "
                                       "got {}",
                                       l.params.rate_gbps, e.rate_gbps));
        if (slower) {
          applied.push_back(fmt::format("link_degraded {}-{} {} -> {} Gbit/s", t.nodes[a].name,
                                        t.nodes[b].name, l.params.rate_gbps, e.rate_gbps));
          l.params.rate_gbps = e.rate_gbps;
        }
        if (lossy && !(e.ber > 0))
          throw InputError(ctx.at((*p.node)["ber"], p.field + ".ber"),
                           fmt::format("expected a bit error rate in (0, 0.001], got {}", e.ber));
        if (lossy) {
          applied.push_back(fmt::format("link_degraded {}-{} bit error rate {:g}", t.nodes[a].name,
                                        t.nodes[b].name, e.ber));
          l.params.ber = e.ber;
        }
        break;
      }
      case FaultKind::kStraggler:
      case FaultKind::kPfcStorm:
      case FaultKind::kLinkFlap:
      case FaultKind::kNicSlow:
        break;  // apply_run_faults, once the fabric and the cluster are known
    }
  }
  std::sort(down.begin(), down.end());
  down.erase(std::unique(down.begin(), down.end()), down.end());
  t.down_hosts = std::move(down);
  const auto cut = topo::cut_off_hosts(t);
  if (!cut.empty()) {
    applied.push_back(fmt::format("{} hosts cut off from the fabric (first: {}), out of service", cut.size(),
                                  t.nodes[t.hosts[cut.front()]].name));
    t.down_hosts.insert(t.down_hosts.end(), cut.begin(), cut.end());
    std::sort(t.down_hosts.begin(), t.down_hosts.end());
  }
}

namespace {

// A time of a timed fault, in ps: before the run's stop time.
core::TimePs fault_time(const Parsed& p, const char* key, double us, const api::Scenario& sc,
                        const ParseContext& ctx) {
  const auto at = static_cast<core::TimePs>(us * 1e6 + 0.5);
  if (sc.run.stop_ps > 0 && at >= sc.run.stop_ps)
    throw InputError(ctx.at((*p.node)[key], p.field + "." + key),
                     fmt::format("{} us is at or after the run's stop_time_us ({} us)", us,
                                 core::ps_to_us(sc.run.stop_ps)));
  return at;
}

// The links a timed link, switch or NIC fault takes down, by index into the final topology.
std::vector<std::uint32_t> timed_links(const topo::TopologySpec& t, const Parsed& p, const ParseContext& ctx,
                                       std::string& what) {
  const auto& e = p.entry;
  std::vector<std::uint32_t> links;
  auto touching = [&](std::uint32_t node) {
    for (std::uint32_t i = 0; i < t.links.size(); ++i)
      if (t.links[i].a == node || t.links[i].b == node) links.push_back(i);
  };
  if (e.kind == FaultKind::kLinkDown || e.kind == FaultKind::kLinkFlap) {
    std::uint32_t a = 0, b = 0;
    links.push_back(link_between(t, p, a, b, ctx));
    what = t.nodes[a].name + "-" + t.nodes[b].name;
  } else if (e.kind == FaultKind::kSwitchDown) {
    const std::uint32_t s = named(t, *p.node, "node", e.node, ctx, p.field);
    if (t.nodes[s].kind != topo::NodeKind::kSwitch)
      throw InputError(ctx.at((*p.node)["node"], p.field + ".node"),
                       fmt::format("'{}' is a host; a failed NIC is a nic_down fault", e.node));
    touching(s);
    what = fmt::format("{} ({} links)", e.node, links.size());
  } else {
    const std::uint32_t n = t.hosts[fault_host(t, p, ctx, "a failed switch is switch_down")];
    touching(n);
    what = t.nodes[n].name;
  }
  return links;
}

}  // namespace

void apply_run_faults(const Node& faults, api::Scenario& sc, const ParseContext& ctx) {
  auto& events = sc.run.link_events;
  for (const auto& p : parse_faults(faults, ctx)) {
    const auto& e = p.entry;
    if (p.timed()) {
      std::string what;
      const auto links = timed_links(sc.topology, p, ctx, what);
      const core::TimePs at = fault_time(p, "at_us", e.at_us, sc, ctx);
      const char* name = e.kind == FaultKind::kLinkDown     ? "link_down"
                         : e.kind == FaultKind::kSwitchDown ? "switch_down"
                         : e.kind == FaultKind::kNicDown    ? "nic_down"
                                                            : "link_flap";
      if (e.kind == FaultKind::kLinkFlap) {
        auto ps = [](double us) { return static_cast<core::TimePs>(us * 1e6 + 0.5); };
        if (!(*p.node)["down_us"] || !(ps(e.down_us) > 0))
          throw InputError(
              ctx.at((*p.node)["down_us"] ? (*p.node)["down_us"] : *p.node, p.field + ".down_us"),
              "expected how long each down lasts, above 0 us");
        if (!(*p.node)["period_us"] || !(ps(e.period_us) > ps(e.down_us)))
          throw InputError(
              ctx.at((*p.node)["period_us"] ? (*p.node)["period_us"] : *p.node, p.field + ".period_us"),
              fmt::format("expected the time from one down to the next, longer than down_us ({} us)",
                          e.down_us));
        for (std::int64_t k = 0; k < e.count; ++k) {
          const double down = e.at_us + static_cast<double>(k) * e.period_us;
          const core::TimePs down_ps = ps(down), up_ps = ps(down + e.down_us);
          if (sc.run.stop_ps > 0 && down_ps >= sc.run.stop_ps) break;
          events.push_back({links.front(), down_ps, false});
          events.push_back({links.front(), up_ps, true});
        }
        sc.faults.applied.push_back(fmt::format("link_flap {}: {} x {} us down every {} us from {} us", what,
                                                e.count, e.down_us, e.period_us, e.at_us));
        continue;
      }
      const bool back = static_cast<bool>((*p.node)["up_at_us"]);
      if (back && !(static_cast<core::TimePs>(e.up_at_us * 1e6 + 0.5) > at))
        throw InputError(ctx.at((*p.node)["up_at_us"], p.field + ".up_at_us"),
                         fmt::format("expected a time after at_us ({} us), got {}", e.at_us, e.up_at_us));
      const core::TimePs up = back ? fault_time(p, "up_at_us", e.up_at_us, sc, ctx) : 0;
      for (auto l : links) {
        events.push_back({l, at, false});
        if (back) events.push_back({l, up, true});
      }
      sc.faults.applied.push_back(
          back ? fmt::format("{} {} from {} us to {} us", name, what, e.at_us, e.up_at_us)
               : fmt::format("{} {} from {} us", name, what, e.at_us));
      continue;
    }
    if (e.kind == FaultKind::kPfcStorm) {
      if (!(sc.fabric.kind == net::FabricKind::kRoce && sc.fabric.pfc.enabled))
        throw InputError(ctx.at((*p.node)["kind"], p.field + ".kind"),
                         "a PFC storm needs a lossless RoCE fabric (fabric.kind roce with PFC on)");
      const auto& t = sc.topology;
      const std::uint32_t host = fault_host(t, p, ctx, "a PFC storm comes from a host's NIC");
      for (const auto& other : sc.run.pfc_storms)
        if (other.host == host)
          throw InputError(ctx.at(*p.node, p.field), fmt::format("{} already storms (one pfc_storm per host)",
                                                                 t.nodes[t.hosts[host]].name));
      const core::TimePs at = fault_time(p, "at_us", e.at_us, sc, ctx);
      const bool ends = static_cast<bool>((*p.node)["up_at_us"]);
      const core::TimePs end = ends ? fault_time(p, "up_at_us", e.up_at_us, sc, ctx) : 0;
      if (ends && !(end > at))
        throw InputError(ctx.at((*p.node)["up_at_us"], p.field + ".up_at_us"),
                         fmt::format("expected a time after at_us ({} us), got {} us", e.at_us, e.up_at_us));
      sc.run.pfc_storms.push_back({host, at, end});
      sc.faults.applied.push_back(
          ends ? fmt::format("pfc_storm {} from {} us to {} us", t.nodes[t.hosts[host]].name, e.at_us,
                             e.up_at_us)
               : fmt::format("pfc_storm {} from {} us", t.nodes[t.hosts[host]].name, e.at_us));
      continue;
    }
    if (e.kind == FaultKind::kNicSlow) {
      if (!sc.fabric.lossless())
        throw InputError(ctx.at((*p.node)["kind"], p.field + ".kind"),
                         "a slow NIC is modelled on lossless fabrics (fabric.kind roce with PFC on, or "
                         "infiniband), where it holds its switch port back; on a lossy fabric it would drop");
      const auto& t = sc.topology;
      const std::uint32_t host = fault_host(t, p, ctx, "a slow switch port is a link_degraded fault");
      double line_gbps = 0;
      for (const auto& l : t.links)
        if (l.a == t.hosts[host] || l.b == t.hosts[host]) line_gbps = std::max(line_gbps, l.params.rate_gbps);
      if (!(*p.node)["rate_gbps"])
        throw InputError(ctx.at(*p.node, p.field + ".rate_gbps"),
                         "missing; expected the rate the NIC drains at (Gbit/s, below its line rate)");
      // At least 0.1 Gbit/s: a 4 KB frame drains in 0.33 ms, well inside the engine's 10 ms stall watch.
      if (!(e.rate_gbps >= 0.1 && e.rate_gbps < line_gbps))
        throw InputError(ctx.at((*p.node)["rate_gbps"], p.field + ".rate_gbps"),
                         fmt::format("expected a rate in [0.1, {}) Gbit/s, below the NIC's line rate, got {}",
                                     line_gbps, e.rate_gbps));
      for (const auto& other : sc.run.slow_nics)
        if (other.host == host)
          throw InputError(
              ctx.at(*p.node, p.field),
              fmt::format("{} is already a slow NIC (one nic_slow per host)", t.nodes[t.hosts[host]].name));
      const core::TimePs at = (*p.node)["at_us"] ? fault_time(p, "at_us", e.at_us, sc, ctx) : 0;
      sc.run.slow_nics.push_back({host, at, static_cast<std::uint64_t>(e.rate_gbps * 1e9 + 0.5)});
      sc.faults.applied.push_back(fmt::format("nic_slow {} drains at {} of {} Gbit/s from {} us",
                                              t.nodes[t.hosts[host]].name, e.rate_gbps, line_gbps,
                                              core::ps_to_us(at)));
      continue;
    }
    if (e.kind != FaultKind::kStraggler) continue;
    if (sc.cluster.gpus == 0)
      throw InputError(ctx.at(*p.node, p.field), "a straggler needs GPUs: the scenario has no cluster");
    if ((e.gpu >= 0) == (e.server >= 0))
      throw InputError(ctx.at(*p.node, p.field), "expected one of gpu or server");
    if (!(*p.node)["factor"])
      throw InputError(ctx.at(*p.node, p.field + ".factor"),
                       "missing; expected how many times longer compute takes (> 1)");
    const std::uint32_t per = e.gpu >= 0 ? 1 : sc.cluster.gpus_per_server;
    const std::int64_t first = e.gpu >= 0 ? e.gpu : e.server * static_cast<std::int64_t>(per);
    if (first + per > static_cast<std::int64_t>(sc.cluster.gpus))
      throw InputError(ctx.at(e.gpu >= 0 ? (*p.node)["gpu"] : (*p.node)["server"],
                              p.field + (e.gpu >= 0 ? ".gpu" : ".server")),
                       e.gpu >= 0 ? fmt::format("the cluster has {} GPUs, got {}", sc.cluster.gpus, e.gpu)
                                  : fmt::format("the cluster has {} servers, got {}",
                                                sc.cluster.gpus / sc.cluster.gpus_per_server, e.server));
    auto& f = sc.faults.compute_factor;
    if (f.empty()) f.assign(sc.cluster.gpus, 1.0);
    for (std::uint32_t g = 0; g < per; ++g) f[static_cast<std::size_t>(first) + g] *= e.factor;
    sc.faults.applied.push_back(e.gpu >= 0 ? fmt::format("straggler gpu {} x{}", e.gpu, e.factor)
                                           : fmt::format("straggler server {} x{}", e.server, e.factor));
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const net::RunOptions::LinkEvent& a, const net::RunOptions::LinkEvent& b) {
                     return a.at_ps < b.at_ps;
                   });
}

}  // namespace aifabric::io
