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

// Priority queue of events in (time, seq) order.
//
// A timing wheel of kBuckets buckets, each kBucketPs wide, covers the near future. Later buckets are
// chains of small event blocks from one recycled pool, in scheduling (= seq) order, so the wheel's memory
// follows the pending events and is reused while hot in cache. The bucket holding the current time is a
// sorted array consumed from the front: when a bucket becomes current it only needs a stable sort by time,
// and none when its events share one time (the common case when synchronized senders make thousands of events
// coincide). Events beyond the wheel wait in an overflow 4-ary heap; events at the current time skip all
// of it through a FIFO. bench/bench_event_queue.cpp measures this against a single heap.
class EventQueue {
 public:
  EventQueue();
  void schedule(TimePs time, std::uint32_t target, std::uint32_t kind);
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // Time of the earliest event; the queue must not be empty.
  TimePs next_time();
  // Removes and returns the earliest event; the queue must not be empty.
  Event pop();
  TimePs now() const { return now_; }
  std::uint64_t scheduled() const { return seq_; }
  // The event after the one just popped, when it is already known without refilling (for prefetching).
  const Event* peek_ready() const {
    return current_pos_ < current_.size() ? &current_[current_pos_] : nullptr;
  }

  static constexpr int kBucketBits = 12;  // 4.096 ns per bucket
  static constexpr int kWheelBits = 12;   // 4096 buckets: 16.8 us of near future
  static constexpr std::size_t kBuckets = std::size_t{1} << kWheelBits;

 private:
  // One branch-free 128-bit comparison of (time, seq).
  static bool before(const Event& a, const Event& b) {
    return ((static_cast<Uint128>(static_cast<std::uint64_t>(a.time)) << 64) | a.seq) <
           ((static_cast<Uint128>(static_cast<std::uint64_t>(b.time)) << 64) | b.seq);
  }
  static void heap_push(std::vector<Event>& h, const Event& e);
  static Event heap_pop(std::vector<Event>& h);
  static std::size_t bucket_of(TimePs t) {
    return static_cast<std::size_t>(t >> kBucketBits) & (kBuckets - 1);
  }
  // Makes `current_` hold the earliest pending bucket, moving its events in from the wheel or overflow.
  void refill();

  // Buckets are chains of small blocks of events: appends and the walk at refill touch few cache lines.
  static constexpr std::uint32_t kBlockEvents = 6;
  struct Block {
    Event events[kBlockEvents];
    std::uint32_t count;
    std::uint32_t next;
  };
  static constexpr std::uint32_t kEnd = 0xffffffffu;

  std::vector<Event> current_;  // sorted: events of the bucket starting at base_, from current_pos_ on
  std::size_t current_pos_ = 0;
  std::vector<std::uint32_t> wheel_;       // first block of each bucket's chain
  std::vector<std::uint32_t> wheel_tail_;  // last block of each bucket's chain
  std::vector<Block> blocks_;
  std::uint32_t free_block_ = kEnd;
  std::vector<std::uint64_t> occupied_;  // bit per wheel bucket
  std::vector<Event> overflow_;          // heap: events at or beyond base_ + wheel span
  Ring<Event> now_fifo_;
  TimePs base_ = 0;  // start of the current bucket
  TimePs now_ = 0;
  std::uint64_t seq_ = 0;
  std::size_t size_ = 0;
  std::size_t in_wheel_ = 0;
};

}  // namespace aifabric::core
