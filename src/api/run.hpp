#pragma once
#include "api/result.hpp"
#include "api/scenario.hpp"

namespace aifabric::api {

// Scenario -> Simulation -> Result. Thread-safe: each call owns its Simulation.
Result run(const Scenario& scenario);

// Instantiates the fabric without running it: the checks that need the built network (InfiniBand credit
// windows, for instance). Throws core::InputError. io::load_scenario calls it, so loaded scenarios pass.
void check(const Scenario& scenario);

// Peak resident set size of this process so far, bytes.
std::uint64_t peak_rss_bytes();

}  // namespace aifabric::api
