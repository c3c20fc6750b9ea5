// A results folder is replaced as a whole or not at all (docs/output.md, "Replacing a folder").
#include "io/result_folder.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "io/writers.hpp"

namespace aifabric::io {
namespace {

namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  const fs::path root = fs::temp_directory_path() / ("aifabric_result_folder_" + name);
  fs::remove_all(root);
  fs::create_directories(root);
  return root;
}

std::size_t entries(const fs::path& dir) {
  std::size_t n = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++n;
  return n;
}

TEST(ResultFolder, ARerunReplacesEveryFileOfTheLastRun) {
  const fs::path root = fresh("rerun");
  const std::string out = (root / "out").string();
  {
    ResultFolder f(out, "first");
    write_file_atomic(f.staging() + "/summary.json", "{}");
    write_file_atomic(f.staging() + "/timeseries.csv", "t\n");
    f.commit();
  }
  EXPECT_TRUE(fs::exists(out + "/timeseries.csv"));
  {
    ResultFolder f(out, "second");
    write_file_atomic(f.staging() + "/summary.json", "{\"run\": 2}");
    f.commit();
  }
  EXPECT_FALSE(fs::exists(out + "/timeseries.csv")) << "a file of the first run survived the second";
  std::ifstream in(out + "/summary.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "{\"run\": 2}");
  EXPECT_TRUE(fs::exists(out + "/manifest.json"));
  EXPECT_EQ(entries(root), 1u) << "no staging folder is left beside the results";
}

TEST(ResultFolder, AFailedRunLeavesThePreviousResultsAndNoStaging) {
  const fs::path root = fresh("failed");
  const std::string out = (root / "out").string();
  {
    ResultFolder f(out, "first");
    write_file_atomic(f.staging() + "/summary.json", "first");
    f.commit();
  }
  {
    ResultFolder f(out, "second");
    write_file_atomic(f.staging() + "/summary.json", "second, never committed");
  }
  std::ifstream in(out + "/summary.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "first");
  EXPECT_EQ(entries(root), 1u);
}

TEST(ResultFolder, RefusesAFolderOfSomeoneElsesFiles) {
  const fs::path root = fresh("foreign");
  fs::create_directories(root / "mine");
  std::ofstream(root / "mine" / "thesis.tex") << "x";
  try {
    ResultFolder f((root / "mine").string(), "x");
    FAIL();
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("holds 'thesis.tex', which aifabric did not write"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::exists(root / "mine" / "thesis.tex"));
  EXPECT_THROW(ResultFolder((root / "mine" / "thesis.tex").string(), "x"), core::InputError);
}

TEST(ResultFolder, RemovesTheStagingOfAKilledRun) {
  const fs::path root = fresh("stale");
  // A pid above any kernel's pid_max: the run that made this folder is gone.
  fs::create_directories(root / ".out.partial-999999999");
  ResultFolder f((root / "out").string(), "x");
  EXPECT_FALSE(fs::exists(root / ".out.partial-999999999"));
}

}  // namespace
}  // namespace aifabric::io
