#pragma once
#include <string>
#include <vector>

#include "io/node.hpp"

namespace aifabric::whatif {

// Replaces the value at `path` in a scenario document by `value`, itself YAML ("spray", "2MB",
// "{kind: ecmp}"). The path is written as in error messages: dotted keys and [i] for list items
// ("fabric.load_balancing", "traffic[0].size_bytes"). Missing mapping keys are created; the loader then
// checks the result. A malformed path, an index past a list's end or a key under a scalar is a
// core::InputError for the field "FLAG PATH" (the command-line flag that asked for it).
void apply_override(io::Node& root, const std::string& path, const std::string& value,
                    const std::string& flag = "--vary");

// One scenario of a what-if study: its label ("baseline", "fabric.load_balancing=spray ...") and document.
struct Variant {
  std::string label;
  io::Node document;
};

// The baseline, then every combination of the values of each `PATH=V1,V2,...` in `vary` (the last one
// changes fastest). Values are split at the commas outside brackets and braces ("{a: 1, b: 2}" is one).
std::vector<Variant> variants(const io::Node& baseline, const std::vector<std::string>& vary);

}  // namespace aifabric::whatif
