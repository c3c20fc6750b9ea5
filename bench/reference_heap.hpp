#pragma once
// The baseline the engine's timing wheel is measured against: a plain array 4-ary heap on (time, seq), the
// structure STYLE.md says to start from.
#include <cstdint>
#include <vector>

#include "core/event_queue.hpp"

namespace aifabric::bench {

class ReferenceHeap {
 public:
  void schedule(core::TimePs time, std::uint32_t target, std::uint32_t kind) {
    heap_.push_back({time, seq_++, target, kind});
    std::size_t i = heap_.size() - 1;
    const core::Event e = heap_[i];
    while (i > 0 && before(e, heap_[(i - 1) / 4])) {
      heap_[i] = heap_[(i - 1) / 4];
      i = (i - 1) / 4;
    }
    heap_[i] = e;
  }
  bool empty() const { return heap_.empty(); }
  core::Event pop() {
    const core::Event top = heap_.front();
    const core::Event last = heap_.back();
    heap_.pop_back();
    std::size_t i = 0;
    const std::size_t n = heap_.size();
    while (n > 0) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      for (std::size_t c = first + 1; c < first + 4 && c < n; ++c)
        if (before(heap_[c], heap_[best])) best = c;
      if (!before(heap_[best], last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    if (n > 0) heap_[i] = last;
    now_ = top.time;
    return top;
  }
  core::TimePs now() const { return now_; }

 private:
  static bool before(const core::Event& a, const core::Event& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  std::vector<core::Event> heap_;
  std::uint64_t seq_ = 0;
  core::TimePs now_ = 0;
};

}  // namespace aifabric::bench
