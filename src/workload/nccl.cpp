#include "workload/nccl.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/time.hpp"

namespace aifabric::workload {
namespace {

// Index of a protocol in NCCL's {LL, LL128, Simple} tables.
int column(Protocol p) {
  return p == Protocol::kLL ? 0 : p == Protocol::kLL128 ? 1 : 2;
}

bool tree_like(Algorithm a) {
  return a == Algorithm::kTree;
}

// NCCL's network post overhead (NCCL_NET_OVERHEAD on x86, tuning.cc): the floor of a step inside a server on
// a ring that crosses servers (the proxy posts every step), three times larger for Simple.
constexpr double kNetOverheadUs = 1.0;

}  // namespace

ProtocolLatency nccl_latency(Algorithm a, Protocol p, std::uint32_t nodes) {
  // tuning.cc baseLat and hwLat (NVLINK and NET rows), {LL, LL128, Simple}, microseconds.
  static constexpr double kRingBase[3] = {6.6, 14.0, 8.4};
  static constexpr double kRingNvlink[3] = {0.6, 1.9, 3.4};
  static constexpr double kRingNet[3] = {2.7, 4.0, 14.0};
  static constexpr double kTreeBase[3] = {6.8, 14.0, 0.0};
  static constexpr double kTreeNvlink[3] = {0.6, 1.25, 28.0};
  static constexpr double kTreeNet[3] = {5.0, 8.5, 28.0};
  const int c = column(p);
  ProtocolLatency l;
  if (tree_like(a)) {
    l = {kTreeBase[c], kTreeNvlink[c], kTreeNet[c]};
  } else {
    l = {kRingBase[c], kRingNvlink[c], kRingNet[c]};
    if (nodes > 1)
      l.nvlink_us = std::max(l.nvlink_us, p == Protocol::kSimple ? 3 * kNetOverheadUs : kNetOverheadUs);
  }
  return l;
}

double nccl_bandwidth_fraction(Collective op, Algorithm a, Protocol p, std::uint32_t nodes) {
  if (p == Protocol::kSimple || p == Protocol::kDefault) return 1.0;
  if (tree_like(a)) {
    if (p == Protocol::kLL) return 1.0 / 3.8;
    return nodes == 1 ? 7.0 / 9.0 : 120.0 / 128.0;
  }
  if (p == Protocol::kLL)
    return nodes > 1 || op == Collective::kAllReduce || op == Collective::kReduce ? 1.0 / 4.0 : 1.0 / 3.0;
  return 0.92;
}

StepCost nccl_step_cost(Collective op, Algorithm a, Protocol p, std::uint32_t nodes) {
  const ProtocolLatency l = nccl_latency(a, p, nodes);
  return StepCost{core::us_to_ps(l.nvlink_us), core::us_to_ps(l.network_us),
                  nccl_bandwidth_fraction(op, a, p, nodes)};
}

double nccl_predicted_us(const TunerInput& in, Algorithm a, Protocol p) {
  const double n = in.ranks;
  const double nodes = std::max<std::uint32_t>(in.nodes, 1);
  const double ppn = n / nodes;
  // The bus bandwidth of all channels together: NVLink inside one server; across servers the smaller of
  // NVLink and the server's NICs (every byte of the bus crosses the server's NICs once, each GPU's NIC
  // carrying its rail's channels through PXN).
  double bus =
      in.nodes <= 1 ? in.nvlink_gbytes_per_s : std::min(in.nvlink_gbytes_per_s, ppn * in.nic_gbytes_per_s);
  if (tree_like(a)) bus *= 0.92;
  bus *= nccl_bandwidth_fraction(in.op, a, p, in.nodes);
  const ProtocolLatency l = nccl_latency(a, p, in.nodes);
  double lat = 0, algbw = 0;
  if (tree_like(a)) {
    algbw = bus * 0.5;
    lat = l.base_us + 2 * ((ppn - 1) * l.nvlink_us + std::log2(nodes) * l.network_us);
  } else {
    double steps = n - 1, inter = nodes > 1 ? nodes - 1 : 0;
    if (in.op == Collective::kAllReduce) {
      steps = 2 * (n - 1);
      inter = nodes > 1 ? 2 * nodes : 0;
    } else if (in.op == Collective::kBroadcast || in.op == Collective::kReduce) {
      steps = n;
    }
    algbw = bus * n / steps;
    lat = l.base_us + (steps - inter) * l.nvlink_us + inter * l.network_us;
    // NCCL's "plateau" correction of ring Simple all-reduce across servers.
    if (p == Protocol::kSimple && in.op == Collective::kAllReduce && in.nodes > 1) lat *= 1.4;
  }
  return lat + static_cast<double>(in.bytes) / (1000.0 * algbw);
}

TunerChoice nccl_choose(const TunerInput& in, std::optional<Algorithm> algorithm,
                        std::optional<Protocol> protocol) {
  TunerChoice best;
  if (in.op == Collective::kAllToAll || in.op == Collective::kSendRecv) {
    best.algorithm =
        algorithm.value_or(in.op == Collective::kAllToAll ? Algorithm::kPairwise : Algorithm::kDirect);
    const std::uint64_t per_peer =
        in.op == Collective::kAllToAll && in.ranks > 0 ? in.bytes / in.ranks : in.bytes;
    best.protocol = protocol.value_or(per_peer <= 16384 ? Protocol::kLL : Protocol::kSimple);
    return best;
  }
  std::vector<Algorithm> algos;
  if (algorithm) {
    algos = {*algorithm};
  } else if (in.op == Collective::kAllReduce) {
    algos = {Algorithm::kRing, Algorithm::kTree};
  } else {
    algos = {algorithms_for(in.op).front()};
  }
  best.predicted_us = std::numeric_limits<double>::infinity();
  for (const Algorithm a : algos)
    for (const Protocol p : {Protocol::kLL, Protocol::kLL128, Protocol::kSimple}) {
      if (protocol && p != *protocol) continue;
      const double t = nccl_predicted_us(in, a, p);
      if (t < best.predicted_us) best = {a, p, t};
    }
  return best;
}

}  // namespace aifabric::workload
