#pragma once
#include <string>
#include <vector>

namespace aifabric::io {

// The scenarios under examples/, compiled into the binary so that `example:NAME` needs no file.
struct Example {
  std::string name;
  std::string yaml;
};
const std::vector<Example>& builtin_examples();

}  // namespace aifabric::io
