#include "core/error.hpp"

#include <cstdio>
#include <cstdlib>

namespace aifabric::core {
namespace {
std::string format_location(const Location& w, const std::string& expected) {
  std::string s;
  if (!w.file.empty()) {
    s += w.file;
    if (w.line > 0) s += ":" + std::to_string(w.line) + ":" + std::to_string(w.column);
    s += ": ";
  }
  if (!w.field.empty()) s += w.field + ": ";
  return s + expected;
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
