#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "api/result.hpp"
#include "api/scenario.hpp"

namespace aifabric::api {

// Told after each task ends (done of total so far), one call at a time: a progress display.
using TasksDone = std::function<void(std::size_t done, std::size_t total)>;

// Runs `count` independent tasks on up to `threads` threads (0 = the machine's cores). Each task owns its
// Simulation, so nothing is shared; results come back in task order, identical to a serial run.
void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& task,
                  const TasksDone& done = {});

// Runs every scenario (`simulate`) in parallel.
std::vector<Result> run_all(const std::vector<Scenario>& scenarios, unsigned threads = 0,
                            const TasksDone& done = {});

}  // namespace aifabric::api
