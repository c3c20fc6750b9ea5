#include "api/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "api/run.hpp"

namespace aifabric::api {

void parallel_for(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& task,
                  const TasksDone& done) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, count));
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex, done_mutex;
  std::size_t finished = 0;
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        task(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
      if (done) {
        const std::lock_guard<std::mutex> lock(done_mutex);
        done(++finished, count);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

std::vector<Result> run_all(const std::vector<Scenario>& scenarios, unsigned threads, const TasksDone& done) {
  std::vector<Result> results(scenarios.size());
  parallel_for(
      scenarios.size(), threads, [&](std::size_t i) { results[i] = run(scenarios[i]); }, done);
  return results;
}

}  // namespace aifabric::api
