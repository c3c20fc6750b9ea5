#pragma once
#include <string>

#include "io/node.hpp"

namespace aifabric::io {

// Reads YAML text into a document tree with each node's line and column; a syntax error is a
// core::InputError at the place yaml-cpp reports, under the field "(syntax)".
Node read_yaml(const std::string& text, const std::string& source);

}  // namespace aifabric::io
