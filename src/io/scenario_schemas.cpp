#include "io/scenario_schemas.hpp"

#include <fmt/format.h>

namespace aifabric::io {

namespace {
// Rates and efficiencies have a floor rather than an open bound at 0: a rate or fraction of 1e-300 is
// within (0, 1] but turns every duration computed from it into a time past the picosecond clock's range.
// A thousandth is below any real link, GPU or efficiency.
constexpr double kMinRate = 0.001;
constexpr double kMinFraction = 0.001;

// A choice's options under the names their module gives them (name(value)), so no name is spelled twice.
template <class E>
std::vector<std::pair<std::string, E>> named(std::initializer_list<E> values) {
  using net::name, routing::name, workload::name;
  std::vector<std::pair<std::string, E>> out;
  for (const E v : values) out.emplace_back(name(v), v);
  return out;
}
// The same with "auto" first, left for a rule to resolve.
template <class E>
std::vector<std::pair<std::string, std::optional<E>>> with_auto(
    const std::vector<std::pair<std::string, E>>& options) {
  std::vector<std::pair<std::string, std::optional<E>>> out = {{"auto", std::nullopt}};
  for (const auto& [n, v] : options) out.emplace_back(n, v);
  return out;
}
}  // namespace

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

const Schema<Limits>& limits_schema() {
  static const auto s = Schema<Limits>().real(
      "max_memory_gbytes", &Limits::max_memory_gbytes, "GB", 16, 0.001, 1e6,
      "Largest estimated memory of a run (about 2 KB a link, 400 B a flow), checked before anything is "
      "built: a larger scenario is refused with the estimate, naming the field that makes it large.");
  return s;
}

const Schema<Telemetry>& telemetry_schema() {
  static const auto s =
      Schema<Telemetry>()
          .duration("sample_interval_us", &Telemetry::sample_ps, "us", 0, 0, 1e9,
                    "Interval of the utilization / queue-depth time series (timeseries.csv); 0 = off.")
          .duration("check_interval_us", &Telemetry::check_ps, "us", 0, 0, 1e9,
                    "Interval of invariant checks (byte conservation, buffer and credit bounds); 0 = off.")
          .integer("top_ports", &Telemetry::top_ports, "", 5, 0, 1000, "Hottest ports listed in the summary.")
          .flag("counters", &Telemetry::counters, false,
                "At each sample_interval_us, every port's counters too (packet level): metrics.om "
                "(OpenMetrics) and telemetry.csv, which `aifabric diagnose` reads (docs/telemetry.md).");
  return s;
}

const Schema<FabricTop>& fabric_schema() {
  static const auto s =
      Schema<FabricTop>()
          .choice("kind", &FabricTop::kind,
                  named({net::FabricKind::kRoce, net::FabricKind::kInfiniband, net::FabricKind::kEthernet}),
                  "roce",
                  "roce: RoCEv2 (lossless through PFC unless pfc.enabled is false); infiniband: credit-based "
                  "link-level flow control; ethernet: plain lossy Ethernet, drop-tail.")
          .choice("load_balancing", &FabricTop::load_balancing,
                  with_auto(named({routing::LoadBalancing::kEcmp, routing::LoadBalancing::kSpray,
                                   routing::LoadBalancing::kAdaptive})),
                  "auto",
                  "ecmp: per-flow 5-tuple hash; spray: per-packet round robin over the equal-cost ports; "
                  "adaptive: "
                  "per packet the port with the fewest queued bytes (ties round robin). auto = adaptive on "
                  "infiniband, ecmp otherwise.")
          .choice("scheduler", &FabricTop::scheduler, named({net::Scheduler::kStrict, net::Scheduler::kDwrr}),
                  "strict", "Egress scheduling between the control and data classes.")
          .integer("dwrr_control_quantum_bytes", &FabricTop::quantum_control, "bytes", 16384, 64, 1 << 30,
                   "DWRR quantum of the control class (at least one full packet).")
          .integer("dwrr_data_quantum_bytes", &FabricTop::quantum_data, "bytes", 16384, 64, 1 << 30,
                   "DWRR quantum of the data class (at least one full packet).")
          .choice(
              "congestion_control", &FabricTop::cc,
              with_auto(named({net::CongestionControl::kDcqcn, net::CongestionControl::kNone})), "auto",
              "dcqcn: DCQCN reaction and notification points; none: senders at line rate. auto = dcqcn on "
              "roce, none otherwise.")
          .duration("routing_convergence_us", &FabricTop::convergence_ps, "us", 100000, 0, 1e9,
                    "Timed faults: how long after a link goes down or comes back the other switches route "
                    "by the new state (the switches at its ends prune it at once). Default 100 ms: "
                    "sub-second BGP convergence with fast fallover on link down (RFC 7938 section 7; "
                    "docs/models/faults.md).");
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
              "+ 1 pause frame (docs/models/pfc.md).")
          .duration(
              "watchdog_detection_us", &net::PfcParams::watchdog_detection_ps, "us", 0, 0, 1e9,
              "The switches' PFC watchdog (SONiC pfcwd, action drop): a port paused this long without a "
              "break with packets queued is in a storm, and its data packets are dropped until "
              "restoration; 0 = no watchdog (SONiC's detection_time when on: 200000, 200 ms).")
          .duration("watchdog_restoration_us", &net::PfcParams::watchdog_restoration_ps, "us", 200000, 1, 1e9,
                    "PFC watchdog: a port in a storm is restored once no XOFF has arrived for this long "
                    "(SONiC's restoration_time, 200 ms).");
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

const Schema<IbParams>& ib_schema() {
  static const auto s = Schema<IbParams>().real(
      "control_vl_share", &IbParams::control_vl_share, "", 0.125, 0, 1,
      "Share of each port's receive buffer granted as credits to the control virtual lane.", true);
  return s;
}

const Schema<topo::LinkParams>& link_schema() {
  static const auto s =
      Schema<topo::LinkParams>()
          .real("rate_gbps", &topo::LinkParams::rate_gbps, "Gbit/s", 100, kMinRate, 1e6,
                "Link rate (at least 1 Mbit/s: slower links would round to 0 bit/s in the engine).")
          .real("latency_ns", &topo::LinkParams::latency_ns, "ns", 1000, 0, 1e9,
                "One-way propagation latency.")
          .integer("mtu_bytes", &topo::LinkParams::mtu_bytes, "bytes", 4096, 64, 65536,
                   "Largest payload per packet; headers come on top (docs/models/packet.md).")
          .real("ber", &topo::LinkParams::ber, "", 0, 0, 1e-3,
                "Bit error rate after FEC: a data frame of b bits is corrupted with probability "
                "1 - (1 - ber)^b, dropped at the receiver (an FCS error) and recovered by the transport; "
                "packet level only (docs/models/faults.md).");
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
          .integer("servers", &topo::RailOptimizedParams::servers, "", 0, 0, 100000000,
                   "Servers present, filling the SUs in order; 0 = every slot. The last SU's leaves and "
                   "uplinks are built whole (a slot left for a fabric manager, a cluster still growing).")
          .integer("spines", &topo::RailOptimizedParams::spines, "", 0, 0, 100000,
                   "Spine switches (per SU when core_switches > 0); 0 = one per leaf uplink.")
          .integer("core_switches", &topo::RailOptimizedParams::core_switches, "", 0, 0, 100000,
                   "Core switches, in one plane per spine of an SU (spine s of every SU links to plane s); "
                   "0 = two tiers (every leaf to every spine).")
          .integer("units_per_pod", &topo::RailOptimizedParams::units_per_pod, "", 1, 1, 100000,
                   "Three tiers: SUs whose leaves share one spine group (1: a group per SU, as the DGX "
                   "SuperPOD; k/2 leaves a pod: the k-ary fat-tree).")
          .real("oversubscription", &topo::RailOptimizedParams::oversubscription, "", 1, 0, 1000,
                "Rail-leaf downlink capacity / uplink capacity.", true)
          .integer("storage_nodes", &topo::RailOptimizedParams::storage_nodes, "", 0, 0, 100000,
                   "Storage hosts (after the GPUs) on a storage leaf with one uplink per storage host (at "
                   "least one per "
                   "top-tier switch), spread evenly over the spine (or core) switches.");
  return s;
}

const Schema<NodeEntry>& node_schema() {
  static const auto s = Schema<NodeEntry>()
                            .text("name", &NodeEntry::name, "", "Unique node name.")
                            .text("kind", &NodeEntry::kind, "switch", "host or switch.");
  return s;
}

const Schema<LinkEntry>& link_entry_schema() {
  static const auto s = Schema<LinkEntry>()
                            .text("a", &LinkEntry::a, "", "Name of one end.")
                            .text("b", &LinkEntry::b, "", "Name of the other end.");
  return s;
}

const Schema<SiteEntry>& site_schema() {
  static const auto s =
      Schema<SiteEntry>()
          .text("name", &SiteEntry::name, "", "Unique site name; its nodes are named <site>/<node>.")
          .integer("border_routers", &SiteEntry::border_routers, "", 2, 1, 1024,
                   "Border routers joining the site to the others; every switch of the site's top tier "
                   "links to each.");
  return s;
}

const Schema<InterSiteEntry>& inter_site_schema() {
  static const auto s =
      Schema<InterSiteEntry>()
          .text("a", &InterSiteEntry::a, "", "Name of one site.")
          .text("b", &InterSiteEntry::b, "", "Name of the other site.")
          .real("distance_km", &InterSiteEntry::distance_km, "km", 0, 0, 40000,
                "Fibre route length; adds 5 us of one-way delay per km (light at about 2/3 c) to "
                "latency_ns.")
          .integer("circuits", &InterSiteEntry::circuits, "", 1, 1, 4096,
                   "Parallel circuits, spread over the two sites' border routers; ECMP balances flows over "
                   "them.");
  return s;
}

const Schema<workload::UserSite>& user_site_schema() {
  using U = workload::UserSite;
  static const auto s = Schema<U>()
                            .text("site", &U::site, "", "The site the users reach the network at.")
                            .real("share", &U::share, "", 1, 0, 1e9,
                                  "Their share of the requests (relative to the others').", true)
                            .real("access_rtt_ms", &U::access_rtt_ms, "ms", 0, 0, 1e5,
                                  "Round trip between the users and their site (access network, last mile).");
  return s;
}

const Schema<FaultEntry>& fault_schema() {
  static const auto s =
      Schema<FaultEntry>()
          .choice("kind", &FaultEntry::kind,
                  {{"link_down", FaultKind::kLinkDown},
                   {"switch_down", FaultKind::kSwitchDown},
                   {"nic_down", FaultKind::kNicDown},
                   {"link_degraded", FaultKind::kLinkDegraded},
                   {"straggler", FaultKind::kStraggler},
                   {"pfc_storm", FaultKind::kPfcStorm},
                   {"link_flap", FaultKind::kLinkFlap},
                   {"nic_slow", FaultKind::kNicSlow}},
                  "link_down",
                  "What fails (docs/models/faults.md): a link, a switch (every link to another switch; "
                  "the hosts below it go out of service), a NIC (its host goes out of service), a link at a "
                  "lower rate, or a GPU or server computing slower; from at_us on, a NIC that stops "
                  "draining and keeps its switch port paused (pfc_storm, packet level); a link going down "
                  "and up with a period (link_flap, packet level); a NIC that drains what it receives "
                  "below line rate (nic_slow, packet level, lossless fabrics: the slow receiver that "
                  "spreads pauses). link_down, switch_down and nic_down hold for the whole run (the "
                  "converged state) unless at_us is given.")
          .text("a", &FaultEntry::a, "", "link_down, link_degraded, link_flap: node name of one end.")
          .text("b", &FaultEntry::b, "", "link_down, link_degraded, link_flap: node name of the other end.")
          .text("node", &FaultEntry::node, "",
                "switch_down: the switch; nic_down, pfc_storm, nic_slow: the host.")
          .integer("gpu", &FaultEntry::gpu, "", -1, -1, kMaxCount,
                   "nic_down, straggler, pfc_storm, nic_slow: the GPU (its host); -1 = not given.")
          .integer("server", &FaultEntry::server, "", -1, -1, kMaxCount,
                   "straggler: every GPU of this server; -1 = not given.")
          .real("rate_gbps", &FaultEntry::rate_gbps, "Gbit/s", 0, 0, 1e6,
                "link_degraded: the rate the link runs at, below its line rate; nic_slow: the rate the NIC "
                "drains what it receives at, at least 0.1 Gbit/s and below its link's line rate.")
          .real("ber", &FaultEntry::ber, "", 0, 0, 1e-3,
                "link_degraded: a bit error rate after FEC (a dirty optic): frames it corrupts are dropped "
                "at the receiver and resent; packet level only.")
          .real("factor", &FaultEntry::factor, "", 1, 1, 1000,
                "straggler: compute takes this many times longer (1.25 = 20% less throughput).")
          .real("at_us", &FaultEntry::at_us, "us", 0, 0, 1e12,
                "pfc_storm: when the NIC stops draining; nic_slow: when it slows down (absent = from the "
                "start); link_down, switch_down, nic_down: when it fails "
                "during the run (packet level; absent = for the whole run, routes converged); link_flap: "
                "the first time the link goes down.")
          .real("up_at_us", &FaultEntry::up_at_us, "us", 0, 0, 1e12,
                "link_down, switch_down, nic_down with at_us: when it comes back; pfc_storm: when the NIC "
                "drains again and sends XON (absent = never).")
          .real("down_us", &FaultEntry::down_us, "us", 0, 0, 1e12, "link_flap: how long each down lasts.")
          .real("period_us", &FaultEntry::period_us, "us", 0, 0, 1e12,
                "link_flap: from one down to the next (longer than down_us).")
          .integer("count", &FaultEntry::count, "", 1, 1, 1000000, "link_flap: how many times it goes down.");
  return s;
}

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
          .override_real("nvlink_gbytes_per_s", &G::nvlink_gbytes_per_s, "GB/s", kMinRate, 1e6,
                         "NVLink line rate per GPU and direction.")
          .override_real("nvlink_efficiency", &G::nvlink_efficiency, "", kMinFraction, 1,
                         "Achievable fraction of the NVLink rate.")
          .override_real("nvlink_step_us", &G::nvlink_step_us, "us", 0, 1e6,
                         "Latency of one collective step over NVLink.")
          .override_real("network_step_us", &G::network_step_us, "us", 0, 1e6,
                         "Latency of one collective step over the network (NIC, PCIe, proxy).")
          .override_real("collective_launch_us", &G::collective_launch_us, "us", 0, 1e6,
                         "Fixed latency of launching a collective.")
          .override_real("network_efficiency", &G::network_efficiency, "", kMinFraction, 1,
                         "Achievable fraction of a NIC's payload rate for collectives.")
          .override_real("peak_tflops", &G::peak_tflops, "TFLOP/s", kMinRate, 1e6, "Dense BF16 peak.")
          .override_real("fp8_tflops", &G::fp8_tflops, "TFLOP/s", 0, 1e6, "Dense FP8 peak; 0 = no FP8.")
          .override_real("sm_count", &G::sm_count, "", 1, 1e5, "Streaming multiprocessors (GEMM waves).")
          .override_real("gemm_efficiency", &G::gemm_efficiency, "", kMinFraction, 1,
                         "Best large BF16 GEMM's fraction of peak.")
          .override_real("fp8_gemm_efficiency", &G::fp8_gemm_efficiency, "", kMinFraction, 1,
                         "Best large FP8 GEMM's fraction of the FP8 peak.")
          .override_real("attention_forward_efficiency", &G::attention_forward_efficiency, "", kMinFraction,
                         1, "Causal FlashAttention forward's fraction of the BF16 peak.")
          .override_real("attention_backward_efficiency", &G::attention_backward_efficiency, "", kMinFraction,
                         1, "Causal FlashAttention backward's fraction of the BF16 peak.")
          .override_real("memory_efficiency", &G::memory_efficiency, "", kMinFraction, 1,
                         "Achievable fraction of memory bandwidth in streaming kernels.")
          .override_real("framework_efficiency", &G::framework_efficiency, "", kMinFraction, 1,
                         "Fraction of the kernels' roofline times a training framework sustains (the compute "
                         "model's one calibration).")
          .override_real("memory_gbytes", &G::memory_gbytes, "GB", 0, 1e6, "GPU memory.", true)
          .override_real("memory_tbytes_per_s", &G::memory_tbytes_per_s, "TB/s", kMinRate, 1e6,
                         "GPU memory bandwidth.");
  return s;
}

const Schema<CollectiveTop>& collective_schema() {
  using C = workload::Collective;
  static const auto s =
      Schema<CollectiveTop>()
          .choice("op", &CollectiveTop::op,
                  named({C::kAllReduce, C::kAllGather, C::kReduceScatter, C::kBroadcast, C::kReduce,
                         C::kAllToAll, C::kSendRecv}),
                  "all_reduce", "The collective, as nccl-tests names it.")
          .text("algorithm", &CollectiveTop::algorithm, "auto",
                "ring | tree | halving_doubling | hierarchical (all_reduce); ring (all_gather, "
                "reduce_scatter); "
                "pipeline (broadcast, reduce); pairwise | direct (alltoall); direct (sendrecv). auto = what "
                "NCCL's tuner picks per size (ring or tree for all_reduce; docs/models/collectives.md).")
          .text("protocol", &CollectiveTop::protocol, "auto",
                "NCCL protocol: LL | LL128 | Simple, or auto = what NCCL's tuner picks per size.")
          .text("hierarchy", &CollectiveTop::hierarchy, "server",
                "The first level of the hierarchical algorithm: server (inside each server over NVLink, "
                "then across servers) or site (inside each site of a sites topology, then across the "
                "inter-site links; the communicator must hold the same number of GPUs at every site, site "
                "after site).")
          .flag("pxn", &CollectiveTop::pxn, true,
                "Ring sends between servers go through the NVLink peer on the receiver's rail (NCCL's PXN); "
                "false = from each GPU's own NIC (NCCL_PXN_DISABLE=1).")
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

const Schema<JobTop>& job_schema() {
  static const auto s =
      Schema<JobTop>()
          .text("name", &JobTop::name, "job", "Name in the reports.")
          .text(
              "kind", &JobTop::kind, "training",
              "training: a transformer from model and parallelism; chakra: Chakra execution traces, one per "
              "rank (docs/chakra.md).")
          .text(
              "trace", &JobTop::trace, "",
              "kind chakra: the traces' prefix, files PREFIX.0.et (or .et.gz), PREFIX.1.et, ...; relative to "
              "the scenario's folder.")
          .text("comm_groups", &JobTop::comm_groups, "",
                "kind chakra: ASTRA-sim's comm-group JSON ({\"1\": [0, 1, ...]}); \"\" = "
                "PREFIX.comm_groups.json "
                "when it exists.")
          .real("tokens_per_iteration", &JobTop::tokens_per_iteration, "tokens", 0, 0, 1e18,
                "kind chakra: tokens per iteration, for tokens/s; 0 = what the trace says, if anything.")
          .integer("first_gpu", &JobTop::first_gpu, "", 0, 0, kMaxCount,
                   "First GPU of the job's contiguous range.")
          .integer("gpus", &JobTop::gpus, "", 0, 0, kMaxCount, "GPUs of the job; 0 = all from first_gpu on.")
          .real("gpu_efficiency", &JobTop::gpu_efficiency, "", 0, 0, 1,
                "0: every kernel timed from the GPU's roofline (docs/models/compute.md); else one achieved "
                "fraction of peak FLOP/s for all compute (kind chakra: for nodes without a duration; 0 = the "
                "GPU's gemm_efficiency).")
          .choice("precision", &JobTop::precision,
                  named({workload::Precision::kBf16, workload::Precision::kFp8}), "bf16",
                  "GEMM inputs (Transformer Engine's FP8 recipe: GEMMs in FP8, attention in BF16).")
          .choice("recompute", &JobTop::recompute,
                  named({workload::Recompute::kNone, workload::Recompute::kSelective,
                         workload::Recompute::kFull}),
                  "none",
                  "Activation recompute: selective redoes the attention core in the backward, full the whole "
                  "layer's forward (and keeps only its input).")
          .flag("sequence_parallel", &JobTop::sequence_parallel, true,
                "Megatron's sequence parallelism: norms and residuals on 1/tp of the tokens, activations "
                "stored sharded.")
          .choice("attention", &JobTop::attention,
                  named({workload::Attention::kFlash, workload::Attention::kUnfused}), "flash",
                  "flash: FlashAttention; unfused: batched GEMMs, softmax and dropout through memory "
                  "(Megatron-LM "
                  "before FlashAttention).")
          .text("allreduce_algorithm", &JobTop::allreduce, "ring",
                "Gradient all-reduce algorithm (ZeRO-0): ring, tree, halving_doubling or hierarchical.")
          .text("cross_site_reduction", &JobTop::cross_site, "hierarchical",
                "A job over several sites: hierarchical reduces the gradients inside each site, then the "
                "shards "
                "across the sites (docs/models/sites.md); ring runs one ring through every replica.");
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
          .integer("top_k", &M::top_k, "", 0, 0, 1 << 16, "Experts each token uses.")
          .flag("gated", &M::gated, true,
                "Gated MLP (SwiGLU: up, gate and down projections); false: GeLU, up and down (GPT).");
  return s;
}

const Schema<workload::Parallelism>& parallelism_schema() {
  using P = workload::Parallelism;
  static const auto s =
      Schema<P>()
          .integer("tp", &P::tp, "", 1, 1, 1024, "Tensor parallelism (inside a server).")
          .integer("pp", &P::pp, "", 1, 1, 1 << 16, "Pipeline stages.")
          .integer(
              "cp", &P::cp, "", 1, 1, 1 << 16,
              "Context parallelism: each sequence split over cp GPUs (ring attention); gradients reduced "
              "over dp x cp.")
          .integer("dp", &P::dp, "", 1, 1, 1 << 20, "Data-parallel replicas.")
          .integer("ep", &P::ep, "", 1, 1, 1 << 16, "Expert parallelism (MoE), within data parallelism.")
          .integer("zero", &P::zero, "", 1, 0, 1,
                   "0: gradients all-reduced; 1: distributed optimizer (reduce-scatter + all-gather).")
          .integer("micro_batches", &P::micro_batches, "", 8, 1, 1 << 16,
                   "Micro-batches per iteration per replica.")
          .integer("micro_batch_size", &P::micro_batch_size, "", 1, 1, 1 << 16, "Sequences per micro-batch.")
          .integer("dp_buckets", &P::dp_buckets, "", 4, 1, 1 << 16, "Gradient buckets per pipeline stage.")
          .integer("virtual_stages", &P::virtual_stages, "", 1, 1, 1024,
                   "Model chunks per pipeline stage: Megatron-LM's interleaved 1F1B schedule (its virtual "
                   "pipeline size); 1 = plain 1F1B.")
          .flag("overlap_param_gather", &P::overlap_param_gather, false,
                "ZeRO-1: each bucket's weight all-gather overlapped with the next forward, which waits only "
                "where it first uses the bucket (Megatron-LM --overlap-param-gather); false: the all-gather "
                "ends the iteration.");
  return s;
}

const Schema<workload::InferenceService>& service_schema() {
  using S = workload::InferenceService;
  static const auto s =
      Schema<S>()
          .text("name", &S::name, "service", "Name in the reports.")
          .text("site", &S::site, "",
                "Topology kind sites: the site the service runs in; first_gpu counts from that site's first "
                "GPU. \"\" = first_gpu counts over the whole fabric.")
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
          .real("gpu_efficiency", &S::gpu_efficiency, "", 0.5, kMinFraction, 1,
                "Prefill: achieved fraction of peak FLOP/s.")
          .real("memory_efficiency", &S::memory_efficiency, "", 0.8, kMinFraction, 1,
                "Decode: achieved fraction of memory bandwidth.")
          .real("ttft_slo_ms", &S::ttft_slo_ms, "ms", 1000, 0, 1e9, "Objective: time to first token, p99.",
                true)
          .real("tpot_slo_ms", &S::tpot_slo_ms, "ms", 100, 0, 1e9, "Objective: time per output token, p99.",
                true)
          .integer("retrieval_bytes", &S::retrieval_bytes, "bytes", 0, 0, 1ll << 40,
                   "Retrieval-augmented generation: context each request fetches before its prefill, over "
                   "the fabric from retrieval_gpu's host; 0 = none.")
          .text("retrieval_site", &S::retrieval_site, "",
                "Topology kind sites: the site of the retrieval host; retrieval_gpu counts from its first "
                "GPU.")
          .integer("retrieval_gpu", &S::retrieval_gpu, "", 0, 0, kMaxCount,
                   "The GPU whose host serves the retrieved context (not one of the service's).");
  return s;
}

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
          .text("site", &TrafficEntry::site, "",
                "Topology kind sites: first_host counts from this site's first host, and the range stays "
                "in it (host_count 0 = the rest of the site).")
          .text("storage_site", &TrafficEntry::storage_site, "",
                "checkpoint on a topology of kind sites: storage_first_host counts from this site's first "
                "host (a copy to another site: the hosts there receive it).")
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

std::vector<ParamDoc> parameter_reference() {
  std::vector<ParamDoc> all;
  auto add = [&](std::vector<ParamDoc> d) { all.insert(all.end(), d.begin(), d.end()); };
  add(top_schema().docs(""));
  add(telemetry_schema().docs("telemetry"));
  add(limits_schema().docs("limits"));
  add(fabric_schema().docs("fabric"));
  add(ecn_schema().docs("fabric.ecn"));
  add(pfc_schema().docs("fabric.pfc"));
  add(dcqcn_schema().docs("fabric.dcqcn"));
  add(transport_schema().docs("fabric.transport"));
  add(ib_schema().docs("fabric.infiniband"));
  all.push_back({"topology.kind", "choice", "", "",
                 "leaf_spine | fat_tree | rail_optimized | explicit | sites", "Topology builder."});
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
  add(site_schema().docs("topology(sites).sites[]"));
  all.push_back({"topology(sites).sites[].fabric", "mapping", "", "", "",
                 "The site's own fabric: any topology section but sites (kind, its keys, link, switch, "
                 "tiers, failed_links); its link and switch keys start from the sites topology's."});
  all.push_back(
      {"topology(sites).sites[].border", "mapping", "", "", "",
       "topology.link keys for the links from the top tier to the border routers, and "
       "topology.switch keys for the border routers (default: the site fabric's link and switch)."});
  add(inter_site_schema().docs("topology(sites).inter_site_links[]"));
  all.push_back({"topology(sites).inter_site_links[].<link key>", "", "", "", "",
                 "topology.link keys of each circuit (rate_gbps, latency_ns: the fixed delay of optics and "
                 "routers, mtu_bytes)."});
  add(cluster_schema().docs("cluster"));
  add(gpu_override_schema().docs("cluster"));
  add(collective_schema().docs("collective"));
  add(job_schema().docs("jobs[]"));
  all.push_back({"jobs[].gpu_list", "list", "", "", "",
                 "Explicit placement: GPU of each rank (TP innermost, then DP, then PP); overrides first_gpu "
                 "and gpus."});
  all.push_back({"jobs[].sites", "list", "", "", "",
                 "Placement over sites (topology kind sites): site names; the data-parallel replicas split "
                 "evenly, each site holding whole pipelines on its GPUs from first_gpu on."});
  add(model_schema().docs("jobs[].model"));
  add(parallelism_schema().docs("jobs[].parallelism"));
  all.push_back({"topology.failed_links", "list", "", "", "",
                 "Links out of service: [{a, b}] node names; the first link between them is removed."});
  add(fault_schema().docs("faults[]"));
  add(service_schema().docs("services[]"));
  add(model_schema().docs("services[].model"));
  add(user_site_schema().docs("services[].users[]"));
  add(traffic_schema().docs("traffic[]"));
  add(traffic_extra_docs());
  return all;
}

std::string parameter_table_markdown(const std::vector<ParamDoc>& docs) {
  std::string out = "| key | type | unit | default | range | meaning |\n|---|---|---|---|---|---|\n";
  auto cell = [](std::string s) {
    for (std::size_t at = s.find('|'); at != std::string::npos; at = s.find('|', at + 2))
      s.replace(at, 1, "\\|");
    return s;
  };
  for (const auto& d : docs)
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", d.key, d.type, d.unit, cell(d.default_text),
                       cell(d.range), cell(d.help));
  return out;
}

std::string parameter_reference_markdown() {
  return "# Scenario parameters\n\nGenerated by `aifabric params` from the declarations in "
         "src/io/scenario_schemas.cpp\n(and, for plan requests, src/plan/request.cpp and "
         "src/plan/catalog.cpp); "
         "a test keeps this file equal to\nthat output. Explicit-topology nodes and links also accept the "
         "topology.switch and topology.link keys.\n\n" +
         parameter_table_markdown(parameter_reference());
}

}  // namespace aifabric::io
