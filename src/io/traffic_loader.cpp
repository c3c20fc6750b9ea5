#include <fmt/format.h>

#include <charconv>
#include <map>

#include "io/loaders.hpp"
#include "io/scenario_schemas.hpp"
#include "workload/traffic.hpp"

namespace aifabric::io {

using core::InputError;

namespace {

// The latest start time a flow may have: the largest stop time (topology-independent, far below the
// picosecond clock's 2^63).
constexpr core::TimePs kMaxStartPs = 1'000'000'000'000'000'000;

std::uint32_t host_ref(const Node& n, const topo::TopologySpec& t, const ParseContext& ctx,
                       const std::string& field) {
  if (!n) throw InputError(ctx.at(n, field), "missing; expected a host index or name");
  if (!n.is_scalar()) throw InputError(ctx.at(n, field), "expected a host index or name");
  const std::string& text = n.text();
  const bool index = !text.empty() && text.find_first_not_of("-0123456789") == std::string::npos;
  if (index) {
    std::int64_t idx = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), idx);
    if (ec != std::errc() || end != text.data() + text.size() || idx < 0 ||
        idx >= static_cast<std::int64_t>(t.hosts.size()))
      throw InputError(ctx.at(n, field),
                       fmt::format("host index must be in [0, {}), got {}", t.hosts.size(), text));
    return static_cast<std::uint32_t>(idx);
  }
  for (std::uint32_t h = 0; h < t.hosts.size(); ++h)
    if (t.nodes[t.hosts[h]].name == n.text()) return h;
  throw InputError(ctx.at(n, field), fmt::format("no host named '{}'", n.text()));
}

}  // namespace

std::vector<backend::FlowSpec> load_traffic(const Node& node, const topo::TopologySpec& topology,
                                            std::uint64_t seed, const ParseContext& ctx, SizeBudget& budget) {
  if (!node) throw InputError(ctx.at(node, "traffic"), "missing; expected a list of traffic generators");
  if (!node.is_sequence()) throw InputError(ctx.at(node, "traffic"), "expected a list of traffic generators");
  const auto n_hosts = static_cast<std::uint32_t>(topology.hosts.size());
  std::vector<backend::FlowSpec> flows;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const Node& g = node[i];
    const std::string f = fmt::format("traffic[{}]", i);
    require_map(g, ctx, f);
    if (!g["kind"])
      throw InputError(
          ctx.at(g, f + ".kind"),
          "missing; expected one of flows, permutation, incast, all_to_all, poisson, checkpoint");
    const std::string kind = read_string(g["kind"], ctx, f + ".kind");
    static const std::map<std::string, std::set<std::string>> kAllowed = {
        {"flows", {"kind", "flows"}},
        {"permutation", {"kind", "size_bytes", "start_us", "first_host", "host_count", "site"}},
        {"incast", {"kind", "size_bytes", "start_us", "receiver", "senders"}},
        {"all_to_all", {"kind", "size_bytes", "start_us", "first_host", "host_count", "site"}},
        {"poisson",
         {"kind", "size_bytes", "size_cdf", "start_us", "first_host", "host_count", "load", "duration_us",
          "site"}},
        {"checkpoint",
         {"kind", "size_bytes", "start_us", "first_host", "host_count", "storage_first_host", "storage_hosts",
          "interval_us", "repeat", "direction", "site", "storage_site"}}};
    const auto allowed = kAllowed.find(kind);
    if (allowed == kAllowed.end())
      throw InputError(
          ctx.at(g["kind"], f + ".kind"),
          "expected one of flows, permutation, incast, all_to_all, poisson, checkpoint, got '" + kind + "'");
    reject_unknown_keys(g, allowed->second, ctx, f);
    const TrafficEntry e =
        parse_with_defaults(traffic_schema(), g, ctx, f, nullptr, {"flows", "receiver", "size_cdf"});
    // The hosts the entry draws from: the topology's, or one site's.
    std::uint32_t base = 0, limit = n_hosts;
    std::string within = fmt::format("the topology's {} hosts", n_hosts);
    if (g["site"]) {
      const auto& site = topology.sites[site_named(g["site"], topology, ctx, f + ".site")];
      base = site.first_host;
      limit = site.first_host + site.hosts;
      within = fmt::format("the hosts [{}, {}) of site '{}'", base, limit, site.name);
    }
    const std::uint64_t from = static_cast<std::uint64_t>(base) + e.first_host;
    workload::HostRange range{
        static_cast<std::uint32_t>(std::min<std::uint64_t>(from, limit)),
        e.host_count == 0 && from < limit ? limit - static_cast<std::uint32_t>(from) : e.host_count};
    if (from + range.count > limit || from >= limit)
      throw InputError(ctx.at(g, f + ".host_count"),
                       fmt::format("hosts [{}, {}) exceed {}", from, from + range.count, within));
    core::Rng rng(seed, core::hash_combine(3, i));
    std::vector<backend::FlowSpec> add;
    if (kind == "flows") {
      const Node& list = g["flows"];
      if (list.is_sequence()) budget.add_flows(double(list.size()), ctx.at(list, f + ".flows"));
      if (!list || !list.is_sequence() || list.size() == 0)
        throw InputError(ctx.at(g, f + ".flows"),
                         "expected a non-empty list of {src, dst, size_bytes, start_us}");
      for (std::size_t j = 0; j < list.size(); ++j) {
        const std::string ff = fmt::format("{}.flows[{}]", f, j);
        require_map(list[j], ctx, ff);
        reject_unknown_keys(list[j], {"src", "dst", "size_bytes", "start_us"}, ctx, ff);
        backend::FlowSpec fs;
        fs.src = host_ref(list[j]["src"], topology, ctx, ff + ".src");
        fs.dst = host_ref(list[j]["dst"], topology, ctx, ff + ".dst");
        if (fs.src == fs.dst)
          throw InputError(ctx.at(list[j]["dst"], ff + ".dst"), "a flow needs two different hosts");
        if (!list[j]["size_bytes"])
          throw InputError(ctx.at(list[j], ff + ".size_bytes"), "missing; expected a byte count >= 1");
        fs.size_bytes = read_bytes(list[j]["size_bytes"], ctx, ff + ".size_bytes");
        if (fs.size_bytes == 0)
          throw InputError(ctx.at(list[j]["size_bytes"], ff + ".size_bytes"),
                           "expected a byte count >= 1, got 0");
        if (list[j]["start_us"]) {
          const double us = read_real(list[j]["start_us"], ctx, ff + ".start_us");
          if (us < 0 || us > core::ps_to_us(kMaxStartPs))
            throw InputError(ctx.at(list[j]["start_us"], ff + ".start_us"),
                             fmt::format("expected a time in [0, {}] us", core::ps_to_us(kMaxStartPs)));
          fs.start_ps = core::us_to_ps(us);
        }
        add.push_back(fs);
      }
    } else {
      if (range.count < 2)
        throw InputError(ctx.at(g, f + ".host_count"),
                         fmt::format("needs at least 2 hosts, got {}", range.count));
      if (kind == "checkpoint") {
        // Every host of the range writes size_bytes to (or reads them from) a storage host, round robin,
        // `repeat` times.
        // storage_first_host counts from the site of the storage (storage_site, else site, else the whole
        // fabric); 0 = the first host after the writers.
        std::uint64_t first_storage =
            e.storage_first_host != 0 ? base + e.storage_first_host : range.first + range.count;
        std::uint32_t storage_limit = limit;
        std::string storage_within = within;
        if (g["storage_site"]) {
          const auto& site =
              topology.sites[site_named(g["storage_site"], topology, ctx, f + ".storage_site")];
          first_storage = static_cast<std::uint64_t>(site.first_host) + e.storage_first_host;
          storage_limit = site.first_host + site.hosts;
          storage_within =
              fmt::format("the hosts [{}, {}) of site '{}'", site.first_host, storage_limit, site.name);
        }
        if (first_storage + e.storage_hosts > storage_limit)
          throw InputError(ctx.at(g, f + ".storage_hosts"),
                           fmt::format("storage hosts [{}, {}) exceed {}", first_storage,
                                       first_storage + e.storage_hosts, storage_within));
        if (first_storage < static_cast<std::uint64_t>(range.first) + range.count &&
            first_storage + e.storage_hosts > range.first)
          throw InputError(
              ctx.at(g, f + ".storage_first_host"),
              fmt::format("storage hosts [{}, {}) overlap the writers [{}, {}): a host would copy to "
                          "itself",
                          first_storage, first_storage + e.storage_hosts, range.first,
                          static_cast<std::uint64_t>(range.first) + range.count));
        if (e.interval_ps > 0 && (e.repeat - 1) > (kMaxStartPs - e.start_ps) / e.interval_ps)
          throw InputError(
              ctx.at(g, f + ".repeat"),
              fmt::format("start_us + (repeat - 1) x interval_us must be at most {} us (the "
                          "clock's range), got {} x {} us",
                          core::ps_to_us(kMaxStartPs), e.repeat - 1, core::ps_to_us(e.interval_ps)));
        budget.add_flows(double(e.repeat) * range.count, ctx.at(g, f + ".repeat"));
        add = workload::checkpoint(range, {static_cast<std::uint32_t>(first_storage), e.storage_hosts},
                                   e.size_bytes, e.start_ps, e.interval_ps, e.repeat, e.read);
      } else if (kind == "permutation") {
        budget.add_flows(range.count, ctx.at(g, f + ".host_count"));
        add = workload::permutation(range, e.size_bytes, e.start_ps, rng);
      } else if (kind == "incast") {
        const std::uint32_t receiver =
            g["receiver"] ? host_ref(g["receiver"], topology, ctx, f + ".receiver") : 0;
        if (e.senders >= n_hosts)
          throw InputError(ctx.at(g["senders"], f + ".senders"),
                           fmt::format("expected at most {} senders (hosts other than the receiver), got {}",
                                       n_hosts - 1, e.senders));
        add = workload::incast({0, n_hosts}, receiver, e.senders, e.size_bytes, e.start_ps);
      } else if (kind == "all_to_all") {
        budget.add_flows(double(range.count) * (range.count - 1), ctx.at(g, f + ".host_count"));
        add = workload::all_to_all(range, e.size_bytes, e.start_ps);
      } else {
        std::vector<workload::CdfPoint> cdf;
        if (const Node& c = g["size_cdf"]) {
          if (!c.is_sequence() || c.size() == 0)
            throw InputError(ctx.at(c, f + ".size_cdf"), "expected a list of [size_bytes, cdf] pairs");
          for (std::size_t j = 0; j < c.size(); ++j) {
            const std::string cf = fmt::format("{}.size_cdf[{}]", f, j);
            if (!c[j].is_sequence() || c[j].size() != 2)
              throw InputError(ctx.at(c[j], cf), "expected a pair [size_bytes, cdf]");
            const workload::CdfPoint pt{read_real(c[j][0], ctx, cf + "[0]"),
                                        read_real(c[j][1], ctx, cf + "[1]")};
            if (pt.size_bytes < 1 || pt.cdf < 0 || pt.cdf > 1 ||
                (!cdf.empty() && (pt.size_bytes < cdf.back().size_bytes || pt.cdf < cdf.back().cdf)))
              throw InputError(ctx.at(c[j], cf),
                               "expected sizes >= 1 and cdf in [0, 1], both non-decreasing");
            cdf.push_back(pt);
          }
          if (cdf.back().cdf != 1.0)
            throw InputError(ctx.at(c, f + ".size_cdf"), "the last point's cdf must be 1");
        } else {
          cdf = {{static_cast<double>(e.size_bytes), 1.0}};
        }
        const auto& host_link = topology.links.front();  // every host link: validated to exist
        double rate = host_link.params.rate_gbps;
        for (const auto& l : topology.links)
          if (topology.nodes[l.a].kind == topo::NodeKind::kHost ||
              topology.nodes[l.b].kind == topo::NodeKind::kHost) {
            rate = l.params.rate_gbps;
            break;
          }
        // Flows expected over the window: the range's offered bytes over the mean flow size.
        budget.add_flows(range.count * e.load * rate * 1e9 / 8.0 * core::ps_to_sec(e.duration_ps) /
                             workload::cdf_mean_bytes(cdf),
                         ctx.at(g, f + ".duration_us"));
        add = workload::poisson(range, e.load, rate, cdf, e.start_ps, e.duration_ps, rng);
      }
    }
    flows.insert(flows.end(), add.begin(), add.end());
  }
  if (flows.empty()) throw InputError(ctx.at(node, "traffic"), "the generators produced no flows");
  return flows;
}

}  // namespace aifabric::io
