#pragma once
#include <cstdint>

#include "core/time.hpp"

namespace aifabric::backend {

// One message (an RDMA write) from host `src` to host `dst`. Hosts are indices into the topology's host list.
struct FlowSpec {
  std::uint32_t src = 0;
  std::uint32_t dst = 0;
  std::uint64_t size_bytes = 0;
  core::TimePs start_ps = 0;
  // What the flow's ECMP entropy (its UDP source port) is drawn from: by default its index among the run's
  // flows; a workload's transfers use their op, so both network models hash a transfer alike whatever
  // order they start same-time transfers in.
  std::uint64_t entropy_key = kByIndex;
  static constexpr std::uint64_t kByIndex = ~std::uint64_t{0};
};

}  // namespace aifabric::backend
