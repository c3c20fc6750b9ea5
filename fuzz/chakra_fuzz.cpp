// libFuzzer target for the Chakra trace reader: any bytes, read as one rank's .et file (plain or gzip) and
// then checked as a one-rank trace, and read as a comm-group file, must either load or be refused with one
// core::InputError; any other exception, crash, sanitizer report, hang or memory blow-up is a bug.
// Run: scripts/fuzz.sh (CI runs it for a bounded time).
#include <cstddef>
#include <cstdint>
#include <string>

#include "chakra/et.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    auto et = aifabric::chakra::decode(bytes, "fuzz.0.et");
    aifabric::workload::TraceWorkload trace;
    trace.ranks.push_back(std::move(et.nodes));
    const std::vector<std::uint32_t> gpus = {0}, server_of = {0};
    (void)aifabric::workload::check(trace, gpus, server_of, aifabric::workload::Algorithm::kRing);
  } catch (const aifabric::core::InputError&) {
  }
  try {
    (void)aifabric::chakra::parse_comm_groups(bytes, "fuzz.json");
  } catch (const aifabric::core::InputError&) {
  }
  return 0;
}
