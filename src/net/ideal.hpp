#pragma once
#include <cstdint>
#include <span>

#include "core/time.hpp"

namespace aifabric::net {

// One store-and-forward hop of a path: serialization of a full and of the last (shorter) packet, then the
// link's propagation latency.
struct PathHop {
  core::TimePs ser_full_ps;
  core::TimePs ser_last_ps;
  core::TimePs latency_ps;
};

// Time from the first bit leaving the sender to the last packet fully received, for `packets` packets sent
// back to back on an otherwise empty path (docs/models/ideal_fct.md derives it). Exact for the engine.
core::TimePs ideal_completion_ps(std::span<const PathHop> hops, std::uint64_t packets);

}  // namespace aifabric::net
