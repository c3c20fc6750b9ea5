#pragma once
#include <cstdint>
#include <memory>

namespace aifabric::core {

// FIFO ring buffer with power-of-two capacity, 24 bytes when empty. Grows by doubling while the simulation
// warms up; in steady state push and pop never allocate.
template <class T>
class Ring {
 public:
  Ring() = default;
  Ring(Ring&&) noexcept = default;
  Ring& operator=(Ring&&) noexcept = default;

  bool empty() const { return head_ == tail_; }
  std::uint32_t size() const { return tail_ - head_; }
  const T& front() const { return buf_[head_ & mask_]; }
  T& front() { return buf_[head_ & mask_]; }
  const T& at(std::uint32_t i) const { return buf_[(head_ + i) & mask_]; }
  void push(const T& v) {
    if (!buf_ || size() == mask_ + 1) grow();
    buf_[tail_++ & mask_] = v;
  }
  T pop() { return buf_[head_++ & mask_]; }

 private:
  void grow() {
    const std::uint32_t capacity = buf_ ? 2 * (mask_ + 1) : 8;
    std::unique_ptr<T[]> next(new T[capacity]);
    const std::uint32_t n = size();
    for (std::uint32_t i = 0; i < n; ++i) next[i] = at(i);
    buf_ = std::move(next);
    head_ = 0;
    tail_ = n;
    mask_ = capacity - 1;
  }
  std::unique_ptr<T[]> buf_;
  std::uint32_t head_ = 0;
  std::uint32_t tail_ = 0;
  std::uint32_t mask_ = 0;
};

}  // namespace aifabric::core
