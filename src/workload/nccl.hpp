#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "workload/collectives.hpp"
#include "workload/program.hpp"

namespace aifabric::workload {

// NCCL's protocols and cost model (src/graph/tuning.cc), as docs/models/collectives.md, *Protocols and
// NCCL's tuner*, states them with their sources.
//
// The latencies of one protocol and algorithm, in microseconds: `base` once per collective, `nvlink` per
// step between GPUs of one server, `network` per step between servers.
struct ProtocolLatency {
  double base_us = 0;
  double nvlink_us = 0;
  double network_us = 0;
};

// NCCL's constants for the ring (also broadcast and reduce, which NCCL runs on its rings) or the tree.
ProtocolLatency nccl_latency(Algorithm algorithm, Protocol protocol, std::uint32_t nodes);

// The fraction of the links' bandwidth the protocol reaches in NCCL's model: LL moves 8 data bytes in a
// 16-byte line and its busBw is 1/3 of Simple's in a server, 1/4 across servers (or for all-reduce and
// reduce); LL128 0.92 (on the ring) or 120/128 (on the tree across servers); Simple 1.
double nccl_bandwidth_fraction(Collective op, Algorithm algorithm, Protocol protocol, std::uint32_t nodes);

// The step cost a collective's ops carry under the protocol (Program::add_step_cost).
StepCost nccl_step_cost(Collective op, Algorithm algorithm, Protocol protocol, std::uint32_t nodes);

// What NCCL's tuner knows of the communicator and the hardware: bandwidths are per GPU and direction,
// already with their efficiencies (NVLink at NCCL's per-link figure, a NIC at its achievable payload rate).
struct TunerInput {
  Collective op = Collective::kAllReduce;
  std::uint32_t ranks = 0;
  std::uint32_t nodes = 0;         // servers the communicator spans
  double nvlink_gbytes_per_s = 0;  // per GPU
  double nic_gbytes_per_s = 0;     // per GPU (one NIC per GPU, on its rail)
  std::uint64_t bytes = 0;         // nccl-tests' size
};

struct TunerChoice {
  Algorithm algorithm = Algorithm::kRing;
  Protocol protocol = Protocol::kSimple;
  double predicted_us = 0;  // NCCL's own estimate for the choice
};

// NCCL's estimate of one algorithm and protocol: latency + bytes / algBw, in microseconds.
double nccl_predicted_us(const TunerInput& in, Algorithm algorithm, Protocol protocol);

// The algorithm and protocol NCCL's tuner picks: the smallest estimate among the ones NCCL has for the
// collective (ring and tree for all-reduce; the ring for all-gather, reduce-scatter, broadcast and
// reduce), each protocol unless `protocol` fixes one, and only `algorithm` when it is given. All-to-all and
// send/recv are point-to-point in NCCL: Simple, or LL up to 16 KiB per peer (NCCL_P2P_LL_THRESHOLD).
TunerChoice nccl_choose(const TunerInput& in, std::optional<Algorithm> algorithm,
                        std::optional<Protocol> protocol);

}  // namespace aifabric::workload
