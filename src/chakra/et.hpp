#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "workload/trace.hpp"

namespace aifabric::chakra {

// MLCommons Chakra execution traces (docs/chakra.md): one file per rank, `<prefix>.<rank>.et`, each a
// varint-length-prefixed GlobalMetadata message and then one such Node message per node, optionally
// gzipped; and the communicators as ASTRA-sim's comm-group JSON ({"1": [0, 1, 2, 3], ...}).

// One rank's file.
struct EtFile {
  std::string version = "0.0.4";
  std::vector<workload::TraceNode> nodes;
  double tokens_per_iteration = 0;  // aifabric's metadata attributes; 0 when absent
  double flops_per_iteration = 0;
};

// Decodes a file's bytes (gzip when they start 1f 8b). Errors are core::InputError naming `file` and the
// node and attribute ("node[12].attr.comm_size"); the byte offset is in the message.
EtFile decode(std::string_view bytes, const std::string& file);
// The file's bytes: the nodes with their duration (microseconds, and exact picoseconds in the
// aifabric_duration_ps attribute), kind, dependencies (data_deps) and communication attributes.
std::string encode(const EtFile& et);

std::map<std::uint32_t, std::vector<std::uint32_t>> parse_comm_groups(std::string_view json,
                                                                      const std::string& file);
std::string comm_groups_json(const std::map<std::uint32_t, std::vector<std::uint32_t>>& groups);

// Reads `<prefix>.0.et` ... up to the first rank without a file (`.et` or `.et.gz`), and the comm-group
// file when `comm_groups` is not empty. Missing or malformed files are InputErrors naming them.
workload::TraceWorkload read_trace(const std::string& prefix, const std::string& comm_groups);
// Writes `<prefix>.<rank>.et` for every rank and `<prefix>.comm_groups.json`; returns the files written.
std::vector<std::string> write_trace(const workload::TraceWorkload& trace, const std::string& prefix);

}  // namespace aifabric::chakra
