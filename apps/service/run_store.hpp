#pragma once
#include <cstdint>
#include <string>
#include <vector>

struct sqlite3;

namespace aifabric::service {

// The service's run records in an embedded SQLite database (`<data-dir>/runs.sqlite3`), beside the runs'
// result folders, so a restarted service still lists and serves the runs it finished. Opening the store
// marks every run it finds queued or running as failed: the process that ran it is gone, and its results
// were never committed (io::ResultFolder), so nothing may present them as complete.
struct RunRecord {
  std::uint64_t number = 0;  // the id is "r<number>"
  std::string owner;         // the bearer token that started it ("" without authentication)
  std::string command;
  std::string state;  // queued, running, succeeded, failed, cancelled
  std::string error;
  std::int64_t simulated_ps = 0;
  std::uint64_t events = 0;
};

class RunStore {
 public:
  // Opens (creating) the database; throws std::runtime_error naming the file when it cannot.
  explicit RunStore(const std::string& path);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  std::vector<RunRecord> all() const;  // by number
  void insert(const RunRecord& r);
  void finish(std::uint64_t number, const std::string& state, const std::string& error,
              std::int64_t simulated_ps, std::uint64_t events);
  // Runs found in progress when the store was opened, now failed.
  std::size_t interrupted() const { return interrupted_; }

 private:
  void exec(const std::string& sql);
  sqlite3* db_ = nullptr;
  std::string path_;
  std::size_t interrupted_ = 0;
};

}  // namespace aifabric::service
