#include "io/schema.hpp"

#include <fmt/format.h>

#include <limits>

namespace aifabric::io {

std::set<std::string> keys_of(const std::vector<ParamDoc>& docs) {
  std::set<std::string> k;
  for (const auto& d : docs) k.insert(d.key);
  return k;
}

std::string format_number(double v) {
  if (v == std::numeric_limits<double>::max()) return "inf";
  return fmt::format("{}", v);
}

std::string format_range(double lo, double hi, bool lo_open) {
  return fmt::format("{}{}, {}]", lo_open ? "(" : "[", format_number(lo), format_number(hi));
}

}  // namespace aifabric::io
