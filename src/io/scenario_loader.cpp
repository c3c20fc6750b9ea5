#include "io/scenario_loader.hpp"

#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "api/run.hpp"
#include "io/examples.hpp"
#include "topo/builders.hpp"

namespace aifabric::io {
namespace {

using core::InputError;
constexpr double kInf = std::numeric_limits<double>::max();
constexpr std::int64_t kMaxCount = 1'000'000'000;

// ---------------------------------------------------------------------------------------------------------
// Parameter declarations. Each parameter of the scenario format is declared here and nowhere else.
// ---------------------------------------------------------------------------------------------------------

struct TopLevel {
  api::NetworkModel fidelity;
  std::string name;
  std::int64_t seed;
  core::TimePs stop_ps;
};
const Schema<TopLevel>& top_schema() {
  static const auto s =
      Schema<TopLevel>()
          .text("name", &TopLevel::name, "scenario", "Name shown in the summary.")
          .choice("fidelity", &TopLevel::fidelity,
                  {{"packet", api::NetworkModel::kPacket}, {"flow", api::NetworkModel::kFlow}}, "packet",
                  "How simulate, sweep and assess simulate the fabric: every packet, or fluid flows "
                  "sharing links max-min fairly on the same paths (docs/models/flow.md).")
          .integer("seed", &TopLevel::seed, "", 1, 0, 9'007'199'254'740'991,
                   "Seed of every random stream (ECMP entropy, ECN marking, traffic).")
          .duration("stop_time_us", &TopLevel::stop_ps, "us", 3.6e9, 0, 1e12,
                    "Simulated time at which the run stops even if flows are unfinished "
                    "(default one hour; a deadlock stops the run earlier).",
                    true);
  return s;
}

struct Telemetry {
  core::TimePs sample_ps;
  core::TimePs check_ps;
  std::uint32_t top_ports;
};
const Schema<Telemetry>& telemetry_schema() {
  static const auto s =
      Schema<Telemetry>()
          .duration("sample_interval_us", &Telemetry::sample_ps, "us", 0, 0, 1e9,
                    "Interval of the utilization / queue-depth time series (timeseries.csv); 0 = off.")
          .duration("check_interval_us", &Telemetry::check_ps, "us", 0, 0, 1e9,
                    "Interval of invariant checks (byte conservation, buffer and credit bounds); 0 = off.")
          .integer("top_ports", &Telemetry::top_ports, "", 5, 0, 1000,
                   "Hottest ports listed in the summary.");
  return s;
}

enum class Auto : std::uint8_t { kAuto, kA, kB, kC };
struct FabricTop {
  net::FabricKind kind;
  Auto load_balancing;
  net::Scheduler scheduler;
  std::uint32_t quantum_control;
  std::uint32_t quantum_data;
  Auto cc;
};
const Schema<FabricTop>& fabric_schema() {
  static const auto s =
      Schema<FabricTop>()
          .choice("kind", &FabricTop::kind,
                  {{"roce", net::FabricKind::kRoce},
                   {"infiniband", net::FabricKind::kInfiniband},
                   {"ethernet", net::FabricKind::kEthernet}},
                  "roce",
                  "roce: RoCEv2 (lossless through PFC unless pfc.enabled is false); infiniband: credit-based "
                  "link-level flow control; ethernet: plain lossy Ethernet, drop-tail.")
          .choice("load_balancing", &FabricTop::load_balancing,
                  {{"auto", Auto::kAuto}, {"ecmp", Auto::kA}, {"spray", Auto::kB}, {"adaptive", Auto::kC}},
                  "auto",
                  "ecmp: per-flow 5-tuple hash; spray: per-packet round robin over the equal-cost ports; "
                  "adaptive: "
                  "per packet the port with the fewest queued bytes (ties round robin). auto = adaptive on "
                  "infiniband, ecmp otherwise.")
          .choice("scheduler", &FabricTop::scheduler,
                  {{"strict", net::Scheduler::kStrict}, {"dwrr", net::Scheduler::kDwrr}}, "strict",
                  "Egress scheduling between the control and data classes.")
          .integer("dwrr_control_quantum_bytes", &FabricTop::quantum_control, "bytes", 16384, 64, 1 << 30,
                   "DWRR quantum of the control class (at least one full packet).")
          .integer("dwrr_data_quantum_bytes", &FabricTop::quantum_data, "bytes", 16384, 64, 1 << 30,
                   "DWRR quantum of the data class (at least one full packet).")
          .choice(
              "congestion_control", &FabricTop::cc,
              {{"auto", Auto::kAuto}, {"dcqcn", Auto::kA}, {"none", Auto::kB}}, "auto",
              "dcqcn: DCQCN reaction and notification points; none: senders at line rate. auto = dcqcn on "
              "roce, none otherwise.");
  return s;
}

const Schema<net::EcnParams>& ecn_schema() {
  static const auto s =
      Schema<net::EcnParams>()
          .flag("enabled", &net::EcnParams::enabled, true,
                "RED/ECN marking of data packets at switch egress queues (default true on roce, false "
                "otherwise).")
          .integer(
              "kmin_bytes", &net::EcnParams::kmin_bytes, "bytes", 400000, 0, 1ll << 40,
              "Queue depth below which nothing is marked (Alibaba production at 100G, via HPCC; the DCQCN "
              "paper used 5 KB at 40G).")
          .integer("kmax_bytes", &net::EcnParams::kmax_bytes, "bytes", 1600000, 1, 1ll << 40,
                   "Queue depth at and above which every packet is marked (production 100G: 1600 KB; paper: "
                   "200 KB).")
          .real("pmax", &net::EcnParams::pmax, "", 0.2, 0, 1,
                "Marking probability just below kmax (production: 20%; paper: 1%).")
          .choice("mark_on", &net::EcnParams::mark_on_dequeue, {{"dequeue", true}, {"enqueue", false}},
                  "dequeue",
                  "Mark against the queue depth as a packet leaves the egress queue (the signal reaches the "
                  "receiver without the queueing delay) or as it joins it.");
  return s;
}

const Schema<net::PfcParams>& pfc_schema() {
  static const auto s =
      Schema<net::PfcParams>()
          .flag("enabled", &net::PfcParams::enabled, true,
                "Priority flow control on the data class (roce only; false gives lossy RoCE).")
          .integer("xoff_bytes", &net::PfcParams::xoff_bytes, "bytes", 131072, 1, 1ll << 40,
                   "Ingress-queue depth at which a switch sends XOFF upstream.")
          .integer("xon_bytes", &net::PfcParams::xon_bytes, "bytes", 0, 0, 1ll << 40,
                   "Ingress-queue depth at which it sends XON; 0 = xoff_bytes - 2 full frames.")
          .integer(
              "headroom_bytes", &net::PfcParams::headroom_bytes, "bytes", 0, 0, 1ll << 40,
              "Bytes absorbed above XOFF before a drop; 0 = derived per port: 2 x rate x latency + 3 frames "
              "+ 1 pause frame (docs/models/pfc.md).");
  return s;
}

const Schema<cc::DcqcnParams>& dcqcn_schema() {
  static const auto s =
      Schema<cc::DcqcnParams>()
          .real("g", &cc::DcqcnParams::g, "", 1.0 / 256, 0, 1, "Alpha gain (DCQCN paper: 1/256).", true)
          .duration("alpha_period_us", &cc::DcqcnParams::alpha_period_ps, "us", 55, 0, 1e6,
                    "K: alpha decays by (1-g) per period without a CNP (paper: 55 us).", true)
          .duration("rate_timer_us", &cc::DcqcnParams::rate_timer_ps, "us", 55, 0, 1e6,
                    "T: rate-increase timer (paper: 55 us; NVIDIA firmware rpg_time_reset: 300 us).", true)
          .integer("byte_counter_bytes", &cc::DcqcnParams::byte_counter_bytes, "bytes", 10'000'000, 1,
                   1ll << 40, "B: rate-increase byte counter (paper: 10 MB).")
          .integer("fast_recovery_stages", &cc::DcqcnParams::fast_recovery_stages, "", 5, 0, 1000,
                   "F: increase events spent in fast recovery (paper: 5).")
          .scaled("rate_ai_mbps", &cc::DcqcnParams::rate_ai_bps, "Mbit/s", 1e6, 40, 0, 1e6,
                  "Additive-increase step (paper: 40 Mbit/s).")
          .scaled("rate_hai_mbps", &cc::DcqcnParams::rate_hai_bps, "Mbit/s", 1e6, 200, 0, 1e6,
                  "Hyper-increase step (DCQCN authors' ns-3 code: 200 Mbit/s).")
          .scaled("min_rate_mbps", &cc::DcqcnParams::min_rate_bps, "Mbit/s", 1e6, 100, 0.001, 1e6,
                  "Floor of the sending rate.")
          .real("initial_alpha", &cc::DcqcnParams::initial_alpha, "", 1, 0, 1, "Alpha of a new flow.")
          .duration("cnp_interval_us", &cc::DcqcnParams::cnp_interval_ps, "us", 50, 0, 1e6,
                    "Notification point: at most one CNP per flow per interval (paper: 50 us).")
          .flag("clamp_target_rate", &cc::DcqcnParams::clamp_target_rate, false,
                "true: every cut sets the target rate to the current rate (paper); false: only the first cut "
                "after an increase does (NVIDIA firmware default clamp_tgt_rate = 0).");
  return s;
}

const Schema<net::TransportParams>& transport_schema() {
  static const auto s =
      Schema<net::TransportParams>()
          .integer("ack_every_packets", &net::TransportParams::ack_every_packets, "", 1, 1, 1 << 20,
                   "The receiver acknowledges every N in-order packets (and always the last).")
          .duration(
              "rto_us", &net::TransportParams::rto_ps, "us", 1000, 0, 1e9,
              "Go-back-N retransmission timeout: no acknowledgement progress for this long resends from "
              "the first unacknowledged packet.",
              true);
  return s;
}

struct IbParams {
  double control_vl_share;
};
const Schema<IbParams>& ib_schema() {
  static const auto s = Schema<IbParams>().real(
      "control_vl_share", &IbParams::control_vl_share, "", 0.125, 0, 1,
      "Share of each port's receive buffer granted as credits to the control virtual lane.", true);
  return s;
}

const Schema<topo::LinkParams>& link_schema() {
  static const auto s =
      Schema<topo::LinkParams>()
          .real("rate_gbps", &topo::LinkParams::rate_gbps, "Gbit/s", 100, 0, 1e6, "Link rate.", true)
          .real("latency_ns", &topo::LinkParams::latency_ns, "ns", 1000, 0, 1e9,
                "One-way propagation latency.")
          .integer("mtu_bytes", &topo::LinkParams::mtu_bytes, "bytes", 4096, 64, 65536,
                   "Largest payload per packet; headers come on top (docs/models/packet.md).");
  return s;
}

const Schema<topo::SwitchParams>& switch_schema() {
  static const auto s =
      Schema<topo::SwitchParams>()
          .integer("buffer_bytes", &topo::SwitchParams::buffer_bytes, "bytes", 32ll << 20, 1, 1ll << 40,
                   "Packet buffer of each switch (shared) or of each egress port (per_port).")
          .choice("buffer_mode", &topo::SwitchParams::buffer_mode,
                  {{"shared", topo::BufferMode::kShared}, {"per_port", topo::BufferMode::kPerPort}}, "shared",
                  "shared: one pool per switch; per_port: each egress port owns buffer_bytes.");
  return s;
}

struct TopoTop {
  std::string kind;
};

const Schema<topo::LeafSpineParams>& leaf_spine_schema() {
  static const auto s =
      Schema<topo::LeafSpineParams>()
          .integer("leaves", &topo::LeafSpineParams::leaves, "", 4, 1, 100000, "Leaf switches.")
          .integer("hosts_per_leaf", &topo::LeafSpineParams::hosts_per_leaf, "", 8, 1, 100000,
                   "Hosts under each leaf.")
          .integer("spines", &topo::LeafSpineParams::spines, "", 0, 0, 100000,
                   "Spine switches; 0 = one per leaf uplink. Leaf uplinks are spread evenly over them.")
          .real("oversubscription", &topo::LeafSpineParams::oversubscription, "", 1, 0, 1000,
                "Leaf downlink capacity / uplink capacity (2 means 2:1).", true);
  return s;
}

const Schema<topo::FatTreeParams>& fat_tree_schema() {
  static const auto s =
      Schema<topo::FatTreeParams>().integer("k", &topo::FatTreeParams::k, "", 4, 2, 256,
                                            "Switch radix; k^3/4 hosts, k pods, (k/2)^2 core switches.");
  return s;
}

const Schema<topo::RailOptimizedParams>& rail_schema() {
  static const auto s =
      Schema<topo::RailOptimizedParams>()
          .integer("scalable_units", &topo::RailOptimizedParams::scalable_units, "", 1, 1, 100000,
                   "Scalable units (SUs).")
          .integer("servers_per_unit", &topo::RailOptimizedParams::servers_per_unit, "", 32, 1, 100000,
                   "GPU servers per SU (DGX H100 SuperPOD: 32).")
          .integer("gpus_per_server", &topo::RailOptimizedParams::gpus_per_server, "", 8, 1, 64,
                   "GPUs per server, each with its own NIC on its own rail (= rail leaves per SU).")
          .integer("spines", &topo::RailOptimizedParams::spines, "", 0, 0, 100000,
                   "Spine switches (per SU when core_switches > 0); 0 = one per leaf uplink.")
          .integer("core_switches", &topo::RailOptimizedParams::core_switches, "", 0, 0, 100000,
                   "Core switches, in one plane per spine of an SU (spine s of every SU links to plane s); "
                   "0 = two tiers (every leaf to every spine).")
          .real("oversubscription", &topo::RailOptimizedParams::oversubscription, "", 1, 0, 1000,
                "Rail-leaf downlink capacity / uplink capacity.", true)
          .integer(
              "storage_nodes", &topo::RailOptimizedParams::storage_nodes, "", 0, 0, 100000,
              "Storage hosts (after the GPUs) on a storage leaf linked to every spine (or core) switch.");
  return s;
}

struct NodeEntry {
  std::string name;
  std::string kind;
};
const Schema<NodeEntry>& node_schema() {
  static const auto s = Schema<NodeEntry>()
                            .text("name", &NodeEntry::name, "", "Unique node name.")
                            .text("kind", &NodeEntry::kind, "switch", "host or switch.");
  return s;
}
struct LinkEntry {
  std::string a, b;
};
const Schema<LinkEntry>& link_entry_schema() {
  static const auto s = Schema<LinkEntry>()
                            .text("a", &LinkEntry::a, "", "Name of one end.")
                            .text("b", &LinkEntry::b, "", "Name of the other end.");
  return s;
}

struct ClusterTop {
  std::string gpu;
  std::uint32_t gpus_per_server;
  double gpu_hour_usd;
};
const Schema<ClusterTop>& cluster_schema() {
  static const auto s =
      Schema<ClusterTop>()
          .text("gpu", &ClusterTop::gpu, "h100", "GPU preset: a100, h100 or h200 (docs/models/hardware.md).")
          .integer("gpus_per_server", &ClusterTop::gpus_per_server, "", 0, 0, 64,
                   "GPUs per server (NVLink domain); 0 = the rail-optimized topology's "
                   "gpus_per_server, else 8. GPU g is host g.")
          .real("gpu_hour_usd", &ClusterTop::gpu_hour_usd, "USD", 2.5, 0, 1e6,
                "Price of one GPU-hour, for the cost of GPU time lost to the network.");
  return s;
}
const Schema<workload::GpuSpec>& gpu_override_schema() {
  using G = workload::GpuSpec;
  static const auto s =
      Schema<G>()
          .override_real("nvlink_gbytes_per_s", &G::nvlink_gbytes_per_s, "GB/s", 0, 1e6,
                         "NVLink line rate per GPU and direction.", true)
          .override_real("nvlink_efficiency", &G::nvlink_efficiency, "", 0, 1,
                         "Achievable fraction of the NVLink rate.", true)
          .override_real("nvlink_step_us", &G::nvlink_step_us, "us", 0, 1e6,
                         "Latency of one collective step over NVLink.")
          .override_real("network_step_us", &G::network_step_us, "us", 0, 1e6,
                         "Latency of one collective step over the network (NIC, PCIe, proxy).")
          .override_real("collective_launch_us", &G::collective_launch_us, "us", 0, 1e6,
                         "Fixed latency of launching a collective.")
          .override_real("network_efficiency", &G::network_efficiency, "", 0, 1,
                         "Achievable fraction of a NIC's payload rate for collectives.", true)
          .override_real("peak_tflops", &G::peak_tflops, "TFLOP/s", 0, 1e6, "Dense BF16 peak.", true)
          .override_real("memory_gbytes", &G::memory_gbytes, "GB", 0, 1e6, "GPU memory.", true)
          .override_real("memory_tbytes_per_s", &G::memory_tbytes_per_s, "TB/s", 0, 1e6,
                         "GPU memory bandwidth.", true);
  return s;
}

struct CollectiveTop {
  workload::Collective op;
  std::string algorithm;
  std::uint32_t first_gpu, gpu_count, channels, root, step_factor;
  std::uint64_t min_bytes, max_bytes, chunk_bytes;
  api::NetworkModel network;
};
const Schema<CollectiveTop>& collective_schema() {
  using C = workload::Collective;
  static const auto s =
      Schema<CollectiveTop>()
          .choice("op", &CollectiveTop::op,
                  {{"all_reduce", C::kAllReduce},
                   {"all_gather", C::kAllGather},
                   {"reduce_scatter", C::kReduceScatter},
                   {"broadcast", C::kBroadcast},
                   {"reduce", C::kReduce},
                   {"alltoall", C::kAllToAll},
                   {"sendrecv", C::kSendRecv}},
                  "all_reduce", "The collective, as nccl-tests names it.")
          .text("algorithm", &CollectiveTop::algorithm, "auto",
                "ring | tree | halving_doubling | hierarchical (all_reduce); ring (all_gather, "
                "reduce_scatter); "
                "pipeline (broadcast, reduce); pairwise | direct (alltoall); direct (sendrecv). auto = the "
                "first.")
          .integer("first_gpu", &CollectiveTop::first_gpu, "", 0, 0, kMaxCount,
                   "First GPU of the communicator.")
          .integer("gpu_count", &CollectiveTop::gpu_count, "", 0, 0, kMaxCount,
                   "GPUs in the communicator; 0 = all from first_gpu on.")
          .integer("channels", &CollectiveTop::channels, "", 0, 0, 64,
                   "Rings / tree pairs in parallel; 0 = gpus_per_server.")
          .integer("chunk_bytes", &CollectiveTop::chunk_bytes, "bytes", 1 << 20, 0, 1ll << 40,
                   "Pipelining chunk of tree and pipeline algorithms.")
          .integer("root", &CollectiveTop::root, "", 0, 0, kMaxCount, "Root rank of broadcast and reduce.")
          .integer("min_bytes", &CollectiveTop::min_bytes, "bytes", 8, 1, 1ll << 45,
                   "Smallest size of the sweep.")
          .integer("max_bytes", &CollectiveTop::max_bytes, "bytes", 1ll << 30, 1, 1ll << 45,
                   "Largest size of the sweep.")
          .integer("step_factor", &CollectiveTop::step_factor, "", 2, 2, 1024,
                   "Each size is the previous times this.")
          .choice("network", &CollectiveTop::network,
                  {{"packet", api::NetworkModel::kPacket},
                   {"flow", api::NetworkModel::kFlow},
                   {"ideal", api::NetworkModel::kIdeal}},
                  "packet",
                  "packet: every packet on the fabric; flow: fluid flows sharing the fabric's links max-min "
                  "fairly; "
                  "ideal: non-blocking, congestion-free network.");
  return s;
}

struct JobTop {
  std::string name, kind, allreduce;
  std::uint32_t first_gpu, gpus;
  double gpu_efficiency;
};
const Schema<JobTop>& job_schema() {
  static const auto s =
      Schema<JobTop>()
          .text("name", &JobTop::name, "job", "Name in the reports.")
          .text("kind", &JobTop::kind, "training", "training (the only kind so far).")
          .integer("first_gpu", &JobTop::first_gpu, "", 0, 0, kMaxCount,
                   "First GPU of the job's contiguous range.")
          .integer("gpus", &JobTop::gpus, "", 0, 0, kMaxCount, "GPUs of the job; 0 = all from first_gpu on.")
          .real("gpu_efficiency", &JobTop::gpu_efficiency, "", 0.5, 0, 1,
                "Achieved fraction of peak FLOP/s in compute kernels.", true)
          .text("allreduce_algorithm", &JobTop::allreduce, "ring",
                "Gradient all-reduce algorithm (ZeRO-0): ring, tree, halving_doubling or hierarchical.");
  return s;
}
const Schema<workload::TransformerModel>& model_schema() {
  using M = workload::TransformerModel;
  static const auto s =
      Schema<M>()
          .integer("layers", &M::layers, "", 32, 1, 100000, "Transformer layers.")
          .integer("hidden", &M::hidden, "", 4096, 1, 1 << 20, "Hidden size.")
          .integer("heads", &M::heads, "", 32, 1, 1 << 16, "Attention heads.")
          .integer("kv_heads", &M::kv_heads, "", 0, 0, 1 << 16,
                   "Key/value heads (grouped-query attention); 0 = heads.")
          .integer("ffn_hidden", &M::ffn_hidden, "", 0, 0, 1 << 22,
                   "MLP hidden size (gated); 0 = 4 x hidden.")
          .integer("seq_len", &M::seq_len, "", 4096, 1, 1 << 22, "Sequence length, tokens.")
          .integer("vocab", &M::vocab, "", 32000, 1, 1 << 24, "Vocabulary size.")
          .integer("experts", &M::experts, "", 0, 0, 1 << 16, "Experts per MoE layer; 0 = dense.")
          .integer("top_k", &M::top_k, "", 0, 0, 1 << 16, "Experts each token uses.");
  return s;
}
const Schema<workload::Parallelism>& parallelism_schema() {
  using P = workload::Parallelism;
  static const auto s =
      Schema<P>()
          .integer("tp", &P::tp, "", 1, 1, 1024, "Tensor parallelism (inside a server).")
          .integer("pp", &P::pp, "", 1, 1, 1 << 16, "Pipeline stages.")
          .integer("dp", &P::dp, "", 1, 1, 1 << 20, "Data-parallel replicas.")
          .integer("ep", &P::ep, "", 1, 1, 1 << 16, "Expert parallelism (MoE), within data parallelism.")
          .integer("zero", &P::zero, "", 1, 0, 1,
                   "0: gradients all-reduced; 1: distributed optimizer (reduce-scatter + all-gather).")
          .integer("micro_batches", &P::micro_batches, "", 8, 1, 1 << 16,
                   "Micro-batches per iteration per replica.")
          .integer("micro_batch_size", &P::micro_batch_size, "", 1, 1, 1 << 16, "Sequences per micro-batch.")
          .integer("dp_buckets", &P::dp_buckets, "", 4, 1, 1 << 16, "Gradient buckets per pipeline stage.");
  return s;
}

const Schema<workload::InferenceService>& service_schema() {
  using S = workload::InferenceService;
  static const auto s =
      Schema<S>()
          .text("name", &S::name, "service", "Name in the reports.")
          .integer("first_gpu", &S::first_gpu, "", 0, 0, kMaxCount, "First GPU of the service.")
          .integer("gpus", &S::gpus, "", 8, 1, kMaxCount, "GPUs of the service: replicas of tp GPUs.")
          .integer("tp", &S::tp, "", 8, 1, 64, "GPUs per replica (tensor parallelism, inside a server).")
          .integer("prefill_replicas", &S::prefill_replicas, "", 0, 0, kMaxCount,
                   "Disaggregation: replicas that only prefill and send the KV cache to the others; 0 = "
                   "colocated.")
          .real("arrival_rate_per_s", &S::arrival_rate_per_s, "1/s", 10, 0, 1e9,
                "Poisson arrival rate of requests.", true)
          .integer("requests", &S::requests, "", 200, 1, 10'000'000, "Requests simulated.")
          .integer("prompt_tokens", &S::prompt_tokens, "", 1024, 1, 1 << 22, "Prompt length, tokens.")
          .integer("output_tokens", &S::output_tokens, "", 128, 1, 1 << 22, "Generated tokens per request.")
          .real("gpu_efficiency", &S::gpu_efficiency, "", 0.5, 0, 1,
                "Prefill: achieved fraction of peak FLOP/s.", true)
          .real("memory_efficiency", &S::memory_efficiency, "", 0.8, 0, 1,
                "Decode: achieved fraction of memory bandwidth.", true)
          .real("ttft_slo_ms", &S::ttft_slo_ms, "ms", 1000, 0, 1e9, "Objective: time to first token, p99.",
                true)
          .real("tpot_slo_ms", &S::tpot_slo_ms, "ms", 100, 0, 1e9, "Objective: time per output token, p99.",
                true);
  return s;
}

struct TrafficEntry {
  bool read;
  std::uint32_t storage_first_host, storage_hosts, repeat;
  core::TimePs interval_ps;
  std::string kind;
  std::uint64_t size_bytes;
  core::TimePs start_ps;
  std::uint32_t first_host;
  std::uint32_t host_count;
  std::uint32_t senders;
  double load;
  core::TimePs duration_ps;
};
const Schema<TrafficEntry>& traffic_schema() {
  static const auto s =
      Schema<TrafficEntry>()
          .text("kind", &TrafficEntry::kind, "",
                "flows | permutation | incast | all_to_all | poisson | checkpoint.")
          .integer("size_bytes", &TrafficEntry::size_bytes, "bytes", 1'000'000, 1, 1ll << 50,
                   "Bytes per flow (poisson: used when size_cdf is absent).")
          .duration("start_us", &TrafficEntry::start_ps, "us", 0, 0, 1e12, "Start time of the flows.")
          .integer("first_host", &TrafficEntry::first_host, "", 0, 0, kMaxCount,
                   "First host of the range drawn from.")
          .integer("host_count", &TrafficEntry::host_count, "", 0, 0, kMaxCount,
                   "Hosts in the range; 0 = all hosts from first_host on.")
          .integer("senders", &TrafficEntry::senders, "", 8, 1, kMaxCount, "incast: number of senders.")
          .real("load", &TrafficEntry::load, "", 0.3, 0, 1,
                "poisson: offered load per host, fraction of its link rate.", true)
          .duration("duration_us", &TrafficEntry::duration_ps, "us", 1000, 0, 1e12,
                    "poisson: arrivals are generated over this window.", true)
          .integer("storage_first_host", &TrafficEntry::storage_first_host, "", 0, 0, kMaxCount,
                   "checkpoint: first storage host (0 = the first host after the host range).")
          .integer("storage_hosts", &TrafficEntry::storage_hosts, "", 1, 1, kMaxCount,
                   "checkpoint: storage hosts, written round robin.")
          .duration("interval_us", &TrafficEntry::interval_ps, "us", 0, 0, 1e12,
                    "checkpoint: time between checkpoints.")
          .integer("repeat", &TrafficEntry::repeat, "", 1, 1, 100000, "checkpoint: number of checkpoints.")
          .choice("direction", &TrafficEntry::read, {{"write", false}, {"read", true}}, "write",
                  "checkpoint: write (GPUs to storage: checkpoints) or read (storage to GPUs: data loading, "
                  "restores).");
  return s;
}
// Keys handled by hand next to the schema above, documented with it.
const std::vector<ParamDoc>& traffic_extra_docs() {
  static const std::vector<ParamDoc> d = {
      {"traffic[].flows", "list", "", "", "",
       "flows: [{src, dst, size_bytes, start_us}], hosts by index or name."},
      {"traffic[].receiver", "host", "", "0", "", "incast: receiving host, by index or name."},
      {"traffic[].size_cdf", "list", "bytes, probability", "", "",
       "poisson: flow-size CDF as [[size_bytes, cdf], ...], increasing, last cdf 1."},
  };
  return d;
}

// ---------------------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------------------

template <class S>
S parse_with_defaults(const Schema<S>& schema, const YAML::Node& node, const ParseContext& ctx,
                      const std::string& prefix, std::set<std::string>* explicitly_set = nullptr,
                      const std::set<std::string>& extra = {}) {
  S s{};
  schema.defaults(s);
  if (node) {
    auto set = schema.parse(node, s, ctx, prefix, extra);
    if (explicitly_set) *explicitly_set = std::move(set);
  }
  return s;
}

std::set<std::string> keys_of(const std::vector<ParamDoc>& docs) {
  std::set<std::string> k;
  for (const auto& d : docs) k.insert(d.key);
  return k;
}

net::FabricConfig load_fabric(const YAML::Node& node, const ParseContext& ctx) {
  std::set<std::string> set_top, set_pfc, set_ecn;
  const std::set<std::string> sections = {"ecn", "pfc", "dcqcn", "transport", "infiniband"};
  const FabricTop top = parse_with_defaults(fabric_schema(), node, ctx, "fabric", &set_top, sections);
  net::FabricConfig f;
  f.kind = top.kind;
  f.scheduler = top.scheduler;
  f.dwrr_quantum_bytes[net::kControl] = top.quantum_control;
  f.dwrr_quantum_bytes[net::kData] = top.quantum_data;
  const YAML::Node none(YAML::NodeType::Undefined);
  auto section = [&](const char* key) { return node ? node[key] : none; };
  f.ecn = parse_with_defaults(ecn_schema(), section("ecn"), ctx, "fabric.ecn", &set_ecn);
  f.pfc = parse_with_defaults(pfc_schema(), section("pfc"), ctx, "fabric.pfc", &set_pfc);
  f.dcqcn = parse_with_defaults(dcqcn_schema(), section("dcqcn"), ctx, "fabric.dcqcn");
  f.transport = parse_with_defaults(transport_schema(), section("transport"), ctx, "fabric.transport");
  f.ib_control_vl_share =
      parse_with_defaults(ib_schema(), section("infiniband"), ctx, "fabric.infiniband").control_vl_share;

  const bool roce = f.kind == net::FabricKind::kRoce;
  const bool ib = f.kind == net::FabricKind::kInfiniband;
  if (!roce && set_pfc.count("enabled") && f.pfc.enabled)
    throw InputError(ctx.at(section("pfc")["enabled"], "fabric.pfc.enabled"),
                     ib ? "InfiniBand is lossless through credits; PFC applies to kind: roce only"
                        : "plain Ethernet has no PFC; use kind: roce for a lossless Ethernet fabric");
  if (!roce) f.pfc.enabled = false;
  if (!set_ecn.count("enabled")) f.ecn.enabled = roce;
  if (f.ecn.enabled && f.ecn.kmax_bytes <= f.ecn.kmin_bytes)
    throw InputError(
        ctx.at(section("ecn"), "fabric.ecn.kmax_bytes"),
        fmt::format("must be greater than kmin_bytes ({}), got {}", f.ecn.kmin_bytes, f.ecn.kmax_bytes));
  if (f.pfc.enabled && f.pfc.xon_bytes > f.pfc.xoff_bytes)
    throw InputError(
        ctx.at(section("pfc"), "fabric.pfc.xon_bytes"),
        fmt::format("must not exceed xoff_bytes ({}), got {}", f.pfc.xoff_bytes, f.pfc.xon_bytes));
  switch (top.load_balancing) {
    case Auto::kAuto:
      f.load_balancing = ib ? routing::LoadBalancing::kAdaptive : routing::LoadBalancing::kEcmp;
      break;
    case Auto::kA:
      f.load_balancing = routing::LoadBalancing::kEcmp;
      break;
    case Auto::kB:
      f.load_balancing = routing::LoadBalancing::kSpray;
      break;
    case Auto::kC:
      f.load_balancing = routing::LoadBalancing::kAdaptive;
      break;
  }
  f.cc = (top.cc == Auto::kA || (top.cc == Auto::kAuto && roce)) ? net::CongestionControl::kDcqcn
                                                                 : net::CongestionControl::kNone;
  if (f.cc == net::CongestionControl::kDcqcn && !f.ecn.enabled)
    throw InputError(
        ctx.at(node, "fabric.congestion_control"),
        "dcqcn reacts to ECN marks; enable fabric.ecn.enabled or choose congestion_control: none");
  // Framing (docs/models/packet.md): Ethernet frames carry Eth 14 + IPv4 20 + UDP 8 + BTH 12 + ICRC 4 + FCS 4
  // and cost 8 preamble + 12 inter-frame gap more on the wire; an ACK adds a 4-byte AETH, a CNP 16 reserved
  // bytes; a PFC frame is a 64-byte MAC control frame. InfiniBand packets carry LRH 8 + BTH 12 + ICRC 4 +
  // VCRC 2; a flow-control packet is 6 bytes.
  f.framing = ib ? net::Framing{26, 0, 30, 30, 6} : net::Framing{62, 20, 66, 78, 64};
  return f;
}

topo::TierParams tier_params(const YAML::Node& tiers, const std::string& name, const topo::LinkParams& link,
                             const topo::SwitchParams& sw, const ParseContext& ctx) {
  topo::TierParams t{link, sw};
  if (!tiers || !tiers[name]) return t;
  const YAML::Node n = tiers[name];
  const std::string prefix = "topology.tiers." + name;
  link_schema().parse(n, t.link, ctx, prefix, keys_of(switch_schema().docs("")));
  switch_schema().parse(n, t.sw, ctx, prefix, keys_of(link_schema().docs("")));
  return t;
}

std::uint32_t node_index(const topo::TopologySpec& t, const std::string& name, const YAML::Node& n,
                         const ParseContext& ctx, const std::string& field) {
  for (std::uint32_t i = 0; i < t.nodes.size(); ++i)
    if (t.nodes[i].name == name) return i;
  throw InputError(ctx.at(n, field), fmt::format("no node named '{}'", name));
}

topo::TopologySpec load_explicit(const YAML::Node& node, const topo::LinkParams& link,
                                 const topo::SwitchParams& sw, const ParseContext& ctx) {
  topo::TopologySpec t;
  t.kind = "explicit";
  const YAML::Node nodes = node["nodes"], links = node["links"];
  if (!nodes || !nodes.IsSequence())
    throw InputError(ctx.at(node, "topology.nodes"), "expected a list of {name, kind} entries");
  if (!links || !links.IsSequence())
    throw InputError(ctx.at(node, "topology.links"), "expected a list of {a, b} entries");
  const auto switch_keys = keys_of(switch_schema().docs(""));
  const auto node_keys = keys_of(node_schema().docs(""));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string f = fmt::format("topology.nodes[{}]", i);
    const NodeEntry e = parse_with_defaults(node_schema(), nodes[i], ctx, f, nullptr, switch_keys);
    if (e.kind != "host" && e.kind != "switch")
      throw InputError(ctx.at(nodes[i]["kind"], f + ".kind"),
                       "expected host or switch, got '" + e.kind + "'");
    if (e.name.empty()) throw InputError(ctx.at(nodes[i], f + ".name"), "every node needs a name");
    topo::SwitchParams s = sw;
    switch_schema().parse(nodes[i], s, ctx, f, node_keys);
    t.add_node(e.name, e.kind == "host" ? topo::NodeKind::kHost : topo::NodeKind::kSwitch,
               e.kind == "host" ? "host" : "switch", s);
  }
  const auto link_keys = keys_of(link_schema().docs(""));
  const auto end_keys = keys_of(link_entry_schema().docs(""));
  for (std::size_t i = 0; i < links.size(); ++i) {
    const std::string f = fmt::format("topology.links[{}]", i);
    const LinkEntry e = parse_with_defaults(link_entry_schema(), links[i], ctx, f, nullptr, link_keys);
    topo::LinkParams p = link;
    link_schema().parse(links[i], p, ctx, f, end_keys);
    t.add_link(node_index(t, e.a, links[i]["a"], ctx, f + ".a"),
               node_index(t, e.b, links[i]["b"], ctx, f + ".b"), p, "explicit", f);
  }
  return t;
}

void load_services(const YAML::Node& node, api::Scenario& sc, const ParseContext& ctx) {
  if (!node.IsSequence()) throw InputError(ctx.at(node, "services"), "expected a list of inference services");
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string f = fmt::format("services[{}]", i);
    workload::InferenceService s = parse_with_defaults(service_schema(), node[i], ctx, f, nullptr, {"model"});
    if (!node[i]["model"])
      throw InputError(ctx.at(node[i], f + ".model"), "missing; expected {layers, hidden, heads, ...}");
    s.model = parse_with_defaults(model_schema(), node[i]["model"], ctx, f + ".model");
    s.seed = sc.run.seed + i;
    if (const std::string problem =
            workload::check(s, sc.cluster.gpu, sc.cluster.gpus_per_server, sc.cluster.gpus);
        !problem.empty()) {
      const std::string key = problem.substr(0, problem.find(':'));
      const std::string head = key.substr(0, key.find('.'));
      throw InputError(ctx.at(node[i][head] ? node[i][head] : node[i], f + "." + key),
                       problem.substr(problem.find(':') + 2));
    }
    for (const auto& other : sc.services)
      if (s.first_gpu < other.first_gpu + other.gpus && other.first_gpu < s.first_gpu + s.gpus)
        throw InputError(ctx.at(node[i], f + ".first_gpu"),
                         fmt::format("GPUs overlap service '{}'", other.name));
    for (const auto& job : sc.jobs)
      for (std::uint32_t g = s.first_gpu; g < s.first_gpu + s.gpus; ++g) {
        const bool taken = job.gpu_list.empty()
                               ? (g >= job.first_gpu && g < job.first_gpu + job.gpus)
                               : std::find(job.gpu_list.begin(), job.gpu_list.end(), g) != job.gpu_list.end();
        if (taken)
          throw InputError(ctx.at(node[i], f + ".first_gpu"),
                           fmt::format("GPU {} is also used by job '{}'", g, job.name));
      }
    sc.services.push_back(std::move(s));
  }
}

void apply_failures(const YAML::Node& node, topo::TopologySpec& t, const ParseContext& ctx) {
  if (!node.IsSequence())
    throw InputError(ctx.at(node, "topology.failed_links"), "expected a list of {a, b} node-name pairs");
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string f = fmt::format("topology.failed_links[{}]", i);
    require_map(node[i], ctx, f);
    reject_unknown_keys(node[i], {"a", "b"}, ctx, f);
    const std::uint32_t a =
        node_index(t, read_string(node[i]["a"], ctx, f + ".a"), node[i]["a"], ctx, f + ".a");
    const std::uint32_t b =
        node_index(t, read_string(node[i]["b"], ctx, f + ".b"), node[i]["b"], ctx, f + ".b");
    auto it = std::find_if(t.links.begin(), t.links.end(), [&](const topo::LinkSpec& l) {
      return (l.a == a && l.b == b) || (l.a == b && l.b == a);
    });
    if (it == t.links.end())
      throw InputError(ctx.at(node[i], f),
                       fmt::format("no link between '{}' and '{}'", t.nodes[a].name, t.nodes[b].name));
    t.links.erase(it);
    t.layered = false;  // the builder's symmetry is gone: routes come from a search of the graph
  }
}

topo::TopologySpec load_topology(const YAML::Node& node, const ParseContext& ctx) {
  if (!node) throw InputError(ctx.at(node, "topology"), "missing; every scenario needs a topology");
  require_map(node, ctx, "topology");
  if (!node["kind"])
    throw InputError(ctx.at(node, "topology.kind"),
                     "missing; expected leaf_spine, fat_tree, rail_optimized or explicit");
  const std::string kind = read_string(node["kind"], ctx, "topology.kind");
  const std::set<std::string> common = {"kind", "link", "switch", "tiers", "failed_links"};
  const topo::LinkParams link = parse_with_defaults(link_schema(), node["link"], ctx, "topology.link");
  const topo::SwitchParams sw = parse_with_defaults(switch_schema(), node["switch"], ctx, "topology.switch");
  const YAML::Node tiers = node["tiers"];
  if (tiers) require_map(tiers, ctx, "topology.tiers");
  auto check_tiers = [&](const std::set<std::string>& names) {
    if (tiers) reject_unknown_keys(tiers, names, ctx, "topology.tiers");
  };
  auto with_common = [&](std::set<std::string> s) {
    s.insert(common.begin(), common.end());
    return s;
  };
  topo::TopologySpec spec;
  try {
    if (kind == "leaf_spine") {
      auto p = parse_with_defaults(leaf_spine_schema(), node, ctx, "topology", nullptr, common);
      check_tiers({"leaf", "spine"});
      p.leaf = tier_params(tiers, "leaf", link, sw, ctx);
      p.spine = tier_params(tiers, "spine", link, sw, ctx);
      spec = topo::build_leaf_spine(p, "topology");
    } else if (kind == "fat_tree") {
      auto p = parse_with_defaults(fat_tree_schema(), node, ctx, "topology", nullptr, common);
      check_tiers({"edge", "agg", "core"});
      p.edge = tier_params(tiers, "edge", link, sw, ctx);
      p.agg = tier_params(tiers, "agg", link, sw, ctx);
      p.core = tier_params(tiers, "core", link, sw, ctx);
      spec = topo::build_fat_tree(p, "topology");
    } else if (kind == "rail_optimized") {
      auto p = parse_with_defaults(rail_schema(), node, ctx, "topology", nullptr, common);
      check_tiers({"leaf", "spine", "core"});
      p.leaf = tier_params(tiers, "leaf", link, sw, ctx);
      p.spine = tier_params(tiers, "spine", link, sw, ctx);
      p.core = tier_params(tiers, "core", link, sw, ctx);
      spec = topo::build_rail_optimized(p, "topology");
    } else if (kind == "explicit") {
      reject_unknown_keys(node, with_common({"nodes", "links"}), ctx, "topology");
      if (tiers)
        throw InputError(ctx.at(tiers, "topology.tiers"),
                         "explicit topologies set parameters per node and link");
      spec = load_explicit(node, link, sw, ctx);
    } else {
      throw InputError(ctx.at(node["kind"], "topology.kind"),
                       "expected leaf_spine, fat_tree, rail_optimized or explicit, got '" + kind + "'");
    }
    if (node["failed_links"]) apply_failures(node["failed_links"], spec, ctx);
    topo::validate(spec, "topology");
  } catch (const InputError& e) {
    // Builders and validation know the field; the file and line are known here: the field's own line when
    // it is a key of `topology`, else the topology's.
    core::Location w = e.where();
    if (!w.file.empty()) throw;
    w.file = ctx.file;
    const std::string key = w.field.rfind("topology.", 0) == 0 ? w.field.substr(9) : "";
    const YAML::Node at =
        key.find_first_of(".[") == std::string::npos && !key.empty() && node[key] ? node[key] : node;
    w.line = at.Mark().line + 1;
    w.column = at.Mark().column + 1;
    throw InputError(w, e.expected());
  }
  return spec;
}

std::uint32_t host_ref(const YAML::Node& n, const topo::TopologySpec& t, const ParseContext& ctx,
                       const std::string& field) {
  if (!n) throw InputError(ctx.at(n, field), "missing; expected a host index or name");
  if (!n.IsScalar()) throw InputError(ctx.at(n, field), "expected a host index or name");
  std::int64_t idx = -1;
  if (YAML::convert<std::int64_t>::decode(n, idx)) {
    if (idx < 0 || idx >= static_cast<std::int64_t>(t.hosts.size()))
      throw InputError(ctx.at(n, field),
                       fmt::format("host index must be in [0, {}), got {}", t.hosts.size(), idx));
    return static_cast<std::uint32_t>(idx);
  }
  for (std::uint32_t h = 0; h < t.hosts.size(); ++h)
    if (t.nodes[t.hosts[h]].name == n.Scalar()) return h;
  throw InputError(ctx.at(n, field), fmt::format("no host named '{}'", n.Scalar()));
}

std::vector<backend::FlowSpec> load_traffic(const YAML::Node& node, const topo::TopologySpec& topology,
                                             std::uint64_t seed, const ParseContext& ctx) {
  if (!node) throw InputError(ctx.at(node, "traffic"), "missing; expected a list of traffic generators");
  if (!node.IsSequence()) throw InputError(ctx.at(node, "traffic"), "expected a list of traffic generators");
  const auto n_hosts = static_cast<std::uint32_t>(topology.hosts.size());
  std::vector<backend::FlowSpec> flows;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node g = node[i];
    const std::string f = fmt::format("traffic[{}]", i);
    require_map(g, ctx, f);
    if (!g["kind"])
      throw InputError(
          ctx.at(g, f + ".kind"),
          "missing; expected one of flows, permutation, incast, all_to_all, poisson, checkpoint");
    const std::string kind = read_string(g["kind"], ctx, f + ".kind");
    static const std::map<std::string, std::set<std::string>> kAllowed = {
        {"flows", {"kind", "flows"}},
        {"permutation", {"kind", "size_bytes", "start_us", "first_host", "host_count"}},
        {"incast", {"kind", "size_bytes", "start_us", "receiver", "senders"}},
        {"all_to_all", {"kind", "size_bytes", "start_us", "first_host", "host_count"}},
        {"poisson",
         {"kind", "size_bytes", "size_cdf", "start_us", "first_host", "host_count", "load", "duration_us"}},
        {"checkpoint",
         {"kind", "size_bytes", "start_us", "first_host", "host_count", "storage_first_host", "storage_hosts",
          "interval_us", "repeat", "direction"}}};
    const auto allowed = kAllowed.find(kind);
    if (allowed == kAllowed.end())
      throw InputError(
          ctx.at(g["kind"], f + ".kind"),
          "expected one of flows, permutation, incast, all_to_all, poisson, checkpoint, got '" + kind + "'");
    reject_unknown_keys(g, allowed->second, ctx, f);
    const TrafficEntry e =
        parse_with_defaults(traffic_schema(), g, ctx, f, nullptr, {"flows", "receiver", "size_cdf"});
    workload::HostRange range{
        e.first_host, e.host_count == 0 && e.first_host < n_hosts ? n_hosts - e.first_host : e.host_count};
    if (static_cast<std::uint64_t>(range.first) + range.count > n_hosts)
      throw InputError(ctx.at(g, f + ".host_count"),
                       fmt::format("hosts [{}, {}) exceed the topology's {} hosts", range.first,
                                   static_cast<std::uint64_t>(range.first) + range.count, n_hosts));
    core::Rng rng(seed, core::hash_combine(3, i));
    std::vector<backend::FlowSpec> add;
    if (kind == "flows") {
      const YAML::Node list = g["flows"];
      if (!list || !list.IsSequence() || list.size() == 0)
        throw InputError(ctx.at(g, f + ".flows"),
                         "expected a non-empty list of {src, dst, size_bytes, start_us}");
      for (std::size_t j = 0; j < list.size(); ++j) {
        const std::string ff = fmt::format("{}.flows[{}]", f, j);
        require_map(list[j], ctx, ff);
        reject_unknown_keys(list[j], {"src", "dst", "size_bytes", "start_us"}, ctx, ff);
        backend::FlowSpec fs;
        fs.src = host_ref(list[j]["src"], topology, ctx, ff + ".src");
        fs.dst = host_ref(list[j]["dst"], topology, ctx, ff + ".dst");
        if (fs.src == fs.dst)
          throw InputError(ctx.at(list[j]["dst"], ff + ".dst"), "a flow needs two different hosts");
        if (!list[j]["size_bytes"])
          throw InputError(ctx.at(list[j], ff + ".size_bytes"), "missing; expected a byte count >= 1");
        fs.size_bytes = read_bytes(list[j]["size_bytes"], ctx, ff + ".size_bytes");
        if (fs.size_bytes == 0)
          throw InputError(ctx.at(list[j]["size_bytes"], ff + ".size_bytes"),
                           "expected a byte count >= 1, got 0");
        if (list[j]["start_us"]) {
          const double us = read_real(list[j]["start_us"], ctx, ff + ".start_us");
          if (us < 0)
            throw InputError(ctx.at(list[j]["start_us"], ff + ".start_us"), "expected a time >= 0 us");
          fs.start_ps = core::us_to_ps(us);
        }
        add.push_back(fs);
      }
    } else {
      if (range.count < 2)
        throw InputError(ctx.at(g, f + ".host_count"),
                         fmt::format("needs at least 2 hosts, got {}", range.count));
      if (kind == "checkpoint") {
        // Every host of the range writes size_bytes to (or reads them from) a storage host, round robin,
        // `repeat` times.
        const std::uint32_t first_storage =
            e.storage_first_host != 0 ? e.storage_first_host : range.first + range.count;
        if (static_cast<std::uint64_t>(first_storage) + e.storage_hosts > n_hosts)
          throw InputError(ctx.at(g, f + ".storage_hosts"),
                           fmt::format("storage hosts [{}, {}) exceed the topology's {} hosts", first_storage,
                                       static_cast<std::uint64_t>(first_storage) + e.storage_hosts, n_hosts));
        for (std::uint32_t r = 0; r < e.repeat; ++r)
          for (std::uint32_t h = 0; h < range.count; ++h) {
            const std::uint32_t gpu = range.first + h, storage = first_storage + h % e.storage_hosts;
            add.push_back({e.read ? storage : gpu, e.read ? gpu : storage, e.size_bytes,
                           e.start_ps + r * e.interval_ps});
          }
      } else if (kind == "permutation") {
        add = workload::permutation(range, e.size_bytes, e.start_ps, rng);
      } else if (kind == "incast") {
        const std::uint32_t receiver =
            g["receiver"] ? host_ref(g["receiver"], topology, ctx, f + ".receiver") : 0;
        if (e.senders >= n_hosts)
          throw InputError(ctx.at(g["senders"], f + ".senders"),
                           fmt::format("expected at most {} senders (hosts other than the receiver), got {}",
                                       n_hosts - 1, e.senders));
        add = workload::incast({0, n_hosts}, receiver, e.senders, e.size_bytes, e.start_ps);
      } else if (kind == "all_to_all") {
        add = workload::all_to_all(range, e.size_bytes, e.start_ps);
      } else {
        std::vector<workload::CdfPoint> cdf;
        if (const YAML::Node c = g["size_cdf"]) {
          if (!c.IsSequence() || c.size() == 0)
            throw InputError(ctx.at(c, f + ".size_cdf"), "expected a list of [size_bytes, cdf] pairs");
          for (std::size_t j = 0; j < c.size(); ++j) {
            const std::string cf = fmt::format("{}.size_cdf[{}]", f, j);
            if (!c[j].IsSequence() || c[j].size() != 2)
              throw InputError(ctx.at(c[j], cf), "expected a pair [size_bytes, cdf]");
            const workload::CdfPoint pt{read_real(c[j][0], ctx, cf + "[0]"),
                                        read_real(c[j][1], ctx, cf + "[1]")};
            if (pt.size_bytes < 1 || pt.cdf < 0 || pt.cdf > 1 ||
                (!cdf.empty() && (pt.size_bytes < cdf.back().size_bytes || pt.cdf < cdf.back().cdf)))
              throw InputError(ctx.at(c[j], cf),
                               "expected sizes >= 1 and cdf in [0, 1], both non-decreasing");
            cdf.push_back(pt);
          }
          if (cdf.back().cdf != 1.0)
            throw InputError(ctx.at(c, f + ".size_cdf"), "the last point's cdf must be 1");
        } else {
          cdf = {{static_cast<double>(e.size_bytes), 1.0}};
        }
        const auto& host_link = topology.links.front();  // every host link: validated to exist
        double rate = host_link.params.rate_gbps;
        for (const auto& l : topology.links)
          if (topology.nodes[l.a].kind == topo::NodeKind::kHost ||
              topology.nodes[l.b].kind == topo::NodeKind::kHost) {
            rate = l.params.rate_gbps;
            break;
          }
        add = workload::poisson(range, e.load, rate, cdf, e.start_ps, e.duration_ps, rng);
      }
    }
    flows.insert(flows.end(), add.begin(), add.end());
  }
  if (flows.empty()) throw InputError(ctx.at(node, "traffic"), "the generators produced no flows");
  return flows;
}

void load_cluster(const YAML::Node& node, const YAML::Node& topology, api::Scenario& sc,
                  const ParseContext& ctx) {
  const auto overrides = keys_of(gpu_override_schema().docs(""));
  const ClusterTop top = parse_with_defaults(cluster_schema(), node, ctx, "cluster", nullptr, overrides);
  const workload::GpuSpec* preset = workload::find_gpu(top.gpu);
  if (preset == nullptr) {
    std::string names;
    for (const auto& g : workload::gpu_presets()) names += (names.empty() ? "" : ", ") + g.name;
    throw InputError(ctx.at(node["gpu"], "cluster.gpu"),
                     fmt::format("unknown GPU preset '{}'; expected one of: {}", top.gpu, names));
  }
  sc.cluster.gpu = *preset;
  if (node)
    gpu_override_schema().parse(node, sc.cluster.gpu, ctx, "cluster", keys_of(cluster_schema().docs("")));
  std::uint32_t per_server = top.gpus_per_server;
  if (per_server == 0) {
    per_server = 8;
    if (sc.topology.kind == "rail_optimized" && topology["gpus_per_server"])
      per_server =
          static_cast<std::uint32_t>(read_int(topology["gpus_per_server"], ctx, "topology.gpus_per_server"));
  }
  auto hosts = static_cast<std::uint32_t>(sc.topology.hosts.size());
  if (sc.topology.kind == "rail_optimized" && topology["storage_nodes"])
    hosts -= static_cast<std::uint32_t>(read_int(topology["storage_nodes"], ctx, "topology.storage_nodes"));
  if (hosts % per_server != 0)
    throw InputError(
        ctx.at(node ? node["gpus_per_server"] : node, "cluster.gpus_per_server"),
        fmt::format("the topology's {} GPU hosts do not divide into servers of {} GPUs", hosts, per_server));
  sc.cluster.gpus = hosts;
  sc.cluster.gpus_per_server = per_server;
  sc.cluster.gpu_hour_usd = top.gpu_hour_usd;
}

void load_collective(const YAML::Node& node, api::Scenario& sc, const ParseContext& ctx) {
  const CollectiveTop c = parse_with_defaults(collective_schema(), node, ctx, "collective");
  auto& sweep = sc.collective;
  sweep.present = true;
  sweep.min_bytes = c.min_bytes;
  sweep.max_bytes = c.max_bytes;
  sweep.step_factor = c.step_factor;
  sweep.network = c.network;
  if (c.max_bytes < c.min_bytes)
    throw InputError(ctx.at(node["max_bytes"], "collective.max_bytes"),
                     fmt::format("must be >= min_bytes ({}), got {}", c.min_bytes, c.max_bytes));
  auto& spec = sweep.spec;
  spec.op = c.op;
  spec.chunk_bytes = c.chunk_bytes;
  spec.root = c.root;
  spec.channels = c.channels == 0 ? sc.cluster.gpus_per_server : c.channels;
  spec.launch_ps = core::us_to_ps(sc.cluster.gpu.collective_launch_us);
  if (c.algorithm == "auto") {
    spec.algorithm = workload::algorithms_for(c.op).front();
  } else {
    bool found = false;
    for (auto a :
         {workload::Algorithm::kRing, workload::Algorithm::kTree, workload::Algorithm::kHalvingDoubling,
          workload::Algorithm::kHierarchical, workload::Algorithm::kPipeline, workload::Algorithm::kDirect,
          workload::Algorithm::kPairwise})
      if (c.algorithm == workload::name(a)) {
        spec.algorithm = a;
        found = true;
      }
    if (!found)
      throw InputError(
          ctx.at(node["algorithm"], "collective.algorithm"),
          "expected auto, ring, tree, halving_doubling, hierarchical, pipeline, direct or pairwise, got '" +
              c.algorithm + "'");
  }
  const auto gpus = sc.cluster.gpus;
  const std::uint32_t count = c.gpu_count == 0 && c.first_gpu < gpus ? gpus - c.first_gpu : c.gpu_count;
  if (static_cast<std::uint64_t>(c.first_gpu) + count > gpus)
    throw InputError(ctx.at(node, "collective.gpu_count"),
                     fmt::format("GPUs [{}, {}) exceed the cluster's {}", c.first_gpu,
                                 static_cast<std::uint64_t>(c.first_gpu) + count, gpus));
  spec.ranks.clear();
  for (std::uint32_t g = 0; g < count; ++g) spec.ranks.push_back(c.first_gpu + g);
  std::vector<std::uint32_t> server_of(gpus);
  for (std::uint32_t g = 0; g < gpus; ++g) server_of[g] = g / sc.cluster.gpus_per_server;
  if (const std::string problem = workload::check(spec, server_of, gpus); !problem.empty())
    throw InputError(ctx.at(node, "collective"), problem);
}

void load_jobs(const YAML::Node& node, api::Scenario& sc, const ParseContext& ctx) {
  if (!node.IsSequence()) throw InputError(ctx.at(node, "jobs"), "expected a list of jobs");
  const auto gpus = sc.cluster.gpus;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string f = fmt::format("jobs[{}]", i);
    const YAML::Node j = node[i];
    const JobTop top =
        parse_with_defaults(job_schema(), j, ctx, f, nullptr, {"model", "parallelism", "gpu_list"});
    if (top.kind != "training")
      throw InputError(ctx.at(j["kind"], f + ".kind"), "expected training, got '" + top.kind + "'");
    workload::TrainingJob job;
    job.name = top.name;
    job.first_gpu = top.first_gpu;
    job.gpus = top.gpus == 0 && top.first_gpu < gpus ? gpus - top.first_gpu : top.gpus;
    job.gpu_efficiency = top.gpu_efficiency;
    if (const YAML::Node list = j["gpu_list"]) {
      if (!list.IsSequence() || list.size() == 0)
        throw InputError(ctx.at(list, f + ".gpu_list"), "expected a non-empty list of GPU indices");
      for (std::size_t k = 0; k < list.size(); ++k) {
        const auto g = read_int(list[k], ctx, fmt::format("{}.gpu_list[{}]", f, k));
        if (g < 0)
          throw InputError(ctx.at(list[k], fmt::format("{}.gpu_list[{}]", f, k)),
                           "expected a GPU index >= 0");
        job.gpu_list.push_back(static_cast<std::uint32_t>(g));
      }
      job.gpus = static_cast<std::uint32_t>(job.gpu_list.size());
    }
    if (!j["model"])
      throw InputError(ctx.at(j, f + ".model"),
                       "missing; expected {layers, hidden, heads, seq_len, vocab, ...}");
    job.model = parse_with_defaults(model_schema(), j["model"], ctx, f + ".model");
    job.par = parse_with_defaults(parallelism_schema(), j["parallelism"], ctx, f + ".parallelism");
    bool known = false;
    for (auto a : workload::algorithms_for(workload::Collective::kAllReduce))
      if (top.allreduce == workload::name(a)) {
        job.allreduce = a;
        known = true;
      }
    if (!known)
      throw InputError(ctx.at(j["allreduce_algorithm"], f + ".allreduce_algorithm"),
                       "expected ring, tree, halving_doubling or hierarchical, got '" + top.allreduce + "'");
    if (const std::string problem = workload::check(job, sc.cluster.gpu, sc.cluster.gpus_per_server, gpus);
        !problem.empty()) {
      const std::string key = problem.substr(0, problem.find(':'));
      const std::string head = key.substr(0, key.find('.'));
      throw InputError(ctx.at(j[head] ? j[head] : j, f + "." + key), problem.substr(problem.find(':') + 2));
    }
    for (const auto& other : sc.jobs)
      for (std::uint32_t r = 0; r < job.gpus; ++r) {
        const std::uint32_t g = job.gpu_list.empty() ? job.first_gpu + r : job.gpu_list[r];
        const bool taken = other.gpu_list.empty() ? (g >= other.first_gpu && g < other.first_gpu + other.gpus)
                                                  : std::find(other.gpu_list.begin(), other.gpu_list.end(),
                                                              g) != other.gpu_list.end();
        if (taken)
          throw InputError(ctx.at(j, f + (job.gpu_list.empty() ? ".first_gpu" : ".gpu_list")),
                           fmt::format("GPU {} is also used by job '{}'", g, other.name));
      }
    sc.jobs.push_back(job);
  }
}

}  // namespace

api::Scenario load_scenario_text(const std::string& text, const std::string& source,
                                 std::int64_t seed_override) {
  ParseContext ctx{source};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(core::Location{source, e.mark.line + 1, e.mark.column + 1, "(syntax)"},
                     "not valid YAML: " + e.msg);
  }
  require_map(root, ctx, "");
  const TopLevel top = parse_with_defaults(
      top_schema(), root, ctx, "", nullptr,
      {"fabric", "topology", "traffic", "telemetry", "cluster", "collective", "jobs", "services"});
  if (root["fabric"]) require_map(root["fabric"], ctx, "fabric");
  api::Scenario sc;
  sc.name = top.name;
  sc.fidelity = top.fidelity;
  sc.source = source;
  sc.run.seed =
      seed_override >= 0 ? static_cast<std::uint64_t>(seed_override) : static_cast<std::uint64_t>(top.seed);
  sc.run.stop_ps = top.stop_ps;
  const Telemetry tel = parse_with_defaults(telemetry_schema(), root["telemetry"], ctx, "telemetry");
  sc.run.sample_interval_ps = tel.sample_ps;
  sc.run.check_interval_ps = tel.check_ps;
  sc.top_ports = tel.top_ports;
  sc.fabric = load_fabric(root["fabric"], ctx);
  sc.topology = load_topology(root["topology"], ctx);
  std::uint32_t mtu = sc.topology.links.front().params.mtu_bytes;
  for (const auto& l : sc.topology.links) mtu = std::min(mtu, l.params.mtu_bytes);
  const std::uint32_t max_wire = mtu + sc.fabric.framing.header_bytes + sc.fabric.framing.gap_bytes;
  if (sc.fabric.scheduler == net::Scheduler::kDwrr)
    for (int c = 0; c < net::kClasses; ++c)
      if (sc.fabric.dwrr_quantum_bytes[c] < max_wire)
        throw InputError(ctx.at(root["fabric"], c == 0 ? "fabric.dwrr_control_quantum_bytes"
                                                       : "fabric.dwrr_data_quantum_bytes"),
                         fmt::format("must hold one full packet ({} bytes on the wire), got {}", max_wire,
                                     sc.fabric.dwrr_quantum_bytes[c]));
  // The GPU cluster matters only to GPU workloads; plain traffic scenarios need not divide into servers.
  if (root["cluster"] || root["collective"] || root["jobs"] || root["services"])
    load_cluster(root["cluster"], root["topology"], sc, ctx);
  if (root["collective"]) load_collective(root["collective"], sc, ctx);
  if (root["jobs"]) load_jobs(root["jobs"], sc, ctx);
  if (root["services"]) load_services(root["services"], sc, ctx);
  if (root["traffic"] || (!sc.collective.present && sc.jobs.empty() && sc.services.empty()))
    sc.flows = load_traffic(root["traffic"], sc.topology, sc.run.seed, ctx);
  // Checks that need the instantiated network (InfiniBand credit windows); they know the field, not the line.
  try {
    api::check(sc);
  } catch (const InputError& e) {
    core::Location w = e.where();
    w.file = ctx.file;
    const YAML::Node topology = root["topology"];
    w.line = topology.Mark().line + 1;
    w.column = topology.Mark().column + 1;
    throw InputError(w, e.expected());
  }
  return sc;
}

api::Scenario load_scenario_file(const std::string& path, std::int64_t seed_override) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw InputError(core::Location{path, 0, 0, ""}, "cannot open scenario file (missing or unreadable)");
  std::ostringstream text;
  text << in.rdbuf();
  return load_scenario_text(text.str(), path, seed_override);
}

std::string scenario_text(const std::string& path_or_example) {
  const std::string prefix = "example:";
  if (path_or_example.rfind(prefix, 0) == 0) {
    for (const auto& ex : builtin_examples())
      if (ex.name == path_or_example.substr(prefix.size())) return ex.yaml;
    throw InputError(core::Location{path_or_example, 0, 0, ""},
                     "no built-in example of that name (see `aifabric examples`)");
  }
  std::ifstream in(path_or_example, std::ios::binary);
  if (!in)
    throw InputError(core::Location{path_or_example, 0, 0, ""},
                     "cannot open scenario file (missing or unreadable)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string with_override(const std::string& yaml, const std::string& path, const std::string& value) {
  const core::Location where{"--vary", 0, 0, path};
  YAML::Node root;
  YAML::Node replacement;
  try {
    root = YAML::Load(yaml);
    replacement = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw InputError(where, "not valid YAML: " + e.msg);
  }
  // Walk the path, one key or [index] at a time, keeping each step's node so the last can be assigned.
  std::vector<YAML::Node> chain{root};
  std::size_t i = 0;
  while (i < path.size()) {
    YAML::Node cur = chain.back();
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string::npos) throw InputError(where, "unclosed [ in the path");
      const std::size_t index = std::stoul(path.substr(i + 1, close - i - 1));
      if (!cur.IsSequence() || index >= cur.size())
        throw InputError(where, fmt::format("no list item [{}] there", index));
      chain.push_back(cur[index]);
      i = close + 1;
    } else {
      if (path[i] == '.') ++i;
      const std::size_t end = path.find_first_of(".[", i);
      const std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
      if (key.empty()) throw InputError(where, "empty key in the path");
      if (!cur.IsMap() && cur.IsDefined() && !cur.IsNull())
        throw InputError(where, "'" + key + "' is under a value that is not a mapping");
      chain.push_back(cur[key]);
      i = end == std::string::npos ? path.size() : end;
    }
  }
  if (chain.size() < 2) throw InputError(where, "expected a path to a value");
  chain.back() = replacement;
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

api::Scenario load_scenario(const std::string& path_or_example, std::int64_t seed_override) {
  const std::string prefix = "example:";
  if (path_or_example.rfind(prefix, 0) == 0) {
    const std::string name = path_or_example.substr(prefix.size());
    for (const auto& ex : builtin_examples())
      if (ex.name == name) return load_scenario_text(ex.yaml, "example:" + name, seed_override);
    std::string names;
    for (const auto& ex : builtin_examples()) names += (names.empty() ? "" : ", ") + ex.name;
    throw InputError(core::Location{path_or_example, 0, 0, ""},
                     "no built-in example of that name; expected one of: " + names);
  }
  return load_scenario_file(path_or_example, seed_override);
}

std::vector<ParamDoc> parameter_reference() {
  std::vector<ParamDoc> all;
  auto add = [&](std::vector<ParamDoc> d) { all.insert(all.end(), d.begin(), d.end()); };
  add(top_schema().docs(""));
  add(telemetry_schema().docs("telemetry"));
  add(fabric_schema().docs("fabric"));
  add(ecn_schema().docs("fabric.ecn"));
  add(pfc_schema().docs("fabric.pfc"));
  add(dcqcn_schema().docs("fabric.dcqcn"));
  add(transport_schema().docs("fabric.transport"));
  add(ib_schema().docs("fabric.infiniband"));
  all.push_back({"topology.kind", "choice", "", "", "leaf_spine | fat_tree | rail_optimized | explicit",
                 "Topology builder."});
  add(link_schema().docs("topology.link"));
  add(switch_schema().docs("topology.switch"));
  all.push_back(
      {"topology.tiers.<tier>", "mapping", "", "", "",
       "Per-tier overrides of topology.link and topology.switch keys. Tiers: leaf_spine: leaf, spine; "
       "fat_tree: edge, agg, core; rail_optimized: leaf, spine, core. A tier's link keys set the links "
       "below its switches."});
  add(leaf_spine_schema().docs("topology(leaf_spine)"));
  add(fat_tree_schema().docs("topology(fat_tree)"));
  add(rail_schema().docs("topology(rail_optimized)"));
  add(node_schema().docs("topology(explicit).nodes[]"));
  add(link_entry_schema().docs("topology(explicit).links[]"));
  add(cluster_schema().docs("cluster"));
  add(gpu_override_schema().docs("cluster"));
  add(collective_schema().docs("collective"));
  add(job_schema().docs("jobs[]"));
  all.push_back({"jobs[].gpu_list", "list", "", "", "",
                 "Explicit placement: GPU of each rank (TP innermost, then DP, then PP); overrides first_gpu "
                 "and gpus."});
  add(model_schema().docs("jobs[].model"));
  add(parallelism_schema().docs("jobs[].parallelism"));
  all.push_back({"topology.failed_links", "list", "", "", "",
                 "Links out of service: [{a, b}] node names; the first link between them is removed."});
  add(service_schema().docs("services[]"));
  add(model_schema().docs("services[].model"));
  add(traffic_schema().docs("traffic[]"));
  add(traffic_extra_docs());
  return all;
}

std::string parameter_reference_markdown() {
  std::string out =
      "# Scenario parameters\n\nGenerated by `aifabric params` from the declarations in "
      "src/io/scenario_loader.cpp;\n"
      "a test keeps this file equal to that output. Explicit-topology nodes and links also accept the\n"
      "topology.switch and topology.link keys.\n\n| key | type | unit | default | range | meaning "
      "|\n|---|---|---|---|---|---|\n";
  auto cell = [](std::string s) {
    for (std::size_t at = s.find('|'); at != std::string::npos; at = s.find('|', at + 2))
      s.replace(at, 1, "\\|");
    return s;
  };
  for (const auto& d : parameter_reference())
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", d.key, d.type, d.unit, cell(d.default_text),
                       cell(d.range), cell(d.help));
  return out;
}

}  // namespace aifabric::io
