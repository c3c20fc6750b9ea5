#include "io/result_folder.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "core/error.hpp"
#include "io/writers.hpp"

namespace aifabric::io {

namespace fs = std::filesystem;

namespace {

// What aifabric writes into a results folder; anything else there means the folder is someone else's.
bool ours(const fs::path& entry) {
  static const std::set<std::string> kFiles = {
      "manifest.json", "summary.json",   "flows.csv",   "ports.csv", "timeseries.csv",
      "assess.json",   "collective.csv", "sweep.csv",   "plan.json", "summary.txt",
      "bom.csv",       "cabling.csv",    "whatif.csv",  "links.csv", "metrics.om",
      "telemetry.csv", "diagnosis.json", "report.html", "shard.json"};
  const std::string name = entry.filename().string();
  if (fs::is_directory(entry))
    return name == "designs" || (!name.empty() && std::all_of(name.begin(), name.end(),
                                                              [](char c) { return c >= '0' && c <= '9'; }));
  return kFiles.count(name) > 0;
}

core::InputError out_error(const std::string& dir, const std::string& what) {
  return core::InputError(core::Location{dir, 0, 0, "--out"}, what);
}

// Staging folders of runs that are no longer alive (killed before their commit).
void remove_stale_staging(const fs::path& parent, const std::string& prefix) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
}

}  // namespace

ResultFolder::ResultFolder(const std::string& dir, const std::string& command)
    : dir_(dir), command_(command) {
  std::error_code ec;
  const fs::path target = fs::absolute(dir, ec);
  if (ec || dir.empty() || target.filename().empty() || target.filename() == "." || target.filename() == "..")
    throw out_error(dir, "expected a folder path with a name, such as out or results/run1");
  if (fs::exists(target)) {
    if (!fs::is_directory(target)) throw out_error(dir, "exists and is not a folder");
    for (const auto& e : fs::directory_iterator(target, ec))
      if (!ours(e.path()))
        throw out_error(dir, fmt::format("holds '{}', which aifabric did not write; choose another folder "
                                         "(results replace the whole folder)",
                                         e.path().filename().string()));
  }
  const fs::path parent = target.parent_path();
  fs::create_directories(parent, ec);
  if (ec) throw out_error(dir, "cannot create its parent folder: " + ec.message());
  const std::string prefix = fmt::format(".{}.partial-", target.filename().string());
  remove_stale_staging(parent, prefix);
  staging_ = (parent / fmt::format("{}{}", prefix, ::getpid())).string();
  fs::remove_all(staging_, ec);
  if (!fs::create_directory(staging_, ec) || ec)
    throw out_error(dir, "cannot create a staging folder beside it: " + ec.message());
  dir_ = target.string();
}

ResultFolder::~ResultFolder() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void ResultFolder::commit() {
  try {
    swap_in();
  } catch (const fs::filesystem_error& e) {
    throw out_error(dir_, e.code().message());
  }
}

void ResultFolder::swap_in() {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(staging_))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), staging_).string());
  std::sort(files.begin(), files.end());
  const nlohmann::ordered_json manifest = {{"tool", "aifabric"}, {"command", command_}, {"files", files}};
  write_file_atomic(staging_ + "/manifest.json",
                    manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  std::error_code ec;
  if (!fs::exists(dir_)) {
    fs::rename(staging_, dir_, ec);
    if (ec) throw out_error(dir_, "cannot move the results in place: " + ec.message());
  } else if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dir_.c_str(), RENAME_EXCHANGE) != 0) {
    // Without an atomic exchange (some filesystems): the old folder moves aside first, so a kill between
    // the two renames leaves no folder at all rather than a mix.
    const std::string old = staging_ + ".old";
    fs::rename(dir_, old, ec);
    if (!ec) fs::rename(staging_, dir_, ec);
    if (ec) throw out_error(dir_, "cannot move the results in place: " + ec.message());
    fs::remove_all(old, ec);
    committed_ = true;
    return;
  }
  committed_ = true;
  fs::remove_all(staging_, ec);  // after the exchange it holds the previous results
}

}  // namespace aifabric::io
