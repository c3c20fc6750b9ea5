#include "workload/shared_links.hpp"

#include <algorithm>
#include <cmath>

namespace aifabric::workload {

SharedLinks::SharedLinks(std::vector<double> egress, std::vector<double> ingress,
                         std::function<void(core::TimePs, std::uint64_t)> set_timer)
    : egress_(std::move(egress)),
      ingress_(std::move(ingress)),
      set_timer_(std::move(set_timer)),
      out_(egress_.size()),
      in_(ingress_.size()) {}

void SharedLinks::reschedule(core::TimePs now, std::uint32_t t) {
  Transfer& x = transfers_[t];
  x.remaining = std::max(0.0, x.remaining - x.rate * static_cast<double>(now - x.since));
  x.since = now;
  x.rate = std::min(egress_[x.src] / static_cast<double>(out_[x.src].size()),
                    ingress_[x.dst] / static_cast<double>(in_[x.dst].size()));
  ++x.generation;
  const auto finish = now + static_cast<core::TimePs>(std::ceil(x.remaining / x.rate));
  set_timer_(finish, (static_cast<std::uint64_t>(x.generation & kGenerationMask) << 32) | t);
}

void SharedLinks::refresh_endpoint(core::TimePs now, std::uint32_t src, std::uint32_t dst) {
  // Copies: reschedule does not change the lists, but be explicit about what is visited.
  for (auto t : out_[src]) reschedule(now, t);
  for (auto t : in_[dst])
    if (transfers_[t].src != src) reschedule(now, t);
}

void SharedLinks::start(core::TimePs now, std::uint32_t src, std::uint32_t dst, double bytes,
                        std::uint64_t user) {
  std::uint32_t t;
  if (!free_.empty()) {
    t = free_.back();
    free_.pop_back();
  } else {
    t = static_cast<std::uint32_t>(transfers_.size());
    transfers_.push_back({});
  }
  const std::uint32_t generation = transfers_[t].generation;
  transfers_[t] = Transfer{src, dst, bytes, 0, now, generation, true, user};
  out_[src].push_back(t);
  in_[dst].push_back(t);
  ++active_;
  refresh_endpoint(now, src, dst);
}

bool SharedLinks::on_timer(core::TimePs now, std::uint64_t key, std::uint64_t& user) {
  const auto t = static_cast<std::uint32_t>(key & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(key >> 32) & kGenerationMask;
  if (t >= transfers_.size()) return false;
  Transfer& x = transfers_[t];
  if (!x.live || (x.generation & kGenerationMask) != generation) return false;  // superseded by a rate change
  x.live = false;
  user = x.user;
  auto erase = [t](std::vector<std::uint32_t>& v) { v.erase(std::find(v.begin(), v.end(), t)); };
  erase(out_[x.src]);
  erase(in_[x.dst]);
  ++x.generation;
  free_.push_back(t);
  --active_;
  refresh_endpoint(now, x.src, x.dst);
  return true;
}

}  // namespace aifabric::workload
