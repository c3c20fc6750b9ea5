#include "whatif/shards.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"

namespace aifabric::whatif {
namespace {

namespace fs = std::filesystem;

core::InputError merge_error(const std::string& dir, const std::string& what) {
  return core::InputError(core::Location{dir, 0, 0, "--merge"}, what);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  const auto bad = [&] {
    return core::InputError(core::Location{"", 0, 0, "--shard"},
                            fmt::format("'{}': expected I/N with 0 <= I < N, such as 0/4", text));
  };
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size()) throw bad();
  const auto digits = [](const std::string& s) {
    return !s.empty() && s.size() < 10 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::string i = text.substr(0, slash), n = text.substr(slash + 1);
  if (!digits(i) || !digits(n)) throw bad();
  const Shard shard{std::stoul(i), std::stoul(n)};
  if (shard.count == 0 || shard.index >= shard.count) throw bad();
  return shard;
}

std::string shard_json(const Study& study, const Shard& shard) {
  nlohmann::ordered_json j;
  j["shard"] = fmt::format("{}/{}", shard.index, shard.count);
  j["labels"] = study.labels;
  auto outcomes = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < study.ran.size(); ++i)
    if (study.ran[i]) outcomes[std::to_string(i)] = nlohmann::json::parse(outcome_json(study.outcomes[i]));
  j["outcomes"] = outcomes;
  return j.dump() + "\n";
}

void merge_shard(Study& study, const std::string& dir) {
  const fs::path path = fs::path(dir) / "shard.json";
  if (!fs::exists(path))
    throw merge_error(dir, "expected a folder written by `--shard I/N --out DIR` (it has no shard.json)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
    if (j.at("labels").get<std::vector<std::string>>() != study.labels)
      throw merge_error(dir, "holds a shard of another study (its variants differ from this command's)");
    for (const auto& [key, outcome] : j.at("outcomes").items()) {
      const std::size_t i = std::stoul(key);
      if (i >= study.ran.size())
        throw merge_error(dir, fmt::format("names variant {}, which this study lacks", i));
      study.outcomes[i] = outcome_from_json(outcome.dump());
      const fs::path folder = fs::path(dir) / key;
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(folder))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      study.received[i].clear();
      for (const auto& f : files) study.received[i].emplace_back(f.filename().string(), read_file(f));
      if (study.received[i].empty()) throw merge_error(dir, fmt::format("variant {}'s folder is empty", i));
      study.ran[i] = true;
    }
  } catch (const nlohmann::json::exception& e) {
    throw merge_error(dir, fmt::format("shard.json is not as aifabric writes it: {}", e.what()));
  } catch (const fs::filesystem_error& e) {
    throw merge_error(dir, fmt::format("a variant folder cannot be read: {}", e.what()));
  } catch (const std::logic_error&) {
    throw merge_error(dir, "shard.json names a variant that is not a number");
  }
}

void finish_merge(Study& study) {
  for (std::size_t i = 0; i < study.ran.size(); ++i)
    if (!study.ran[i])
      throw core::InputError(
          core::Location{"", 0, 0, "--merge"},
          fmt::format("variant {} ({}) is in none of the shard folders", i, study.labels[i]));
  compare_study(study);
}

}  // namespace aifabric::whatif
