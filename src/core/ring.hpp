#pragma once
#include <cstdint>
#include <vector>

namespace aifabric::core {

// FIFO ring buffer with power-of-two capacity. Grows by doubling while the simulation warms up; in steady
// state push and pop never allocate.
template <class T>
class Ring {
 public:
  bool empty() const { return head_ == tail_; }
  std::uint32_t size() const { return tail_ - head_; }
  const T& front() const { return buf_[head_ & mask_]; }
  T& front() { return buf_[head_ & mask_]; }
  const T& at(std::uint32_t i) const { return buf_[(head_ + i) & mask_]; }
  void push(const T& v) {
    if (size() == buf_.size()) grow();
    buf_[tail_++ & mask_] = v;
  }
  T pop() { return buf_[head_++ & mask_]; }
  void clear() { head_ = tail_ = 0; }

 private:
  void grow() {
    std::vector<T> next(buf_.empty() ? 8 : buf_.size() * 2);
    for (std::uint32_t i = 0; i < size(); ++i) next[i] = at(i);
    tail_ = size();
    head_ = 0;
    buf_.swap(next);
    mask_ = static_cast<std::uint32_t>(buf_.size() - 1);
  }
  std::vector<T> buf_;
  std::uint32_t head_ = 0;
  std::uint32_t tail_ = 0;
  std::uint32_t mask_ = 0;
};

}  // namespace aifabric::core
