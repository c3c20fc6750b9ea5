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

// The YAML text of `path_or_example` (a file or example:NAME).
std::string scenario_text(const std::string& path_or_example);

// A what-if variant: `yaml` with the value at `path` (dotted keys, [i] for list items, as in error
// messages: "fabric.load_balancing", "traffic[0].size_bytes") replaced by `value`, itself YAML
// ("spray", "2MB", "{kind: ecmp}"). Missing mapping keys are created; the loader then checks them.
std::string with_override(const std::string& yaml, const std::string& path, const std::string& value);

// Every parameter the scenario format accepts, in declaration order.
std::vector<ParamDoc> parameter_reference();
// The same, as the markdown document kept in docs/parameters.md.
std::string parameter_reference_markdown();

}  // namespace aifabric::io
