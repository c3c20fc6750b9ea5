#include "whatif/changes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include "io/scenario_schemas.hpp"
#include "io/yaml_reader.hpp"

namespace aifabric::whatif {

using core::InputError;

namespace {

core::Location flag(const std::string& name, const std::string& value) {
  return core::Location{name, 0, 0, value};
}

double number(const std::string& text, const std::string& name, const std::string& arg,
              const char* expected) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw InputError(flag(name, arg), fmt::format("expected {}, got '{}'", expected, text));
  return v;
}

std::optional<std::uint32_t> node_named(const topo::TopologySpec& t, const std::string& name) {
  for (std::uint32_t i = 0; i < t.nodes.size(); ++i)
    if (t.nodes[i].name == name) return i;
  return std::nullopt;
}

bool linked(const topo::TopologySpec& t, std::uint32_t a, std::uint32_t b) {
  for (const auto& l : t.links)
    if ((l.a == a && l.b == b) || (l.a == b && l.b == a)) return true;
  return false;
}

// "A-B": the split at a '-' where both sides name nodes that share a link (names may hold '-').
std::pair<std::uint32_t, std::uint32_t> link_named(const topo::TopologySpec& t, const std::string& text,
                                                   const std::string& name, const std::string& arg) {
  bool nodes_found = false;
  for (std::size_t at = text.find('-'); at != std::string::npos; at = text.find('-', at + 1)) {
    const auto a = node_named(t, text.substr(0, at));
    const auto b = node_named(t, text.substr(at + 1));
    if (a && b) {
      nodes_found = true;
      if (linked(t, *a, *b)) return {*a, *b};
    }
  }
  throw InputError(flag(name, arg),
                   nodes_found ? fmt::format("no link between the nodes of '{}'", text)
                               : fmt::format("expected A-B, two node names joined by '-' (see `aifabric "
                                             "validate` for the topology); '{}' names no two nodes",
                                             text));
}

io::Node scalar(const std::string& s) {
  return io::Node::scalar(s);
}

io::Node link_fault(const char* kind, const topo::TopologySpec& t,
                    std::pair<std::uint32_t, std::uint32_t> l) {
  io::Node f = io::Node::map();
  f.set("kind", scalar(kind));
  f.set("a", scalar(t.nodes[l.first].name));
  f.set("b", scalar(t.nodes[l.second].name));
  return f;
}

io::Node node_fault(const topo::TopologySpec& t, std::uint32_t n) {
  io::Node f = io::Node::map();
  f.set("kind", scalar(t.nodes[n].kind == topo::NodeKind::kSwitch ? "switch_down" : "nic_down"));
  f.set("node", scalar(t.nodes[n].name));
  return f;
}

Variant with_fault(const io::Node& baseline, std::string label, io::Node fault) {
  Variant v{std::move(label), baseline};
  io::Node* faults = v.document.find("faults");
  if (faults == nullptr || !faults->is_sequence()) {
    if (faults != nullptr && faults->defined() && !faults->is_null())
      throw InputError(core::Location{"faults", 0, 0, "faults"}, "expected a list of faults");
    v.document.set("faults", io::Node::sequence());
    faults = v.document.find("faults");
  }
  faults->push_back(std::move(fault));
  return v;
}

std::pair<std::string, std::string> split_eq(const std::string& arg, const std::string& name,
                                             const char* form) {
  const auto eq = arg.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
    throw InputError(flag(name, arg), fmt::format("expected {}", form));
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

std::optional<double> parsed(const std::string& text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

double declared_default(const std::vector<io::ParamDoc>& docs, const std::string& key) {
  for (const auto& d : docs)
    if (d.key == key) return parsed(d.default_text).value_or(0);
  return 0;
}

}  // namespace

std::vector<Variant> change_variants(const io::Node& baseline, const api::Scenario& base, const Changes& c) {
  const auto& t = base.topology;
  std::vector<Variant> out = {{"baseline", baseline}};
  for (const auto& arg : c.fail) {
    if (const auto n = node_named(t, arg)) {
      out.push_back(with_fault(baseline, "fail " + arg, node_fault(t, *n)));
    } else {
      out.push_back(
          with_fault(baseline, "fail " + arg, link_fault("link_down", t, link_named(t, arg, "--fail", arg))));
    }
  }
  for (const auto& arg : c.degrade) {
    auto [link, rate] = split_eq(arg, "--degrade", "A-B=RATE (Gbit/s) or A-B=ber:BER");
    io::Node f = link_fault("link_degraded", t, link_named(t, link, "--degrade", arg));
    if (rate.rfind("ber:", 0) == 0) {
      const double ber = number(rate.substr(4), "--degrade", arg, "a bit error rate after ber:");
      f.set("ber", scalar(fmt::format("{}", ber)));
    } else {
      if (rate.size() > 1 && (rate.back() == 'G' || rate.back() == 'g')) rate.pop_back();
      const double gbps = number(rate, "--degrade", arg, "a rate in Gbit/s");
      f.set("rate_gbps", scalar(fmt::format("{}", gbps)));
    }
    out.push_back(with_fault(baseline, "degrade " + arg, std::move(f)));
  }
  for (const auto& arg : c.straggler) {
    const auto [who, factor_text] =
        split_eq(arg, "--straggler", "GPU=FACTOR, HOST=FACTOR or server:N=FACTOR");
    const double factor = number(factor_text, "--straggler", arg, "a factor above 1");
    if (!(factor > 1))
      throw InputError(flag("--straggler", arg), fmt::format("expected a factor above 1, got {}", factor));
    io::Node f = io::Node::map();
    f.set("kind", scalar("straggler"));
    if (who.rfind("server:", 0) == 0) {
      f.set("server", scalar(who.substr(7)));
    } else if (const auto n = node_named(t, who); n && t.nodes[*n].kind == topo::NodeKind::kHost) {
      const auto h = std::find(t.hosts.begin(), t.hosts.end(), *n) - t.hosts.begin();
      f.set("gpu", scalar(std::to_string(h)));
    } else {
      number(who, "--straggler", arg, "a GPU index, a host name or server:N before '='");
      f.set("gpu", scalar(who));
    }
    f.set("factor", scalar(factor_text));
    out.push_back(with_fault(baseline, "straggler " + arg, std::move(f)));
  }
  for (const auto& arg : c.fault) {
    io::Node f;
    try {
      f = io::read_yaml(arg, "--fault");
    } catch (const InputError& e) {
      throw InputError(flag("--fault", arg), fmt::format("expected a fault as YAML: {}", e.what()));
    }
    if (!f.is_map() || f.find("kind") == nullptr)
      throw InputError(flag("--fault", arg),
                       "expected a fault as a YAML map with its kind, as the scenario's faults take it "
                       "({kind: nic_slow, node: host8, rate_gbps: 25}; docs/models/faults.md)");
    out.push_back(with_fault(baseline, "fault " + arg, std::move(f)));
  }
  for (const auto& arg : c.load) {
    const double factor = number(arg, "--load", arg, "a positive factor");
    if (!(factor > 0))
      throw InputError(flag("--load", arg), fmt::format("expected a factor > 0, got {}", factor));
    Variant v{"load x" + arg, baseline};
    bool changed = false;
    if (io::Node* services = v.document.find("services"); services != nullptr && services->is_sequence())
      for (std::size_t i = 0; i < base.services.size(); ++i)
        if (io::Node* s = services->at(i); s != nullptr && s->is_map()) {
          s->set("arrival_rate_per_s",
                 scalar(fmt::format("{}", base.services[i].arrival_rate_per_s * factor)));
          changed = true;
        }
    if (io::Node* traffic = v.document.find("traffic"); traffic != nullptr && traffic->is_sequence()) {
      const double load_default = declared_default(io::traffic_schema().docs(""), "load");
      for (std::size_t i = 0; i < traffic->size(); ++i) {
        io::Node* e = traffic->at(i);
        if (e == nullptr || !e->is_map() || (*e)["kind"].text() != "poisson") continue;
        const auto load = (*e)["load"] ? parsed((*e)["load"].text()) : load_default;
        if (load) e->set("load", scalar(fmt::format("{}", *load * factor)));  // else the loader says why
        changed = true;
      }
    }
    if (!changed)
      throw InputError(flag("--load", arg),
                       "the scenario has no inference services or Poisson traffic whose load could change");
    out.push_back(std::move(v));
  }
  for (const auto& arg : c.set) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError(flag("--set", arg), "expected PATH=VALUE");
    Variant v{"set " + arg, baseline};
    apply_override(v.document, arg.substr(0, eq), arg.substr(eq + 1), "--set");
    out.push_back(std::move(v));
  }
  if (c.n_minus_1 == "links") {
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    for (const auto& l : t.links) {
      if (t.nodes[l.a].kind != topo::NodeKind::kSwitch || t.nodes[l.b].kind != topo::NodeKind::kSwitch)
        continue;
      if (!seen.insert({std::min(l.a, l.b), std::max(l.a, l.b)}).second) continue;
      out.push_back(with_fault(baseline, fmt::format("fail {}-{}", t.nodes[l.a].name, t.nodes[l.b].name),
                               link_fault("link_down", t, {l.a, l.b})));
    }
  } else if (c.n_minus_1 == "switches") {
    for (std::uint32_t n = 0; n < t.nodes.size(); ++n)
      if (t.nodes[n].kind == topo::NodeKind::kSwitch)
        out.push_back(with_fault(baseline, "fail " + t.nodes[n].name, node_fault(t, n)));
  } else if (!c.n_minus_1.empty()) {
    throw InputError(flag("--n-minus-1", c.n_minus_1),
                     fmt::format("expected links or switches, got '{}'", c.n_minus_1));
  }
  return out;
}

}  // namespace aifabric::whatif
