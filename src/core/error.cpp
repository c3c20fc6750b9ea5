#include "core/error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace aifabric::core {
namespace {
std::string format_location(const Location& w, const std::string& expected) {
  std::string place;
  if (!w.file.empty())
    place = w.line > 0 ? fmt::format("{}:{}:{}: ", w.file, w.line, w.column) : fmt::format("{}: ", w.file);
  if (!w.field.empty()) place += fmt::format("{}: ", w.field);
  return place + expected;
}
}  // namespace

InputError::InputError(Location where, const std::string& expected)
    : std::runtime_error(format_location(where, expected)), where_(std::move(where)), expected_(expected) {}

void invariant_failed(const char* condition, const char* file, int line, const std::string& context) {
  std::fprintf(stderr, "aifabric internal error: %s failed at %s:%d (%s)\n", condition, file, line,
               context.c_str());
  std::abort();
}

}  // namespace aifabric::core
