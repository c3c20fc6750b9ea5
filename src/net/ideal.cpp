#include "net/ideal.hpp"

#include <algorithm>

namespace aifabric::net {

core::TimePs ideal_completion_ps(std::span<const PathHop> hops, std::uint64_t packets) {
  core::TimePs latency = 0;
  core::TimePs last_total = 0;
  for (const auto& h : hops) {
    latency += h.latency_ps;
    last_total += h.ser_last_ps;
  }
  if (packets <= 1) return latency + last_total;
  // E = P + max_h [ S(<=h) + (n-2) M(<=h) + S'(>=h) ]: the longest path through the (packet, hop) grid.
  const auto n2 = static_cast<core::TimePs>(packets - 2);
  core::TimePs best = 0, prefix_full = 0, prefix_max = 0, suffix_last = last_total;
  for (const auto& h : hops) {
    prefix_full += h.ser_full_ps;
    prefix_max = std::max(prefix_max, h.ser_full_ps);
    best = std::max(best, prefix_full + n2 * prefix_max + suffix_last);
    suffix_last -= h.ser_last_ps;
  }
  return latency + best;
}

}  // namespace aifabric::net
