#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/config.hpp"
#include "topo/topology_spec.hpp"
#include "workload/collectives.hpp"
#include "workload/hardware.hpp"
#include "workload/inference.hpp"
#include "workload/traffic.hpp"
#include "workload/training.hpp"

namespace aifabric::api {

// How a workload's inter-server transfers are simulated: every packet on the scenario's fabric; fluid
// flows sharing the fabric's links max-min fairly (flow level, for scale); or the ideal (non-blocking,
// congestion-free) network with the same NICs.
enum class NetworkModel : std::uint8_t { kPacket, kIdeal, kFlow };

// The GPUs: GPU g is topology host g (each GPU has its own NIC); servers hold gpus_per_server consecutive
// GPUs.
struct Cluster {
  workload::GpuSpec gpu;
  std::uint32_t gpus_per_server = 8;
  std::uint32_t gpus = 0;   // GPUs = the first `gpus` hosts; later hosts (storage) are not GPUs
  double gpu_hour_usd = 0;  // price of one GPU-hour, for the cost of GPU time lost to the network
};

// A nccl-tests-style sweep of one collective over message sizes.
struct CollectiveSweep {
  bool present = false;
  workload::CollectiveSpec spec;  // bytes set per size; algorithm and protocol per size unless fixed below
  std::optional<workload::Algorithm> algorithm;  // empty: auto (NCCL's tuner picks per size)
  std::optional<workload::Protocol> protocol;    // empty: auto
  std::uint64_t min_bytes = 0;
  std::uint64_t max_bytes = 0;
  std::uint32_t step_factor = 2;
  NetworkModel network = NetworkModel::kPacket;
};

// What the scenario's `faults` did (docs/models/faults.md). Link, switch and NIC faults are applied to the
// topology (TopologySpec::down_hosts holds the GPUs and storage nodes they take out of service);
// stragglers scale compute here. Every fault holds for the whole run.
struct Faults {
  std::vector<std::string> applied;    // one line per fault, as reports print it ("switch_down spine3 ...")
  std::vector<double> compute_factor;  // per GPU: its compute ops take this many times longer; empty = 1
  std::uint64_t flows_dropped = 0;     // traffic flows with an end out of service, not simulated
  bool any() const { return !applied.empty(); }
};

// A fully resolved, validated scenario: everything a run needs, nothing left to parse.
struct Scenario {
  std::string name;
  std::string source;  // file it came from, or "example:<name>"
  topo::TopologySpec topology;
  net::FabricConfig fabric;
  std::vector<backend::FlowSpec> flows;
  net::RunOptions run;
  std::uint32_t top_ports = 5;  // hottest ports listed in the summary
  Cluster cluster;
  NetworkModel fidelity = NetworkModel::kPacket;  // simulate, sweep and assess: packet or flow level
  CollectiveSweep collective;
  std::vector<workload::TrainingJob> jobs;
  std::vector<workload::InferenceService> services;
  Faults faults;

  // Bytes on the wire of a full data packet: the topology's smallest MTU with the fabric's framing.
  std::uint32_t full_packet_wire_bytes() const {
    return fabric.framing.data_wire_bytes(topology.smallest_mtu());
  }
};

}  // namespace aifabric::api
