#include <fmt/format.h>

#include <algorithm>

#include "io/loaders.hpp"
#include "io/scenario_schemas.hpp"
#include "topo/builders.hpp"
#include "topo/sites.hpp"

namespace aifabric::io {

using core::InputError;

namespace {

topo::TierParams tier_params(const Node& tiers, const std::string& name, const topo::LinkParams& link,
                             const topo::SwitchParams& sw, const ParseContext& ctx, const std::string& at) {
  topo::TierParams t{link, sw};
  if (!tiers || !tiers[name]) return t;
  const Node& n = tiers[name];
  const std::string prefix = at + ".tiers." + name;
  link_schema().parse(n, t.link, ctx, prefix, keys_of(switch_schema().docs("")));
  switch_schema().parse(n, t.sw, ctx, prefix, keys_of(link_schema().docs("")));
  return t;
}

std::uint32_t node_index(const topo::TopologySpec& t, const std::string& name, const Node& n,
                         const ParseContext& ctx, const std::string& field) {
  for (std::uint32_t i = 0; i < t.nodes.size(); ++i)
    if (t.nodes[i].name == name) return i;
  throw InputError(ctx.at(n, field), fmt::format("no node named '{}'", name));
}

topo::TopologySpec load_explicit(const Node& node, const topo::LinkParams& link, const topo::SwitchParams& sw,
                                 const ParseContext& ctx, const std::string& at) {
  topo::TopologySpec t;
  t.kind = "explicit";
  const Node &nodes = node["nodes"], links = node["links"];
  if (!nodes || !nodes.is_sequence())
    throw InputError(ctx.at(node, at + ".nodes"), "expected a list of {name, kind} entries");
  if (!links || !links.is_sequence())
    throw InputError(ctx.at(node, at + ".links"), "expected a list of {a, b} entries");
  const auto switch_keys = keys_of(switch_schema().docs(""));
  const auto node_keys = keys_of(node_schema().docs(""));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string f = fmt::format("{}.nodes[{}]", at, i);
    const NodeEntry e = parse_with_defaults(node_schema(), nodes[i], ctx, f, nullptr, switch_keys);
    if (e.kind != "host" && e.kind != "switch")
      throw InputError(ctx.at(nodes[i]["kind"], f + ".kind"),
                       "expected host or switch, got '" + e.kind + "'");
    if (e.name.empty()) throw InputError(ctx.at(nodes[i], f + ".name"), "every node needs a name");
    topo::SwitchParams s = sw;
    switch_schema().parse(nodes[i], s, ctx, f, node_keys);
    t.add_node(e.name, e.kind == "host" ? topo::NodeKind::kHost : topo::NodeKind::kSwitch,
               e.kind == "host" ? "host" : "switch", s);
  }
  const auto link_keys = keys_of(link_schema().docs(""));
  const auto end_keys = keys_of(link_entry_schema().docs(""));
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string f = fmt::format("{}.links[{}]", at, i);
    const LinkEntry e = parse_with_defaults(link_entry_schema(), links[i], ctx, f, nullptr, link_keys);
    topo::LinkParams p = link;
    link_schema().parse(links[i], p, ctx, f, end_keys);
    t.add_link(node_index(t, e.a, links[i]["a"], ctx, f + ".a"),
               node_index(t, e.b, links[i]["b"], ctx, f + ".b"), p, "explicit", f);
  }
  return t;
}

void apply_failures(const Node& node, topo::TopologySpec& t, const ParseContext& ctx, const std::string& at) {
  if (!node.is_sequence())
    throw InputError(ctx.at(node, at + ".failed_links"), "expected a list of {a, b} node-name pairs");
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string f = fmt::format("{}.failed_links[{}]", at, i);
    require_map(node[i], ctx, f);
    reject_unknown_keys(node[i], {"a", "b"}, ctx, f);
    const std::uint32_t a =
        node_index(t, read_string(node[i]["a"], ctx, f + ".a"), node[i]["a"], ctx, f + ".a");
    const std::uint32_t b =
        node_index(t, read_string(node[i]["b"], ctx, f + ".b"), node[i]["b"], ctx, f + ".b");
    auto it = std::find_if(t.links.begin(), t.links.end(), [&](const topo::LinkSpec& l) {
      return (l.a == a && l.b == b) || (l.a == b && l.b == a);
    });
    if (it == t.links.end())
      throw InputError(ctx.at(node[i], f),
                       fmt::format("no link between '{}' and '{}'", t.nodes[a].name, t.nodes[b].name));
    t.links.erase(it);
    t.layered = false;  // the builder's symmetry is gone: routes come from a search of the graph
  }
}

// Builders and validation know the field; the file and line are known here: the field's own line when it
// is a key of the section at `at`, else the section's. An error that has its file already is kept.
InputError located_in(const InputError& e, const Node& node, const ParseContext& ctx, const std::string& at) {
  core::Location w = e.where();
  if (!w.file.empty()) return e;
  w.file = ctx.file;
  const std::string head = at + ".";
  const std::string key = w.field.rfind(head, 0) == 0 ? w.field.substr(head.size()) : "";
  const Node here =
      key.find_first_of(".[") == std::string::npos && !key.empty() && node[key] ? node[key] : node;
  w.line = here.line();
  w.column = here.column();
  return InputError(w, e.expected());
}

// One fabric from a topology section (or a site's `fabric`) under field `at`, its failed links removed,
// not yet validated. Builders' and validation's errors get the file and line here.
// `inherited` holds the link and switch values its `link` and `switch` keys start from (a site's: the
// sites topology's), or null for the schemas' defaults.
topo::TopologySpec load_fabric(const Node& node, const ParseContext& ctx, SizeBudget& budget,
                               const std::string& at, const topo::TierParams* inherited = nullptr) {
  require_map(node, ctx, at);
  const std::string kinds = at == "topology" ? "leaf_spine, fat_tree, rail_optimized, explicit or sites"
                                             : "leaf_spine, fat_tree, rail_optimized or explicit";
  if (!node["kind"]) throw InputError(ctx.at(node, at + ".kind"), "missing; expected " + kinds);
  const std::string kind = read_string(node["kind"], ctx, at + ".kind");
  const std::set<std::string> common = {"kind", "link", "switch", "tiers", "failed_links"};
  topo::LinkParams link = parse_with_defaults(link_schema(), node["link"], ctx, at + ".link");
  topo::SwitchParams sw = parse_with_defaults(switch_schema(), node["switch"], ctx, at + ".switch");
  if (inherited) {
    link = inherited->link;
    sw = inherited->sw;
    if (node["link"]) link_schema().parse(node["link"], link, ctx, at + ".link");
    if (node["switch"]) switch_schema().parse(node["switch"], sw, ctx, at + ".switch");
  }
  const Node& tiers = node["tiers"];
  if (tiers) require_map(tiers, ctx, at + ".tiers");
  auto check_tiers = [&](const std::set<std::string>& names) {
    if (tiers) reject_unknown_keys(tiers, names, ctx, at + ".tiers");
  };
  auto with_common = [&](std::set<std::string> s) {
    s.insert(common.begin(), common.end());
    return s;
  };
  topo::TopologySpec spec;
  try {
    if (kind == "leaf_spine") {
      auto p = parse_with_defaults(leaf_spine_schema(), node, ctx, at, nullptr, common);
      check_tiers({"leaf", "spine"});
      p.leaf = tier_params(tiers, "leaf", link, sw, ctx, at);
      p.spine = tier_params(tiers, "spine", link, sw, ctx, at);
      // Host links and leaf uplinks.
      const double hosts = double(p.leaves) * p.hosts_per_leaf;
      budget.add_links(hosts + hosts / p.oversubscription, ctx.at(node, at + ".leaves"));
      spec = topo::build_leaf_spine(p, at);
    } else if (kind == "fat_tree") {
      auto p = parse_with_defaults(fat_tree_schema(), node, ctx, at, nullptr, common);
      check_tiers({"edge", "agg", "core"});
      p.edge = tier_params(tiers, "edge", link, sw, ctx, at);
      p.agg = tier_params(tiers, "agg", link, sw, ctx, at);
      p.core = tier_params(tiers, "core", link, sw, ctx, at);
      // k^3/4 links in each of the three tiers.
      budget.add_links(3.0 * p.k * p.k * p.k / 4, ctx.at(node["k"], at + ".k"));
      spec = topo::build_fat_tree(p, at);
    } else if (kind == "rail_optimized") {
      auto p = parse_with_defaults(rail_schema(), node, ctx, at, nullptr, common);
      check_tiers({"leaf", "spine", "core"});
      p.leaf = tier_params(tiers, "leaf", link, sw, ctx, at);
      p.spine = tier_params(tiers, "spine", link, sw, ctx, at);
      p.core = tier_params(tiers, "core", link, sw, ctx, at);
      if (at != "topology" && p.storage_nodes > 0)
        throw InputError(ctx.at(node["storage_nodes"], at + ".storage_nodes"),
                         "storage hosts inside a site are not modelled yet; expected 0");
      // GPU links, rail-leaf uplinks, the core tier's as many again, and the storage leaf's.
      const double gpus = double(p.scalable_units) * p.servers_per_unit * p.gpus_per_server;
      const double up = gpus / p.oversubscription;
      budget.add_links(gpus + up * (p.core_switches > 0 ? 2 : 1) + 2.0 * p.storage_nodes,
                       ctx.at(node, at + ".scalable_units"));
      spec = topo::build_rail_optimized(p, at);
    } else if (kind == "explicit") {
      reject_unknown_keys(node, with_common({"nodes", "links"}), ctx, at);
      if (tiers)
        throw InputError(ctx.at(tiers, at + ".tiers"),
                         "explicit topologies set parameters per node and link");
      if (node["links"].is_sequence())
        budget.add_links(double(node["links"].size()), ctx.at(node["links"], at + ".links"));
      spec = load_explicit(node, link, sw, ctx, at);
    } else {
      throw InputError(ctx.at(node["kind"], at + ".kind"), "expected " + kinds + ", got '" + kind + "'");
    }
    if (node["failed_links"]) apply_failures(node["failed_links"], spec, ctx, at);
  } catch (const InputError& e) {
    throw located_in(e, node, ctx, at);
  }
  return spec;
}

// kind: sites (topo/sites.hpp): each site's fabric, validated on its own, then joined by the inter-site
// links.
topo::TopologySpec load_sites(const Node& node, const ParseContext& ctx, SizeBudget& budget) {
  reject_unknown_keys(node, {"kind", "link", "switch", "sites", "inter_site_links", "failed_links"}, ctx,
                      "topology");
  const topo::LinkParams link = parse_with_defaults(link_schema(), node["link"], ctx, "topology.link");
  const topo::SwitchParams sw = parse_with_defaults(switch_schema(), node["switch"], ctx, "topology.switch");
  const Node &sites = node["sites"], links = node["inter_site_links"];
  if (!sites || !sites.is_sequence())
    throw InputError(ctx.at(sites ? sites : node, "topology.sites"),
                     "expected a list of {name, fabric} entries, one per site");
  if (!links || !links.is_sequence())
    throw InputError(ctx.at(links ? links : node, "topology.inter_site_links"),
                     "expected a list of {a, b, distance_km} entries joining the sites");
  std::vector<topo::SiteSpec> specs;
  const auto link_keys = keys_of(link_schema().docs(""));
  const auto switch_keys = keys_of(switch_schema().docs(""));
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const std::string f = fmt::format("topology.sites[{}]", i);
    const SiteEntry e = parse_with_defaults(site_schema(), sites[i], ctx, f, nullptr, {"fabric", "border"});
    if (e.name.empty()) throw InputError(ctx.at(sites[i], f + ".name"), "every site needs a name");
    if (!sites[i]["fabric"])
      throw InputError(
          ctx.at(sites[i], f + ".fabric"),
          fmt::format("site '{}' has no fabric; expected a topology section (kind and its keys)", e.name));
    topo::SiteSpec s;
    s.name = e.name;
    s.field = fmt::format("sites[{}]", i);
    s.border_routers = e.border_routers;
    const topo::TierParams inherited{link, sw};
    s.fabric = load_fabric(sites[i]["fabric"], ctx, budget, f + ".fabric", &inherited);
    try {
      topo::validate(s.fabric, f + ".fabric");
    } catch (const InputError& err) {
      throw located_in(err, sites[i]["fabric"], ctx, f + ".fabric");
    }
    s.border_link = link;
    s.border_switch = sw;
    const Node& border = sites[i]["border"];
    if (border) {
      require_map(border, ctx, f + ".border");
      link_schema().parse(border, s.border_link, ctx, f + ".border", switch_keys);
      switch_schema().parse(border, s.border_switch, ctx, f + ".border", link_keys);
    }
    specs.push_back(std::move(s));
  }
  std::vector<topo::InterSiteLink> joins;
  const auto entry_keys = keys_of(inter_site_schema().docs(""));
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string f = fmt::format("topology.inter_site_links[{}]", i);
    const InterSiteEntry e = parse_with_defaults(inter_site_schema(), links[i], ctx, f, nullptr, link_keys);
    auto site_index = [&](const std::string& name, const char* key) {
      for (std::uint32_t s = 0; s < specs.size(); ++s)
        if (specs[s].name == name) return s;
      std::string known;
      for (const auto& s : specs) known += (known.empty() ? "" : ", ") + s.name;
      throw InputError(ctx.at(links[i][key], f + "." + key),
                       fmt::format("no site named '{}'; expected one of: {}", name, known));
    };
    topo::InterSiteLink l;
    l.a = site_index(e.a, "a");
    l.b = site_index(e.b, "b");
    l.distance_km = e.distance_km;
    l.circuits = e.circuits;
    l.circuit = link;
    link_schema().parse(links[i], l.circuit, ctx, f, entry_keys);
    l.field = fmt::format("inter_site_links[{}]", i);
    budget.add_links(l.circuits, ctx.at(links[i], f));
    joins.push_back(l);
  }
  try {
    topo::TopologySpec t = topo::join_sites(specs, joins, "topology");
    if (node["failed_links"]) apply_failures(node["failed_links"], t, ctx, "topology");
    return t;
  } catch (const InputError& e) {
    throw located_in(e, node, ctx, "topology");
  }
}

}  // namespace

topo::TopologySpec load_topology(const Node& node, const Node& faults, std::vector<std::string>& applied,
                                 const ParseContext& ctx, SizeBudget& budget) {
  if (!node) throw InputError(ctx.at(node, "topology"), "missing; every scenario needs a topology");
  require_map(node, ctx, "topology");
  topo::TopologySpec spec = node["kind"] && node["kind"].is_scalar() && node["kind"].text() == "sites"
                                ? load_sites(node, ctx, budget)
                                : load_fabric(node, ctx, budget, "topology");
  if (!faults) {
    try {
      topo::validate(spec, "topology");
    } catch (const InputError& e) {
      throw located_in(e, node, ctx, "topology");
    }
    return spec;
  }
  apply_topology_faults(faults, spec, applied, ctx);
  try {
    topo::validate(spec, "topology");
  } catch (const InputError& e) {
    if (!e.where().file.empty()) throw;
    throw InputError(core::Location{ctx.file, faults.line(), faults.column(), "faults"},
                     fmt::format("with the faults applied, {}: {}", e.where().field, e.expected()));
  }
  return spec;
}

std::uint32_t site_named(const Node& n, const topo::TopologySpec& topology, const ParseContext& ctx,
                         const std::string& field) {
  const auto& sites = topology.sites;
  if (sites.empty())
    throw InputError(ctx.at(n, field), "names a site, but the topology is not of kind sites");
  const std::string name = read_string(n, ctx, field);
  std::string names;
  for (std::uint32_t k = 0; k < sites.size(); ++k) {
    if (sites[k].name == name) return k;
    names += (k ? ", " : "") + sites[k].name;
  }
  throw InputError(ctx.at(n, field), fmt::format("no site '{}'; expected one of: {}", name, names));
}

}  // namespace aifabric::io
