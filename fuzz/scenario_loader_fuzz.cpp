// libFuzzer target for the scenario loader: any bytes, read as YAML and as JSON, must either load or be
// refused with one core::InputError; any other exception, crash, sanitizer report, hang or memory blow-up
// is a bug. Run: scripts/fuzz.sh (CI runs it for a bounded time).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "io/json_reader.hpp"
#include "io/scenario_loader.hpp"
#include "io/yaml_reader.hpp"

namespace {

void load(aifabric::io::Node doc) {
  // The fuzzer's memory limit is far below the default limits.max_memory_gbytes: bound each input's size
  // estimate so a large topology is refused by the estimate instead of reported as an out-of-memory.
  if (doc.is_map()) {
    aifabric::io::Node limits = aifabric::io::Node::map();
    limits.set("max_memory_gbytes", aifabric::io::Node::scalar("0.05"));
    doc.set("limits", limits);
  }
  aifabric::io::load_scenario_document(doc, "fuzz");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    load(aifabric::io::read_yaml(text, "fuzz"));
  } catch (const aifabric::core::InputError&) {
  }
  try {
    load(aifabric::io::read_json(text, "fuzz"));
  } catch (const aifabric::core::InputError&) {
  }
  return 0;
}
