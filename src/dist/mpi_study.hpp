#pragma once
#include <optional>
#include <string>
#include <vector>

#include "plan/planner.hpp"
#include "whatif/study.hpp"
#include "whatif/variants.hpp"

namespace aifabric::dist {

// The processes of an `mpirun` launch, or this process alone when it was not launched by one (MPI is
// initialized only under mpirun, so a plain run needs no MPI runtime).
class World {
 public:
  World(int& argc, char**& argv);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  bool initialized_ = false;
  int rank_ = 0, size_ = 1;
};

// The study spread over the world: process r runs the variants of Shard{r, size} on `threads` threads, and
// sends their outcomes and result files to process 0, which returns the complete study (identical to
// whatif::run_study's); `progress` counts this process's variants. The other processes return their own,
// incomplete. An error in any process is rethrown in process 0, after every process has reported, so nothing
// waits forever.
whatif::Study run_study(const World& world, const std::vector<whatif::Variant>& variants,
                        const std::string& source, std::optional<api::NetworkModel> fidelity,
                        unsigned threads, const api::TasksDone& progress = {});

// The plan spread over the world (plan::Spread): process r evaluates the designs whose index modulo the
// world's size is r, and sends their evaluations to process 0, which returns the complete plan (identical to
// plan::run_plan's). The other processes return theirs, incomplete.
plan::Plan run_plan(const World& world, const io::Node& root, const std::string& source,
                    const api::TasksDone& progress = {});

}  // namespace aifabric::dist
