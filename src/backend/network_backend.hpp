#pragma once
#include <cstdint>
#include <span>
#include <utility>

#include "core/time.hpp"

namespace aifabric::backend {

// What a network backend reports to whoever drives it.
class BackendSink {
 public:
  virtual ~BackendSink() = default;
  virtual void transfer_done(std::uint64_t token) = 0;
  virtual void timer(std::uint64_t token) = 0;
};

using HostPair = std::pair<std::uint32_t, std::uint32_t>;  // (source host, destination host)

// The scale-out network as a program sees it: transfers between hosts (NICs) and timers on one clock.
// Implemented by the packet engine (net::PacketNetwork), the flow-level max-min network
// (flow::FlowNetwork) and the ideal network (flow::IdealNetwork).
class NetworkBackend {
 public:
  virtual ~NetworkBackend() = default;
  virtual core::TimePs now() const = 0;
  virtual void start_transfer(std::uint32_t src_host, std::uint32_t dst_host, std::uint64_t bytes,
                              std::uint64_t token) = 0;
  // A group of transfers in lockstep (see workload::OpKind::kGroup), between hosts: done once, when its
  // members are, `rounds` path latencies after its last bytes leave.
  virtual void start_group(std::span<const HostPair> members, std::uint64_t bytes_per_member,
                           std::uint32_t rounds, std::uint64_t token) = 0;
  virtual void set_timer(core::TimePs at, std::uint64_t token) = 0;
  // Runs until nothing is pending, reporting to `sink`.
  virtual void run(BackendSink& sink) = 0;
};

}  // namespace aifabric::backend
