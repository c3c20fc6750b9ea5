#pragma once
#include <stdexcept>
#include <string>

namespace aifabric::core {

// Where a user-supplied value came from. `file` may be empty for values built in code or not yet known;
// `line` is 1-based, 0 when unknown. `field` is the dotted path of the value
// (`topology.tiers.leaf.rate_gbps`).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;
};

// A user input error: a bad scenario, topology, workload, request or file. Always names the place and what
// was expected; the CLI prints `what()` and exits non-zero, the service returns `to_json()` in a 4xx body.
// A check deep in a model knows the field but not the file: the loader that called it attaches the rest
// with `under` and `located`, so no one parses or rebuilds the message.
class InputError : public std::runtime_error {
 public:
  InputError(Location where, const std::string& expected);
  const Location& where() const { return where_; }
  const std::string& expected() const { return expected_; }

  // The same error with `prefix` before its field: "jobs[2]" + "parallelism.tp" = "jobs[2].parallelism.tp".
  InputError under(const std::string& prefix) const;
  // The same error with the file, line and column filled in where they are still unknown.
  InputError located(const std::string& file, int line, int column) const;
  // {"file": ..., "line": ..., "column": ..., "field": ..., "expected": ..., "message": what()}.
  std::string to_json() const;

 private:
  Location where_;
  std::string expected_;
};

// A problem with `field` (relative to whatever was checked) and what was expected there.
inline InputError field_error(const std::string& field, const std::string& expected) {
  return InputError(Location{"", 0, 0, field}, expected);
}

// Programmer error inside the engine: an invariant that input validation should have made impossible.
[[noreturn]] void invariant_failed(const char* condition, const char* file, int line,
                                   const std::string& context);

}  // namespace aifabric::core

#define AIFABRIC_ASSERT(cond, context)                                                   \
  do {                                                                                   \
    if (!(cond)) ::aifabric::core::invariant_failed(#cond, __FILE__, __LINE__, context); \
  } while (0)
