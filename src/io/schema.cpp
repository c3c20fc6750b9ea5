#include "io/schema.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <limits>

namespace aifabric::io {

core::Location ParseContext::at(const YAML::Node& node, const std::string& field) const {
  core::Location loc{file, 0, 0, field};
  if (node.IsDefined() && node.Mark().line >= 0) {
    loc.line = node.Mark().line + 1;
    loc.column = node.Mark().column + 1;
  }
  return loc;
}

namespace {
const char* kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a scalar";
  }
}
}  // namespace

double read_real(const YAML::Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.IsScalar())
    throw core::InputError(ctx.at(n, field), std::string("expected a number, got ") + kind_name(n));
  double v = 0;
  if (!YAML::convert<double>::decode(n, v) || !std::isfinite(v))
    throw core::InputError(ctx.at(n, field), "expected a number, got '" + n.Scalar() + "'");
  return v;
}

std::int64_t read_int(const YAML::Node& n, const ParseContext& ctx, const std::string& field) {
  const double v = read_real(n, ctx, field);
  if (v != std::floor(v) || std::fabs(v) > 9.0e15)
    throw core::InputError(ctx.at(n, field), "expected a whole number, got '" + n.Scalar() + "'");
  return static_cast<std::int64_t>(v);
}

bool read_bool(const YAML::Node& n, const ParseContext& ctx, const std::string& field) {
  bool v = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
    throw core::InputError(
        ctx.at(n, field), "expected true or false, got '" + (n.IsScalar() ? n.Scalar() : kind_name(n)) + "'");
  return v;
}

std::string read_string(const YAML::Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.IsScalar())
    throw core::InputError(ctx.at(n, field), std::string("expected a string, got ") + kind_name(n));
  return n.Scalar();
}

std::uint64_t read_bytes(const YAML::Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.IsScalar())
    throw core::InputError(ctx.at(n, field), std::string("expected a byte count, got ") + kind_name(n));
  const std::string s = n.Scalar();
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
  if (number.empty() || scale < 0 || !YAML::convert<double>::decode(YAML::Node(number), value))
    throw core::InputError(ctx.at(n, field),
                           "expected a byte count such as 4096, \"200KB\" or \"32MiB\", got '" + s + "'");
  const double bytes = value * scale;
  if (bytes != std::floor(bytes) || bytes > 1.0e18)
    throw core::InputError(ctx.at(n, field), "expected a whole number of bytes, got '" + s + "'");
  return static_cast<std::uint64_t>(bytes);
}

void require_map(const YAML::Node& n, const ParseContext& ctx, const std::string& field) {
  if (!n.IsMap())
    throw core::InputError(ctx.at(n, field.empty() ? "(top level)" : field),
                           std::string("expected a mapping of keys to values, got ") + kind_name(n));
}

void reject_unknown_keys(const YAML::Node& map, const std::set<std::string>& allowed, const ParseContext& ctx,
                         const std::string& prefix) {
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    if (allowed.count(key)) continue;
    std::string valid;
    for (const auto& a : allowed) valid += (valid.empty() ? "" : ", ") + a;
    throw core::InputError(ctx.at(kv.first, prefix.empty() ? key : prefix + "." + key),
                           "unknown key; expected one of: " + valid);
  }
}

std::string format_number(double v) {
  if (v == std::numeric_limits<double>::max()) return "inf";
  return fmt::format("{}", v);
}

std::string format_range(double lo, double hi, bool lo_open) {
  return fmt::format("{}{}, {}]", lo_open ? "(" : "[", format_number(lo), format_number(hi));
}

}  // namespace aifabric::io
