#include "core/event_queue.hpp"

#include <string>

#include "core/error.hpp"

namespace aifabric::core {

void EventQueue::schedule(TimePs time, std::uint32_t target, std::uint32_t kind) {
  AIFABRIC_ASSERT(time >= now_, "event scheduled in the past at t=" + std::to_string(now_) + " ps");
  const Event e{time, seq_++, target, kind};
  if (time == now_) {
    now_fifo_.push(e);
    return;
  }
  heap_.push_back(e);
  sift_up(heap_.size() - 1);
}

Event EventQueue::pop() {
  // An event already in the heap for the current time was scheduled before anything in the FIFO
  // (FIFO entries are created at `now_`, heap entries for `now_` earlier), so compare sequence numbers.
  if (!now_fifo_.empty() && (heap_.empty() || !before(heap_.front(), now_fifo_.front()))) {
    return now_fifo_.pop();
  }
  const Event top = heap_.front();
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0);
  now_ = top.time;
  return top;
}

void EventQueue::sift_up(std::size_t i) {
  const Event e = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void EventQueue::sift_down(std::size_t i) {
  const std::size_t n = heap_.size();
  const Event e = heap_[i];
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t last = first + 4 < n ? first + 4 : n;
    for (std::size_t c = first + 1; c < last; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    if (!before(heap_[best], e)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

}  // namespace aifabric::core
