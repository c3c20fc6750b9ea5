#pragma once
#include <cstddef>
#include <string>
#include <vector>

// The CSV files aifabric writes, read back for the report: a header line, then rows of as many fields; a
// field may be in double quotes (with "" for a quote). Errors are core::InputErrors at file:line.
namespace aifabric::report {

struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> lines;  // the file line of each row
  // The column named `name`; an InputError naming the file and the column when there is none.
  std::size_t column(const std::string& name) const;
  // Row r's field in column c as a number; empty fields read as `empty`; anything else not a number is an
  // InputError at the row's line naming the column.
  double number(std::size_t r, std::size_t c, double empty = 0) const;
};

CsvTable read_csv(const std::string& path);

}  // namespace aifabric::report
