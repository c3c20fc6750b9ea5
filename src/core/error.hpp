#pragma once
#include <stdexcept>
#include <string>

namespace aifabric::core {

// Where a user-supplied value came from. `file` may be empty for values built in code; `line` is 1-based,
// 0 when unknown. `field` is the dotted path of the value (`topology.tiers.leaf.rate_gbps`).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;
};

// A user input error: a bad scenario, topology, workload or file. Always names the place and what was
// expected; the CLI prints `what()` and exits non-zero, the service returns it as a 4xx body.
class InputError : public std::runtime_error {
 public:
  InputError(Location where, const std::string& expected);
  const Location& where() const { return where_; }
  const std::string& expected() const { return expected_; }

 private:
  Location where_;
  std::string expected_;
};

// Programmer error inside the engine: an invariant that input validation should have made impossible.
[[noreturn]] void invariant_failed(const char* condition, const char* file, int line,
                                   const std::string& context);

}  // namespace aifabric::core

#define AIFABRIC_ASSERT(cond, context)                                                   \
  do {                                                                                   \
    if (!(cond)) ::aifabric::core::invariant_failed(#cond, __FILE__, __LINE__, context); \
  } while (0)
