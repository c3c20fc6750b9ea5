#include <fmt/format.h>

#include <algorithm>

#include "io/loaders.hpp"
#include "io/scenario_schemas.hpp"
#include "topo/builders.hpp"

namespace aifabric::io {

using core::InputError;

namespace {

topo::TierParams tier_params(const Node& tiers, const std::string& name, const topo::LinkParams& link,
                             const topo::SwitchParams& sw, const ParseContext& ctx) {
  topo::TierParams t{link, sw};
  if (!tiers || !tiers[name]) return t;
  const Node& n = tiers[name];
  const std::string prefix = "topology.tiers." + name;
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
                                 const ParseContext& ctx) {
  topo::TopologySpec t;
  t.kind = "explicit";
  const Node &nodes = node["nodes"], links = node["links"];
  if (!nodes || !nodes.is_sequence())
    throw InputError(ctx.at(node, "topology.nodes"), "expected a list of {name, kind} entries");
  if (!links || !links.is_sequence())
    throw InputError(ctx.at(node, "topology.links"), "expected a list of {a, b} entries");
  const auto switch_keys = keys_of(switch_schema().docs(""));
  const auto node_keys = keys_of(node_schema().docs(""));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string f = fmt::format("topology.nodes[{}]", i);
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
    const std::string f = fmt::format("topology.links[{}]", i);
    const LinkEntry e = parse_with_defaults(link_entry_schema(), links[i], ctx, f, nullptr, link_keys);
    topo::LinkParams p = link;
    link_schema().parse(links[i], p, ctx, f, end_keys);
    t.add_link(node_index(t, e.a, links[i]["a"], ctx, f + ".a"),
               node_index(t, e.b, links[i]["b"], ctx, f + ".b"), p, "explicit", f);
  }
  return t;
}

void apply_failures(const Node& node, topo::TopologySpec& t, const ParseContext& ctx) {
  if (!node.is_sequence())
    throw InputError(ctx.at(node, "topology.failed_links"), "expected a list of {a, b} node-name pairs");
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string f = fmt::format("topology.failed_links[{}]", i);
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

}  // namespace

topo::TopologySpec load_topology(const Node& node, const Node& faults, std::vector<std::string>& applied,
                                 const ParseContext& ctx, SizeBudget& budget) {
  if (!node) throw InputError(ctx.at(node, "topology"), "missing; every scenario needs a topology");
  require_map(node, ctx, "topology");
  if (!node["kind"])
    throw InputError(ctx.at(node, "topology.kind"),
                     "missing; expected leaf_spine, fat_tree, rail_optimized or explicit");
  const std::string kind = read_string(node["kind"], ctx, "topology.kind");
  const std::set<std::string> common = {"kind", "link", "switch", "tiers", "failed_links"};
  const topo::LinkParams link = parse_with_defaults(link_schema(), node["link"], ctx, "topology.link");
  const topo::SwitchParams sw = parse_with_defaults(switch_schema(), node["switch"], ctx, "topology.switch");
  const Node& tiers = node["tiers"];
  if (tiers) require_map(tiers, ctx, "topology.tiers");
  auto check_tiers = [&](const std::set<std::string>& names) {
    if (tiers) reject_unknown_keys(tiers, names, ctx, "topology.tiers");
  };
  auto with_common = [&](std::set<std::string> s) {
    s.insert(common.begin(), common.end());
    return s;
  };
  topo::TopologySpec spec;
  try {
    if (kind == "leaf_spine") {
      auto p = parse_with_defaults(leaf_spine_schema(), node, ctx, "topology", nullptr, common);
      check_tiers({"leaf", "spine"});
      p.leaf = tier_params(tiers, "leaf", link, sw, ctx);
      p.spine = tier_params(tiers, "spine", link, sw, ctx);
      // Host links and leaf uplinks.
      const double hosts = double(p.leaves) * p.hosts_per_leaf;
      budget.add_links(hosts + hosts / p.oversubscription, ctx.at(node, "topology.leaves"));
      spec = topo::build_leaf_spine(p, "topology");
    } else if (kind == "fat_tree") {
      auto p = parse_with_defaults(fat_tree_schema(), node, ctx, "topology", nullptr, common);
      check_tiers({"edge", "agg", "core"});
      p.edge = tier_params(tiers, "edge", link, sw, ctx);
      p.agg = tier_params(tiers, "agg", link, sw, ctx);
      p.core = tier_params(tiers, "core", link, sw, ctx);
      // k^3/4 links in each of the three tiers.
      budget.add_links(3.0 * p.k * p.k * p.k / 4, ctx.at(node["k"], "topology.k"));
      spec = topo::build_fat_tree(p, "topology");
    } else if (kind == "rail_optimized") {
      auto p = parse_with_defaults(rail_schema(), node, ctx, "topology", nullptr, common);
      check_tiers({"leaf", "spine", "core"});
      p.leaf = tier_params(tiers, "leaf", link, sw, ctx);
      p.spine = tier_params(tiers, "spine", link, sw, ctx);
      p.core = tier_params(tiers, "core", link, sw, ctx);
      // GPU links, rail-leaf uplinks, the core tier's as many again, and the storage leaf's.
      const double gpus = double(p.scalable_units) * p.servers_per_unit * p.gpus_per_server;
      const double up = gpus / p.oversubscription;
      budget.add_links(gpus + up * (p.core_switches > 0 ? 2 : 1) + 2.0 * p.storage_nodes,
                       ctx.at(node, "topology.scalable_units"));
      spec = topo::build_rail_optimized(p, "topology");
    } else if (kind == "explicit") {
      reject_unknown_keys(node, with_common({"nodes", "links"}), ctx, "topology");
      if (tiers)
        throw InputError(ctx.at(tiers, "topology.tiers"),
                         "explicit topologies set parameters per node and link");
      if (node["links"].is_sequence())
        budget.add_links(double(node["links"].size()), ctx.at(node["links"], "topology.links"));
      spec = load_explicit(node, link, sw, ctx);
    } else {
      throw InputError(ctx.at(node["kind"], "topology.kind"),
                       "expected leaf_spine, fat_tree, rail_optimized or explicit, got '" + kind + "'");
    }
    if (node["failed_links"]) apply_failures(node["failed_links"], spec, ctx);
    if (!faults) topo::validate(spec, "topology");
  } catch (const InputError& e) {
    // Builders and validation know the field; the file and line are known here: the field's own line when
    // it is a key of `topology`, else the topology's.
    core::Location w = e.where();
    if (!w.file.empty()) throw;
    w.file = ctx.file;
    const std::string key = w.field.rfind("topology.", 0) == 0 ? w.field.substr(9) : "";
    const Node at =
        key.find_first_of(".[") == std::string::npos && !key.empty() && node[key] ? node[key] : node;
    w.line = at.line();
    w.column = at.column();
    throw InputError(w, e.expected());
  }
  if (faults) {
    apply_topology_faults(faults, spec, applied, ctx);
    try {
      topo::validate(spec, "topology");
    } catch (const InputError& e) {
      if (!e.where().file.empty()) throw;
      throw InputError(core::Location{ctx.file, faults.line(), faults.column(), "faults"},
                       fmt::format("with the faults applied, {}: {}", e.where().field, e.expected()));
    }
  }
  return spec;
}

}  // namespace aifabric::io
