#include "core/event_queue.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"

namespace aifabric::core {

namespace {
constexpr TimePs kBucketPs = TimePs{1} << EventQueue::kBucketBits;
constexpr TimePs kWheelSpanPs = kBucketPs * static_cast<TimePs>(EventQueue::kBuckets);
}  // namespace

EventQueue::EventQueue() : wheel_(kBuckets, kEnd), wheel_tail_(kBuckets, kEnd), occupied_(kBuckets / 64, 0) {}

void EventQueue::heap_push(std::vector<Event>& h, const Event& e) {
  h.push_back(e);
  std::size_t i = h.size() - 1;
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!before(e, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

Event EventQueue::heap_pop(std::vector<Event>& h) {
  const Event top = h.front();
  const Event last = h.back();
  h.pop_back();
  const std::size_t n = h.size();
  if (n == 0) return top;
  // Bottom-up deletion (Floyd): walk the hole to the bottom along the smallest children, then sift the last
  // element up from there; it usually belongs near the bottom, which saves most comparisons.
  std::size_t hole = 0;
  for (;;) {
    const std::size_t first = 4 * hole + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t end = first + 4 < n ? first + 4 : n;
    for (std::size_t c = first + 1; c < end; ++c)
      if (before(h[c], h[best])) best = c;
    h[hole] = h[best];
    hole = best;
  }
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / 4;
    if (!before(last, h[parent])) break;
    h[hole] = h[parent];
    hole = parent;
  }
  h[hole] = last;
  return top;
}

void EventQueue::schedule(TimePs time, std::uint32_t target, std::uint32_t kind) {
  AIFABRIC_ASSERT(time >= now_, "event scheduled in the past at t=" + std::to_string(now_) + " ps");
  const Event e{time, seq_++, target, kind};
  ++size_;
  if (time == now_) {
    now_fifo_.push(e);
  } else if (time < base_ + kBucketPs) {
    // After every pending event of the current bucket with time <= `time`: its seq is the largest.
    auto pos = std::upper_bound(current_.begin() + static_cast<std::ptrdiff_t>(current_pos_), current_.end(),
                                e, [](const Event& a, const Event& b) { return a.time < b.time; });
    current_.insert(pos, e);
  } else if (time < base_ + kWheelSpanPs) {
    const std::size_t b = bucket_of(time);
    std::uint32_t tail = wheel_tail_[b];
    if (wheel_[b] == kEnd || blocks_[tail].count == kBlockEvents) {
      std::uint32_t n = free_block_;
      if (n == kEnd) {
        n = static_cast<std::uint32_t>(blocks_.size());
        blocks_.emplace_back();
      } else {
        free_block_ = blocks_[n].next;
      }
      blocks_[n].count = 0;
      blocks_[n].next = kEnd;
      if (wheel_[b] == kEnd) {
        wheel_[b] = n;
      } else {
        blocks_[tail].next = n;
      }
      wheel_tail_[b] = tail = n;
    }
    Block& block = blocks_[tail];
    block.events[block.count++] = e;
    occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
    ++in_wheel_;
  } else {
    heap_push(overflow_, e);
  }
}

void EventQueue::refill() {
  if (current_pos_ < current_.size()) return;
  current_.clear();
  current_pos_ = 0;
  // The next occupied wheel bucket after the current one (the wheel only holds times after base_).
  TimePs next = -1;
  if (in_wheel_ > 0) {
    const std::size_t start = (bucket_of(base_) + 1) % kBuckets;
    for (std::size_t step = 0; step < kBuckets;) {
      const std::size_t b = (start + step) % kBuckets;
      const std::uint64_t word = occupied_[b / 64] >> (b % 64);
      if (word != 0) {
        const std::size_t found = (b + static_cast<std::size_t>(__builtin_ctzll(word))) % kBuckets;
        const std::size_t ahead = (found + kBuckets - bucket_of(base_)) % kBuckets;
        next = base_ + static_cast<TimePs>(ahead) * kBucketPs;
        break;
      }
      step += 64 - b % 64;
    }
  }
  if (!overflow_.empty()) {
    const TimePs o = overflow_.front().time & ~(kBucketPs - 1);
    if (next < 0 || o < next) next = o;
  }
  if (next < 0) return;
  base_ = next;
  const std::size_t b = bucket_of(base_);
  if (wheel_[b] != kEnd && blocks_[wheel_[b]].events[0].time < base_ + kBucketPs) {
    for (std::uint32_t n = wheel_[b]; n != kEnd;) {
      Block& block = blocks_[n];
      const std::uint32_t after = block.next;
      current_.insert(current_.end(), block.events, block.events + block.count);
      in_wheel_ -= block.count;
      block.next = free_block_;
      free_block_ = n;
      n = after;
    }
    wheel_[b] = kEnd;
    occupied_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
  }
  bool from_overflow = false;  // set when overflow events join the bucket
  while (!overflow_.empty() && overflow_.front().time < base_ + kBucketPs) {
    current_.push_back(heap_pop(overflow_));
    from_overflow = true;
  }
  // The list is in seq order and nearly sorted by time (events coincide or arrive in time order), so a
  // stable insertion sort by time costs little more than a scan and gives (time, seq) order. If it turns
  // out far from sorted, or events from the overflow heap (which interleave in seq) joined, sort on both
  // keys instead.
  if (from_overflow) {
    std::sort(current_.begin(), current_.end(), before);
    return;
  }
  std::size_t budget = 64 + 16 * current_.size();
  for (std::size_t i = 1; i < current_.size(); ++i) {
    if (current_[i].time >= current_[i - 1].time) continue;
    const Event e = current_[i];
    std::size_t j = i;
    for (; j > 0 && current_[j - 1].time > e.time; --j) current_[j] = current_[j - 1];
    current_[j] = e;
    budget -= std::min(budget, i - j);
    if (budget == 0) {
      std::sort(current_.begin(), current_.end(), before);
      return;
    }
  }
}

TimePs EventQueue::next_time() {
  if (!now_fifo_.empty()) {
    if (current_pos_ == current_.size() || !before(current_[current_pos_], now_fifo_.front())) return now_;
  }
  refill();
  return current_[current_pos_].time;
}

Event EventQueue::pop() {
  --size_;
  // Heap entries for the current time were scheduled before anything in the FIFO (which only receives
  // events at `now_`), so compare sequence numbers before taking from the FIFO.
  if (!now_fifo_.empty() &&
      (current_pos_ == current_.size() || !before(current_[current_pos_], now_fifo_.front())))
    return now_fifo_.pop();
  refill();
  const Event e = current_[current_pos_++];
  now_ = e.time;
  return e;
}

}  // namespace aifabric::core
