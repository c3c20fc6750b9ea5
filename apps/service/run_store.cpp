#include "run_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <stdexcept>

namespace aifabric::service {
namespace {

constexpr const char* kInterrupted =
    "the service stopped while the run was in progress (killed or restarted); its results were discarded";

// A prepared statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const std::string& path) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(fmt::format("{}: {}", path, sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  bool step(const std::string& path) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(fmt::format("{}: {}", path, sqlite3_errmsg(db_)));
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

RunStore::RunStore(const std::string& path) : path_(path) {
  // The records hold the bearer tokens that own the runs: readable by this user only, like a token file.
  const mode_t old = ::umask(077);
  const int rc = sqlite3_open(path.c_str(), &db_);
  ::umask(old);
  if (rc != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error(fmt::format("{}: cannot open the run database: {}", path, why));
  }
  sqlite3_busy_timeout(db_, 5000);
  exec(
      "CREATE TABLE IF NOT EXISTS runs (number INTEGER PRIMARY KEY, owner TEXT NOT NULL, command TEXT NOT "
      "NULL, "
      "state TEXT NOT NULL, error TEXT NOT NULL, simulated_ps INTEGER NOT NULL, events INTEGER NOT NULL)");
  Statement fail(db_, "UPDATE runs SET state = 'failed', error = ?1 WHERE state IN ('queued', 'running')",
                 path_);
  fail.bind(1, std::string(kInterrupted)).step(path_);
  interrupted_ = static_cast<std::size_t>(sqlite3_changes(db_));
}

RunStore::~RunStore() {
  sqlite3_close(db_);
}

void RunStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error(fmt::format("{}: {}", path_, why));
  }
}

std::vector<RunRecord> RunStore::all() const {
  Statement s(db_,
              "SELECT number, owner, command, state, error, simulated_ps, events FROM runs ORDER BY number",
              path_);
  std::vector<RunRecord> out;
  while (s.step(path_))
    out.push_back({static_cast<std::uint64_t>(s.integer(0)), s.text(1), s.text(2), s.text(3), s.text(4),
                   s.integer(5), static_cast<std::uint64_t>(s.integer(6))});
  return out;
}

void RunStore::insert(const RunRecord& r) {
  Statement s(db_, "INSERT INTO runs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", path_);
  s.bind(1, static_cast<std::int64_t>(r.number))
      .bind(2, r.owner)
      .bind(3, r.command)
      .bind(4, r.state)
      .bind(5, r.error)
      .bind(6, r.simulated_ps)
      .bind(7, static_cast<std::int64_t>(r.events))
      .step(path_);
}

void RunStore::finish(std::uint64_t number, const std::string& state, const std::string& error,
                      std::int64_t simulated_ps, std::uint64_t events) {
  Statement s(db_, "UPDATE runs SET state = ?1, error = ?2, simulated_ps = ?3, events = ?4 WHERE number = ?5",
              path_);
  s.bind(1, state)
      .bind(2, error)
      .bind(3, simulated_ps)
      .bind(4, static_cast<std::int64_t>(events))
      .bind(5, static_cast<std::int64_t>(number))
      .step(path_);
}

}  // namespace aifabric::service
