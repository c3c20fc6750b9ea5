#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace aifabric::workload {

// Which workload holds each GPU of the cluster: every job and service claims its GPUs, and a GPU claimed
// twice is an error of the second claim.
class GpuClaims {
 public:
  explicit GpuClaims(std::uint32_t cluster_gpus) : holder_(cluster_gpus, kFree) {}
  struct Conflict {
    std::uint32_t gpu;
    std::string holder;  // as given to claim(): "job 'pretrain'"
  };
  // Claims `gpus` (each in the cluster) for `owner`; on a GPU already held, claims nothing and returns it.
  std::optional<Conflict> claim(std::span<const std::uint32_t> gpus, std::string owner);

 private:
  static constexpr std::uint32_t kFree = ~std::uint32_t{0};
  std::vector<std::uint32_t> holder_;  // index into owners_, or kFree
  std::vector<std::string> owners_;
};

// GPUs [first, first + count).
std::vector<std::uint32_t> gpu_range(std::uint32_t first, std::uint32_t count);

}  // namespace aifabric::workload
