#pragma once
#include <string>

namespace aifabric::io {

// The folder a command writes its results into (`--out`), replaced as a whole. Files go into a hidden
// staging folder beside it (`.NAME.partial-PID`); commit() writes `manifest.json` (the files, the
// command) into it and swaps it in for the old folder in one rename (Linux's RENAME_EXCHANGE), so the
// folder holds either the previous run's complete results or this run's, never a mix. A failed run
// removes its staging folder; a killed one leaves only that hidden folder, which the next run into the
// same place removes. An existing folder holding anything aifabric does not write is refused (exit 2), so
// a mistyped --out cannot replace someone's files.
class ResultFolder {
 public:
  // Checks the target and creates the staging folder; `command` goes into the manifest.
  ResultFolder(const std::string& dir, const std::string& command);
  ~ResultFolder();
  ResultFolder(const ResultFolder&) = delete;
  ResultFolder& operator=(const ResultFolder&) = delete;

  // Where to write the results before commit(): the staging folder.
  const std::string& staging() const { return staging_; }
  void commit();

 private:
  void prepare();
  void swap_in();
  std::string dir_, staging_, command_;
  bool committed_ = false;
};

}  // namespace aifabric::io
