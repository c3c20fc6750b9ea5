#pragma once
#include <string>

// The HTML report of a result folder: one self-contained file (inline CSS and SVG, no script, nothing
// fetched) with a chart per kind of result the folder holds (docs/report.md). The same folder gives the same
// bytes.
namespace aifabric::report {

// The report of the folder `dir` that an aifabric command wrote (its manifest.json names the command and the
// files). A missing folder or manifest, or a result file that cannot be read, is a core::InputError naming
// the file (and the line or field).
std::string render_report(const std::string& dir);

}  // namespace aifabric::report
