#include "io/examples.hpp"

namespace aifabric::io {

const std::vector<Example>& builtin_examples() {
  // examples_data.inc is generated at build time from examples/*.yaml (see CMakeLists.txt).
  static const std::vector<Example> examples = {
#include "examples_data.inc"
  };
  return examples;
}

}  // namespace aifabric::io
