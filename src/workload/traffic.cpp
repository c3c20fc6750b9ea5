#include "workload/traffic.hpp"

#include <cmath>
#include <numeric>

namespace aifabric::workload {

std::vector<backend::FlowSpec> permutation(HostRange hosts, std::uint64_t size_bytes, core::TimePs start_ps,
                                           core::Rng& rng) {
  // Sattolo's algorithm yields a uniformly random cyclic permutation: no host sends to itself.
  std::vector<std::uint32_t> perm(hosts.count);
  std::iota(perm.begin(), perm.end(), hosts.first);
  for (std::uint32_t i = hosts.count - 1; i > 0; --i) {
    const auto j = static_cast<std::uint32_t>(rng.below(i));
    std::swap(perm[i], perm[j]);
  }
  std::vector<backend::FlowSpec> flows;
  flows.reserve(hosts.count);
  for (std::uint32_t i = 0; i < hosts.count; ++i)
    flows.push_back({hosts.first + i, perm[i], size_bytes, start_ps});
  return flows;
}

std::vector<backend::FlowSpec> incast(HostRange hosts, std::uint32_t receiver, std::uint32_t senders,
                                      std::uint64_t size_bytes, core::TimePs start_ps) {
  std::vector<backend::FlowSpec> flows;
  flows.reserve(senders);
  const std::uint32_t offset = receiver - hosts.first;
  for (std::uint32_t i = 1; i <= senders; ++i) {
    flows.push_back({hosts.first + (offset + i) % hosts.count, receiver, size_bytes, start_ps});
  }
  return flows;
}

std::vector<backend::FlowSpec> all_to_all(HostRange hosts, std::uint64_t size_bytes, core::TimePs start_ps) {
  std::vector<backend::FlowSpec> flows;
  flows.reserve(static_cast<std::size_t>(hosts.count) * (hosts.count - 1));
  // Ordered by shift, as pairwise exchange does, so each host's first flows go to different receivers.
  for (std::uint32_t shift = 1; shift < hosts.count; ++shift)
    for (std::uint32_t i = 0; i < hosts.count; ++i)
      flows.push_back({hosts.first + i, hosts.first + (i + shift) % hosts.count, size_bytes, start_ps});
  return flows;
}

double cdf_mean_bytes(const std::vector<CdfPoint>& cdf) {
  double mean = cdf.front().size_bytes * cdf.front().cdf;
  for (std::size_t i = 1; i < cdf.size(); ++i)
    mean += (cdf[i].cdf - cdf[i - 1].cdf) * (cdf[i].size_bytes + cdf[i - 1].size_bytes) / 2.0;
  return mean;
}

double cdf_sample_bytes(const std::vector<CdfPoint>& cdf, double u) {
  if (u <= cdf.front().cdf) return cdf.front().size_bytes;
  for (std::size_t i = 1; i < cdf.size(); ++i) {
    if (u <= cdf[i].cdf) {
      const double span = cdf[i].cdf - cdf[i - 1].cdf;
      const double f = span > 0 ? (u - cdf[i - 1].cdf) / span : 1.0;
      return cdf[i - 1].size_bytes + f * (cdf[i].size_bytes - cdf[i - 1].size_bytes);
    }
  }
  return cdf.back().size_bytes;
}

std::vector<backend::FlowSpec> poisson(HostRange hosts, double load, double host_rate_gbps,
                                       const std::vector<CdfPoint>& cdf, core::TimePs start_ps,
                                       core::TimePs duration_ps, core::Rng& rng) {
  // Offered load per host = load * rate; the whole range sends count * load * rate bit/s, so flows arrive at
  // lambda = count * load * rate / (8 * mean size) per second.
  const double lambda_per_ps = hosts.count * load * host_rate_gbps * 1e9 / (8.0 * cdf_mean_bytes(cdf)) /
                               static_cast<double>(core::kPsPerSec);
  std::vector<backend::FlowSpec> flows;
  double t = static_cast<double>(start_ps);
  const double end = static_cast<double>(start_ps + duration_ps);
  for (;;) {
    t += -std::log(1.0 - rng.uniform()) / lambda_per_ps;
    if (t >= end) break;
    const auto src = static_cast<std::uint32_t>(rng.below(hosts.count));
    auto dst = static_cast<std::uint32_t>(rng.below(hosts.count - 1));
    if (dst >= src) ++dst;
    const auto size = static_cast<std::uint64_t>(std::llround(cdf_sample_bytes(cdf, rng.uniform())));
    flows.push_back(
        {hosts.first + src, hosts.first + dst, size < 1 ? 1 : size, static_cast<core::TimePs>(t)});
  }
  return flows;
}

std::vector<backend::FlowSpec> checkpoint(HostRange hosts, HostRange storage, std::uint64_t size_bytes,
                                          core::TimePs start_ps, core::TimePs interval_ps,
                                          std::uint32_t repeat, bool read) {
  std::vector<backend::FlowSpec> flows;
  flows.reserve(static_cast<std::size_t>(repeat) * hosts.count);
  for (std::uint32_t r = 0; r < repeat; ++r)
    for (std::uint32_t h = 0; h < hosts.count; ++h) {
      const std::uint32_t gpu = hosts.first + h, store = storage.first + h % storage.count;
      flows.push_back({read ? store : gpu, read ? gpu : store, size_bytes, start_ps + r * interval_ps});
    }
  return flows;
}

}  // namespace aifabric::workload
