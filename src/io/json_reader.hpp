#pragma once
#include <string>

#include "io/node.hpp"

namespace aifabric::io {

// Reads JSON text (a scenario as the HTTP service receives it) into the same document tree the YAML
// reader builds, so one set of schemas checks both. JSON carries no line numbers after parsing: errors
// name the field only. A syntax error names the byte offset.
Node read_json(const std::string& text, const std::string& source);

}  // namespace aifabric::io
