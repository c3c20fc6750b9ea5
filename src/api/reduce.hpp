#pragma once
// How runs are reduced to what reports show, each rule written once: percentiles and the ranking of ports.
#include <cstdint>
#include <vector>

#include "api/result.hpp"
#include "net/results.hpp"

namespace aifabric::api {

// Nearest-rank percentile (q in [0, 1]) of `values`, 0 when empty: the smallest value with at least
// q x n values at or below it.
double nearest_rank(std::vector<double> values, double q);
// p50, p99 (nearest rank), max and mean.
Percentiles summarize(std::vector<double> values);

// Which ports a report lists first.
enum class PortRanking : std::uint8_t {
  kUtilization,   // busiest first (simulate's hottest ports)
  kDeepestQueue,  // deepest data queue first, where traffic waited, then busiest (assess's bottlenecks)
};
// The first `count` port indices by `ranking`; ties keep port order.
std::vector<std::uint32_t> rank_ports(const std::vector<net::PortReport>& ports, PortRanking ranking,
                                      std::size_t count);

}  // namespace aifabric::api
