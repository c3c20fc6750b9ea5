#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/ring.hpp"
#include "core/time.hpp"

namespace aifabric::core {

// A pending event: what happens (`kind`) to which component (`target`) and when. Ordered by (time, seq):
// events at the same time run in the order they were scheduled, so a run is deterministic.
struct Event {
  TimePs time;
  std::uint64_t seq;
  std::uint32_t target;
  std::uint32_t kind;
};
static_assert(std::is_trivially_copyable_v<Event>);

// Array 4-ary min-heap on (time, seq), plus a FIFO for events scheduled at the current time (the most
// common case for zero-delay hand-offs), which skips the heap entirely.
class EventQueue {
 public:
  void schedule(TimePs time, std::uint32_t target, std::uint32_t kind);
  bool empty() const { return heap_.empty() && now_fifo_.empty(); }
  std::size_t size() const { return heap_.size() + now_fifo_.size(); }
  // Time of the earliest event; the queue must not be empty.
  TimePs next_time() const {
    if (!now_fifo_.empty() && (heap_.empty() || !before(heap_.front(), now_fifo_.front()))) return now_;
    return heap_.front().time;
  }
  // Removes and returns the earliest event; the queue must not be empty.
  Event pop();
  TimePs now() const { return now_; }
  std::uint64_t scheduled() const { return seq_; }

 private:
  static bool before(const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);

  std::vector<Event> heap_;
  Ring<Event> now_fifo_;
  TimePs now_ = 0;
  std::uint64_t seq_ = 0;
};

}  // namespace aifabric::core
