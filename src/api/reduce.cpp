#include "api/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace aifabric::api {

double nearest_rank(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, idx == 0 ? 0 : idx - 1)];
}

Percentiles summarize(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  // Sorted once; the mean sums in sorted order, so it does not depend on the order flows finished in.
  std::sort(v.begin(), v.end());
  p.p50 = nearest_rank(v, 0.50);
  p.p99 = nearest_rank(v, 0.99);
  p.max = v.back();
  p.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return p;
}

std::vector<std::uint32_t> rank_ports(const std::vector<net::PortReport>& ports, PortRanking ranking,
                                      std::size_t count) {
  std::vector<std::uint32_t> order(ports.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
    if (ranking == PortRanking::kDeepestQueue) {
      const auto qx = ports[x].counters.max_queue_bytes[net::kData],
                 qy = ports[y].counters.max_queue_bytes[net::kData];
      if (qx != qy) return qx > qy;
    }
    return ports[x].utilization > ports[y].utilization;
  });
  order.resize(std::min(order.size(), count));
  return order;
}

}  // namespace aifabric::api
