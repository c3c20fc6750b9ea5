#pragma once
#include <string>
#include <vector>

#include "api/scenario.hpp"
#include "io/schema.hpp"

namespace aifabric::io {

// Reads, validates and resolves a scenario. Every problem is a core::InputError naming the file, line and
// field. `seed_override` >= 0 replaces the scenario's seed (it seeds the traffic generators too).
api::Scenario load_scenario_file(const std::string& path, std::int64_t seed_override = -1);
api::Scenario load_scenario_text(const std::string& yaml, const std::string& source,
                                 std::int64_t seed_override = -1);
// `path` or `example:NAME` for a built-in example.
api::Scenario load_scenario(const std::string& path_or_example, std::int64_t seed_override = -1);

// Every parameter the scenario format accepts, in declaration order.
std::vector<ParamDoc> parameter_reference();
// The same, as the markdown document kept in docs/parameters.md.
std::string parameter_reference_markdown();

}  // namespace aifabric::io
