#include "io/node.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace aifabric::io {

namespace {
const Node& undefined_node() {
  static const Node n;
  return n;
}

// A decimal number: [+-] digits [. digits] [e [+-] digits], at least one digit before the exponent.
bool is_decimal(const std::string& s) {
  std::size_t i = 0, digits = 0;
  auto run = [&] {
    std::size_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++n;
    return n;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  digits += run();
  if (i < s.size() && s[i] == '.') {
    ++i;
    digits += run();
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (run() == 0) return false;
  }
  return i == s.size();
}

bool parse_decimal(const std::string& s, double& out) {
  if (!is_decimal(s)) return false;
  out = std::strtod(s.c_str(), nullptr);
  return true;
}
}  // namespace

Node Node::scalar(std::string text, int line, int column) {
  Node n;
  n.kind_ = Kind::kScalar;
  n.text_ = std::move(text);
  n.line_ = line;
  n.column_ = column;
  return n;
}

Node Node::null(int line, int column) {
  Node n;
  n.kind_ = Kind::kNull;
  n.line_ = line;
  n.column_ = column;
  return n;
}

Node Node::sequence(int line, int column) {
  Node n = null(line, column);
  n.kind_ = Kind::kSequence;
  return n;
}

Node Node::map(int line, int column) {
  Node n = null(line, column);
  n.kind_ = Kind::kMap;
  return n;
}

std::size_t Node::size() const {
  return kind_ == Kind::kMap ? entries_.size() : items_.size();
}

void Node::push_back(Node item) {
  items_.push_back(std::move(item));
}

const Node& Node::operator[](std::size_t index) const {
  return kind_ == Kind::kSequence && index < items_.size() ? items_[index] : undefined_node();
}

const Node& Node::operator[](const std::string& key) const {
  if (kind_ == Kind::kMap)
    for (const auto& e : entries_)
      if (e.key == key) return e.value;
  return undefined_node();
}

void Node::set(const std::string& key, Node value, int line, int column) {
  if (Node* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.push_back({key, line, column, std::move(value)});
}

Node* Node::find(const std::string& key) {
  for (auto& e : entries_)
    if (e.key == key) return &e.value;
  return nullptr;
}

void check_depth(int depth, const core::Location& where) {
  if (depth > kMaxDocumentDepth)
    throw core::InputError(where, fmt::format("nested deeper than {} levels", kMaxDocumentDepth));
}

core::Location ParseContext::at(const Node& node, const std::string& field) const {
  return core::Location{file, node.line(), node.line() > 0 ? node.column() : 0, field};
}

const char* kind_name(const Node& n) {
  switch (n.kind()) {
    case Node::Kind::kMap:
      return "a mapping";
    case Node::Kind::kSequence:
      return "a list";
    case Node::Kind::kNull:
    case Node::Kind::kUndefined:
      return "nothing";
    default:
      return "a scalar";
  }
}

double read_real(const Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.is_scalar())
    throw core::InputError(ctx.at(n, field), std::string("expected a number, got ") + kind_name(n));
  double v = 0;
  if (!parse_decimal(n.text(), v) || !std::isfinite(v))
    throw core::InputError(ctx.at(n, field), "expected a number, got '" + n.text() + "'");
  return v;
}

std::int64_t read_int(const Node& n, const ParseContext& ctx, const std::string& field) {
  const double v = read_real(n, ctx, field);
  if (v != std::floor(v) || std::fabs(v) > 9.0e15)
    throw core::InputError(ctx.at(n, field), "expected a whole number, got '" + n.text() + "'");
  return static_cast<std::int64_t>(v);
}

bool read_bool(const Node& n, const ParseContext& ctx, const std::string& field) {
  // YAML 1.1's words for true and false, as yaml-cpp reads them.
  static const char* const kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                      "True", "TRUE", "on",  "On",  "ON"};
  static const char* const kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                       "False", "FALSE", "off", "Off", "OFF"};
  if (n.is_scalar()) {
    for (const char* t : kTrue)
      if (n.text() == t) return true;
    for (const char* f : kFalse)
      if (n.text() == f) return false;
  }
  throw core::InputError(ctx.at(n, field),
                         "expected true or false, got '" + (n.is_scalar() ? n.text() : kind_name(n)) + "'");
}

std::string read_string(const Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.is_scalar())
    throw core::InputError(ctx.at(n, field), std::string("expected a string, got ") + kind_name(n));
  return n.text();
}

std::uint64_t read_bytes(const Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.is_scalar())
    throw core::InputError(ctx.at(n, field), std::string("expected a byte count, got ") + kind_name(n));
  const std::string& s = n.text();
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  std::size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  const std::string number = s.substr(0, i), unit = s.substr(j);
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  double scale = -1;
  for (const auto& [name, factor] : kUnits)
    if (unit == name) scale = factor;
  double value = 0;
  if (scale < 0 || !parse_decimal(number, value))
    throw core::InputError(ctx.at(n, field),
                           "expected a byte count such as 4096, \"200KB\" or \"32MiB\", got '" + s + "'");
  const double bytes = value * scale;
  if (bytes != std::floor(bytes) || bytes > 1.0e18)
    throw core::InputError(ctx.at(n, field), "expected a whole number of bytes, got '" + s + "'");
  return static_cast<std::uint64_t>(bytes);
}

void require_map(const Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.is_map())
    throw core::InputError(ctx.at(n, field.empty() ? "(top level)" : field),
                           std::string("expected a mapping of keys to values, got ") + kind_name(n));
}

void reject_unknown_keys(const Node& map, const std::set<std::string>& allowed, const ParseContext& ctx,
                         const std::string& prefix) {
  for (const auto& e : map.entries()) {
    if (allowed.count(e.key)) continue;
    std::string valid;
    for (const auto& a : allowed) valid += (valid.empty() ? "" : ", ") + a;
    throw core::InputError(core::Location{ctx.file, e.line, e.line > 0 ? e.column : 0,
                                          prefix.empty() ? e.key : prefix + "." + e.key},
                           "unknown key; expected one of: " + valid);
  }
}

}  // namespace aifabric::io
