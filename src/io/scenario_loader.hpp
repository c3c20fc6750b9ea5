#pragma once
#include <string>
#include <vector>

#include "api/scenario.hpp"
#include "io/node.hpp"

namespace aifabric::io {

// Reads, validates and resolves a scenario. Every problem is a core::InputError naming the file, line and
// field. `seed_override` >= 0 replaces the scenario's seed (it seeds the traffic generators too).
api::Scenario load_scenario_file(const std::string& path, std::int64_t seed_override = -1);
api::Scenario load_scenario_text(const std::string& yaml, const std::string& source,
                                 std::int64_t seed_override = -1);
// The same from a document tree, whatever format it was read from (YAML here, JSON in the service), so
// one set of schemas, defaults, ranges and errors serves both.
// With `may_read_files` false (documents from the network) a scenario that names a file (a job's Chakra
// trace) is refused.
api::Scenario load_scenario_document(const Node& root, const std::string& source,
                                     std::int64_t seed_override = -1, bool may_read_files = true);
// A fabric of `kind` with every parameter at its declared default and the rules applied, as a scenario
// with only `fabric: {kind: ...}` gets it: for code that builds networks without a document (tests,
// planners).
net::FabricConfig fabric_defaults(net::FabricKind kind);
// `path` or `example:NAME` for a built-in example.
api::Scenario load_scenario(const std::string& path_or_example, std::int64_t seed_override = -1);

// The YAML text of `path_or_example` (a file or example:NAME).
std::string scenario_text(const std::string& path_or_example);
// The same read into a document tree (for what-if variants of it).
Node scenario_document(const std::string& path_or_example);

}  // namespace aifabric::io
