#pragma once
#include <cstdint>
#include <vector>

namespace aifabric::backend {

// 64-bit tokens parked under 32-bit event targets: the engines' events carry a 32-bit target, a program's
// tokens need 64. Slots are recycled, so the table grows with pending events only.
class TokenSlots {
 public:
  std::uint32_t put(std::uint64_t token) {
    if (!free_.empty()) {
      const std::uint32_t s = free_.back();
      free_.pop_back();
      slots_[s] = token;
      return s;
    }
    slots_.push_back(token);
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  // Returns the token and frees the slot.
  std::uint64_t take(std::uint32_t slot) {
    free_.push_back(slot);
    return slots_[slot];
  }
  std::size_t capacity() const { return slots_.size(); }

 private:
  std::vector<std::uint64_t> slots_;
  std::vector<std::uint32_t> free_;
};

}  // namespace aifabric::backend
