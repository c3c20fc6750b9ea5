#include "report/csv.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "core/error.hpp"

namespace aifabric::report {
namespace {

std::vector<std::string> split(const std::string& line, const std::string& path, std::size_t at) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted)
    throw core::InputError(core::Location{path, static_cast<int>(at), 1, ""},
                           "a quoted field is not closed on its line");
  return fields;
}

}  // namespace

std::size_t CsvTable::column(const std::string& name) const {
  for (std::size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return c;
  throw core::InputError(core::Location{path, 1, 1, name}, "expected this column in the header");
}

double CsvTable::number(std::size_t r, std::size_t c, double empty) const {
  const std::string& f = rows[r][c];
  if (f.empty()) return empty;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(f.c_str(), &end);
  if (end != f.c_str() + f.size() || errno == ERANGE)
    throw core::InputError(core::Location{path, static_cast<int>(lines[r]), 1, header[c]},
                           fmt::format("expected a number, got '{}'", f));
  return v;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::InputError(core::Location{path, 0, 0, ""}, "cannot open the file");
  CsvTable t;
  t.path = path;
  std::string line;
  std::size_t at = 0;
  while (std::getline(in, line)) {
    ++at;
    if (line.empty() || line == "\r") continue;
    auto fields = split(line, path, at);
    if (t.header.empty()) {
      t.header = std::move(fields);
      continue;
    }
    if (fields.size() != t.header.size())
      throw core::InputError(
          core::Location{path, static_cast<int>(at), 1, ""},
          fmt::format("expected {} fields as in the header, got {}", t.header.size(), fields.size()));
    t.rows.push_back(std::move(fields));
    t.lines.push_back(at);
  }
  if (t.header.empty()) throw core::InputError(core::Location{path, 1, 1, ""}, "expected a header line");
  return t;
}

}  // namespace aifabric::report
