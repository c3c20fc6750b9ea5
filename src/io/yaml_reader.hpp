#pragma once
#include <string>

#include "io/node.hpp"

namespace aifabric::io {

// Reads YAML text into a document tree with each node's line and column; a syntax error is a
// core::InputError at the place yaml-cpp reports, under the field "(syntax)".
Node read_yaml(const std::string& text, const std::string& source);

// The document as YAML text that read_yaml reads back to the same tree: mappings of a few scalars and
// lists of scalars on one line, the rest as blocks. `comment` (lines without '#') goes first.
std::string write_yaml(const Node& root, const std::string& comment = {});

}  // namespace aifabric::io
