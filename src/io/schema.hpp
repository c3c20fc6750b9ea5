#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"
#include "io/node.hpp"

namespace aifabric::io {

// Documentation of one parameter, rendered by `aifabric params` into docs/parameters.md.
struct ParamDoc {
  std::string key;  // full dotted path
  std::string type;
  std::string unit;
  std::string default_text;
  std::string range;
  std::string help;
};

// The single declaration of a struct's parameters: name, type, unit, default, valid range and help. The
// same table sets defaults, parses a document tree from YAML or JSON (with range checks and typed errors)
// and documents itself.
template <class S>
class Schema {
 public:
  using Setter = std::function<void(S&, const Node&, const ParseContext&, const std::string&)>;
  using Defaulter = std::function<void(S&)>;

  Schema& real(std::string key, double S::*m, std::string unit, double def, double lo, double hi,
               std::string help, bool lo_open = false) {
    return add(
        key, "number", unit, fmt_num(def), range_text(lo, hi, lo_open), help, [m, def](S& s) { s.*m = def; },
        [m, lo, hi, lo_open](S& s, const Node& n, const ParseContext& c, const std::string& f) {
          const double v = read_real(n, c, f);
          check_range(v, lo, hi, lo_open, n, c, f);
          s.*m = v;
        });
  }
  // A real given in `unit` and stored multiplied by `scale` (Mbit/s stored as bit/s, for instance).
  Schema& scaled(std::string key, double S::*m, std::string unit, double scale, double def, double lo,
                 double hi, std::string help) {
    return add(
        key, "number", unit, fmt_num(def), range_text(lo, hi, false), help,
        [m, def, scale](S& s) { s.*m = def * scale; },
        [m, lo, hi, scale](S& s, const Node& n, const ParseContext& c, const std::string& f) {
          const double v = read_real(n, c, f);
          check_range(v, lo, hi, false, n, c, f);
          s.*m = v * scale;
        });
  }
  template <class I>
  Schema& integer(std::string key, I S::*m, std::string unit, std::int64_t def, std::int64_t lo,
                  std::int64_t hi, std::string help) {
    const bool bytes = unit == "bytes";
    return add(
        key, bytes ? "bytes" : "integer", unit, std::to_string(def),
        range_text(double(lo), double(hi), false), help, [m, def](S& s) { s.*m = static_cast<I>(def); },
        [m, lo, hi, bytes](S& s, const Node& n, const ParseContext& c, const std::string& f) {
          const auto v = bytes ? static_cast<std::int64_t>(read_bytes(n, c, f)) : read_int(n, c, f);
          check_range(double(v), double(lo), double(hi), false, n, c, f);
          s.*m = static_cast<I>(v);
        });
  }
  // A duration given in `unit` ("us" or "ns") and stored in picoseconds.
  Schema& duration(std::string key, core::TimePs S::*m, std::string unit, double def, double lo, double hi,
                   std::string help, bool lo_open = false) {
    const double scale = unit == "us" ? 1e6 : 1e3;
    return add(
        key, "number", unit, fmt_num(def), range_text(lo, hi, lo_open), help,
        [m, def, scale](S& s) { s.*m = static_cast<core::TimePs>(def * scale + 0.5); },
        [m, lo, hi, lo_open, scale](S& s, const Node& n, const ParseContext& c, const std::string& f) {
          const double v = read_real(n, c, f);
          check_range(v, lo, hi, lo_open, n, c, f);
          s.*m = static_cast<core::TimePs>(v * scale + 0.5);
        });
  }
  Schema& flag(std::string key, bool S::*m, bool def, std::string help) {
    return add(
        key, "bool", "", def ? "true" : "false", "", help, [m, def](S& s) { s.*m = def; },
        [m](S& s, const Node& n, const ParseContext& c, const std::string& f) { s.*m = read_bool(n, c, f); });
  }
  template <class E>
  Schema& choice(std::string key, E S::*m, std::vector<std::pair<std::string, E>> options, std::string def,
                 std::string help) {
    std::string names;
    E def_value{};
    for (const auto& [name, value] : options) {
      names += (names.empty() ? "" : " | ") + name;
      if (name == def) def_value = value;
    }
    return add(
        key, "choice", "", def, names, help, [m, def_value](S& s) { s.*m = def_value; },
        [m, options, names](S& s, const Node& n, const ParseContext& c, const std::string& f) {
          const std::string v = read_string(n, c, f);
          for (const auto& [name, value] : options)
            if (name == v) {
              s.*m = value;
              return;
            }
          throw core::InputError(c.at(n, f), "expected one of " + names + ", got '" + v + "'");
        });
  }
  // A real whose default comes from elsewhere (a hardware preset): only set when present.
  Schema& override_real(std::string key, double S::*m, std::string unit, double lo, double hi,
                        std::string help, bool lo_open = false) {
    return add(
        key, "number", unit, "preset", range_text(lo, hi, lo_open), help, [](S&) {},
        [m, lo, hi, lo_open](S& s, const Node& n, const ParseContext& c, const std::string& f) {
          const double v = read_real(n, c, f);
          check_range(v, lo, hi, lo_open, n, c, f);
          s.*m = v;
        });
  }
  Schema& text(std::string key, std::string S::*m, std::string def, std::string help) {
    return add(
        key, "string", "", def.empty() ? "\"\"" : def, "", help, [m, def](S& s) { s.*m = def; },
        [m](S& s, const Node& n, const ParseContext& c, const std::string& f) {
          s.*m = read_string(n, c, f);
        });
  }

  void defaults(S& s) const {
    for (const auto& e : entries_) e.defaulter(s);
  }
  // Sets the keys present in `map` (which must be a mapping); the caller has applied defaults. Keys in
  // `extra` are allowed and left to the caller. Returns the keys that were set explicitly.
  std::set<std::string> parse(const Node& map, S& s, const ParseContext& ctx, const std::string& prefix,
                              const std::set<std::string>& extra = {}) const {
    require_map(map, ctx, prefix);
    std::set<std::string> allowed = extra;
    for (const auto& e : entries_) allowed.insert(e.doc.key);
    reject_unknown_keys(map, allowed, ctx, prefix);
    std::set<std::string> set;
    for (const auto& e : entries_) {
      const Node& n = map[e.doc.key];
      if (!n) continue;
      e.setter(s, n, ctx, prefix.empty() ? e.doc.key : prefix + "." + e.doc.key);
      set.insert(e.doc.key);
    }
    return set;
  }
  std::vector<ParamDoc> docs(const std::string& prefix) const {
    std::vector<ParamDoc> out;
    for (auto d : entries_) {
      d.doc.key = prefix.empty() ? d.doc.key : prefix + "." + d.doc.key;
      out.push_back(d.doc);
    }
    return out;
  }

 private:
  struct Entry {
    ParamDoc doc;
    Defaulter defaulter;
    Setter setter;
  };
  Schema& add(std::string key, std::string type, std::string unit, std::string def, std::string range,
              std::string help, Defaulter d, Setter s) {
    entries_.push_back({ParamDoc{std::move(key), std::move(type), std::move(unit), std::move(def),
                                 std::move(range), std::move(help)},
                        std::move(d), std::move(s)});
    return *this;
  }
  static std::string fmt_num(double v);
  static std::string range_text(double lo, double hi, bool lo_open);
  static void check_range(double v, double lo, double hi, bool lo_open, const Node& n, const ParseContext& c,
                          const std::string& f) {
    if (v < lo || v > hi || (lo_open && v == lo))
      throw core::InputError(c.at(n, f),
                             "expected a value in " + range_text(lo, hi, lo_open) + ", got " + fmt_num(v));
  }
  std::vector<Entry> entries_;
};

// A struct with its defaults, then the keys present in `node` (when it is defined) set from it; the keys
// set explicitly go to `explicitly_set`; keys in `extra` are allowed and left to the caller.
template <class S>
S parse_with_defaults(const Schema<S>& schema, const Node& node, const ParseContext& ctx,
                      const std::string& prefix, std::set<std::string>* explicitly_set = nullptr,
                      const std::set<std::string>& extra = {}) {
  S s{};
  schema.defaults(s);
  if (node) {
    auto set = schema.parse(node, s, ctx, prefix, extra);
    if (explicitly_set) *explicitly_set = std::move(set);
  }
  return s;
}

// The keys of a schema's documentation (schema.docs("")).
std::set<std::string> keys_of(const std::vector<ParamDoc>& docs);

std::string format_number(double v);
std::string format_range(double lo, double hi, bool lo_open);

template <class S>
std::string Schema<S>::fmt_num(double v) {
  return format_number(v);
}
template <class S>
std::string Schema<S>::range_text(double lo, double hi, bool lo_open) {
  return format_range(lo, hi, lo_open);
}

}  // namespace aifabric::io
