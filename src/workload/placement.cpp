#include "workload/placement.hpp"

#include <numeric>

namespace aifabric::workload {

std::optional<GpuClaims::Conflict> GpuClaims::claim(std::span<const std::uint32_t> gpus, std::string owner) {
  for (const auto g : gpus)
    if (holder_[g] != kFree) return Conflict{g, owners_[holder_[g]]};
  const auto id = static_cast<std::uint32_t>(owners_.size());
  owners_.push_back(std::move(owner));
  for (const auto g : gpus) holder_[g] = id;
  return std::nullopt;
}

std::vector<std::uint32_t> gpu_range(std::uint32_t first, std::uint32_t count) {
  std::vector<std::uint32_t> gpus(count);
  std::iota(gpus.begin(), gpus.end(), first);
  return gpus;
}

}  // namespace aifabric::workload
