#include "dist/mpi_study.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>

#include "core/error.hpp"

namespace aifabric::dist {
namespace {

constexpr int kTag = 7;

// Length-prefixed framing of a process's report: binary-safe, no parser to trust.
void put(std::string& out, const std::string& s) {
  const std::uint64_t n = s.size();
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out += s;
}

std::string take(const std::string& in, std::size_t& at) {
  std::uint64_t n = 0;
  if (at + sizeof n > in.size()) throw std::runtime_error("truncated report from an MPI process");
  std::memcpy(&n, in.data() + at, sizeof n);
  at += sizeof n;
  if (n > in.size() - at) throw std::runtime_error("truncated report from an MPI process");
  std::string s = in.substr(at, n);
  at += n;
  return s;
}

// The next report of process `from`, whatever its length.
std::string receive(int from) {
  MPI_Status status;
  MPI_Probe(from, kTag, MPI_COMM_WORLD, &status);
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  std::string in(static_cast<std::size_t>(count), '\0');
  MPI_Recv(in.data(), count, MPI_BYTE, from, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return in;
}

bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

}  // namespace

World::World(int& argc, char**& argv) {
  if (!launched_by_mpirun()) return;
  MPI_Init(&argc, &argv);
  initialized_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

World::~World() {
  if (initialized_) MPI_Finalize();
}

whatif::Study run_study(const World& world, const std::vector<whatif::Variant>& variants,
                        const std::string& source, std::optional<api::NetworkModel> fidelity,
                        unsigned threads, const api::TasksDone& progress) {
  if (world.size() <= 1) return whatif::run_study(variants, source, fidelity, threads, {}, progress);
  const whatif::Shard shard{static_cast<std::size_t>(world.rank()), static_cast<std::size_t>(world.size())};
  whatif::Study study;
  std::string report;
  std::exception_ptr failure;
  try {
    study = whatif::run_study(variants, source, fidelity, threads, shard, progress);
    if (world.rank() != 0) {
      put(report, "ok");
      for (std::size_t i = 0; i < study.ran.size(); ++i) {
        if (!study.ran[i]) continue;
        put(report, std::to_string(i));
        put(report, whatif::outcome_json(study.outcomes[i]));
        const auto files = whatif::variant_files(study, i);
        put(report, std::to_string(files.size()));
        for (const auto& [name, content] : files) {
          put(report, name);
          put(report, content);
        }
      }
    }
  } catch (const std::exception& e) {
    failure = std::current_exception();
    report.clear();
    put(report, "error");
    put(report, e.what());
  }
  if (world.rank() != 0) {
    MPI_Send(report.data(), static_cast<int>(report.size()), MPI_BYTE, 0, kTag, MPI_COMM_WORLD);
    if (failure) std::rethrow_exception(failure);
    return study;
  }
  // Process 0: one report from every other process, in rank order; its own error first.
  std::string first_error;
  for (int r = 1; r < world.size(); ++r) {
    const std::string in = receive(r);
    if (failure || !first_error.empty()) continue;
    std::size_t at = 0;
    if (take(in, at) == "error") {
      first_error = fmt::format("process {}: {}", r, take(in, at));
      continue;
    }
    while (at < in.size()) {
      const std::size_t i = std::stoul(take(in, at));
      if (i >= study.ran.size()) throw std::runtime_error("an MPI process reported an unknown variant");
      study.outcomes[i] = whatif::outcome_from_json(take(in, at));
      const std::size_t files = std::stoul(take(in, at));
      for (std::size_t f = 0; f < files; ++f) {
        auto name = take(in, at);
        study.received[i].emplace_back(std::move(name), take(in, at));
      }
      study.ran[i] = true;
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (!first_error.empty()) throw std::runtime_error(first_error);
  whatif::compare_study(study);
  return study;
}

plan::Plan run_plan(const World& world, const io::Node& root, const std::string& source,
                    const api::TasksDone& progress) {
  if (world.size() <= 1) return plan::run_plan(root, source, progress);
  const auto size = static_cast<std::size_t>(world.size()), rank = static_cast<std::size_t>(world.rank());
  plan::Spread spread;
  spread.mine = [&](std::size_t i) { return i % size == rank; };
  spread.reports = rank == 0;
  spread.exchange = [&](std::vector<plan::DesignOutcome>& designs, const std::vector<bool>& evaluated) {
    if (rank != 0) {
      std::string report;
      for (std::size_t i = 0; i < designs.size(); ++i)
        if (evaluated[i]) {
          put(report, std::to_string(i));
          put(report, plan::evaluation_json(designs[i]));
        }
      MPI_Send(report.data(), static_cast<int>(report.size()), MPI_BYTE, 0, kTag, MPI_COMM_WORLD);
      return;
    }
    for (int r = 1; r < world.size(); ++r) {
      const std::string in = receive(r);
      for (std::size_t at = 0; at < in.size();) {
        const std::size_t i = std::stoul(take(in, at));
        if (i >= designs.size()) throw std::runtime_error("an MPI process reported an unknown design");
        plan::apply_evaluation(designs[i], take(in, at));
      }
    }
  };
  return plan::run_plan(root, source, progress, spread);
}

}  // namespace aifabric::dist
