#include "core/error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

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

InputError InputError::under(const std::string& prefix) const {
  Location w = where_;
  if (!prefix.empty()) w.field = w.field.empty() ? prefix : prefix + "." + w.field;
  return InputError(w, expected_);
}

InputError InputError::located(const std::string& file, int line, int column) const {
  Location w = where_;
  if (w.file.empty()) w.file = file;
  if (w.line == 0) {
    w.line = line;
    w.column = column;
  }
  return InputError(w, expected_);
}

std::string InputError::to_json() const {
  const nlohmann::json j = {{"file", where_.file},   {"line", where_.line},   {"column", where_.column},
                            {"field", where_.field}, {"expected", expected_}, {"message", what()}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void invariant_failed(const char* condition, const char* file, int line, const std::string& context) {
  std::fprintf(stderr, "aifabric internal error: %s failed at %s:%d (%s)\n", condition, file, line,
               context.c_str());
  std::abort();
}

}  // namespace aifabric::core
