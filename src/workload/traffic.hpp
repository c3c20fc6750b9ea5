#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "backend/flow_spec.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"

namespace aifabric::workload {

// One point of a flow-size CDF: P(size <= size_bytes) = cdf. Points are increasing in both fields and the
// last has cdf = 1; sizes between points are interpolated linearly (as ns-3/HPCC traffic generators do).
struct CdfPoint {
  double size_bytes = 0;
  double cdf = 0;
};

// The host subset a generator draws from: hosts [first, first + count).
struct HostRange {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

// Each host sends one flow to a distinct host, chosen by a random derangement of the range.
std::vector<backend::FlowSpec> permutation(HostRange hosts, std::uint64_t size_bytes, core::TimePs start_ps,
                                           core::Rng& rng);
// `senders` hosts (taken from the range after the receiver) each send one flow to `receiver`.
std::vector<backend::FlowSpec> incast(HostRange hosts, std::uint32_t receiver, std::uint32_t senders,
                                      std::uint64_t size_bytes, core::TimePs start_ps);
// Every host sends one flow to every other host of the range.
std::vector<backend::FlowSpec> all_to_all(HostRange hosts, std::uint64_t size_bytes, core::TimePs start_ps);
// Uniform random (src, dst != src) pairs; arrivals are a Poisson process whose mean rate makes the offered
// load `load` x the host link rate per host; sizes drawn from the CDF. Flows start in [start, start +
// duration).
std::vector<backend::FlowSpec> poisson(HostRange hosts, double load, double host_rate_gbps,
                                       const std::vector<CdfPoint>& cdf, core::TimePs start_ps,
                                       core::TimePs duration_ps, core::Rng& rng);

double cdf_mean_bytes(const std::vector<CdfPoint>& cdf);
double cdf_sample_bytes(const std::vector<CdfPoint>& cdf, double u);

// Checkpoint traffic: every host of `hosts` writes `size_bytes` to a host of `storage`, round robin (with
// `read`, reads them from it: data loading, restores), `repeat` times, `interval_ps` apart.
std::vector<backend::FlowSpec> checkpoint(HostRange hosts, HostRange storage, std::uint64_t size_bytes,
                                          core::TimePs start_ps, core::TimePs interval_ps,
                                          std::uint32_t repeat, bool read);

}  // namespace aifabric::workload
