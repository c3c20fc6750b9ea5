#pragma once
// The declarations of every scenario parameter (name, type, unit, default, range, help), each once. The
// loaders read documents through them; `aifabric params` and docs/parameters.md are rendered from them;
// the HTTP service checks JSON requests with them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/scenario.hpp"
#include "io/schema.hpp"
#include "topo/builders.hpp"

namespace aifabric::io {

// Upper bound of GPU, host and rank counts and indices in the scenario format.
inline constexpr std::int64_t kMaxCount = 1'000'000'000;

// Sections whose fields are not stored as they are read: the loaders resolve them into the scenario.
struct TopLevel {
  api::NetworkModel fidelity;
  std::string name;
  std::int64_t seed;
  core::TimePs stop_ps;
};

struct Limits {
  double max_memory_gbytes;
};

struct Telemetry {
  core::TimePs sample_ps;
  core::TimePs check_ps;
  std::uint32_t top_ports;
  bool counters;
};

struct FabricTop {
  net::FabricKind kind;
  std::optional<routing::LoadBalancing> load_balancing;  // empty: auto
  net::Scheduler scheduler;
  std::uint32_t quantum_control;
  std::uint32_t quantum_data;
  std::optional<net::CongestionControl> cc;  // empty: auto
  core::TimePs convergence_ps;
};

struct IbParams {
  double control_vl_share;
};

struct NodeEntry {
  std::string name;
  std::string kind;
};

struct LinkEntry {
  std::string a, b;
};

// topology.sites[] and topology.inter_site_links[] (kind: sites; topo/sites.hpp). The link and switch
// keys of a site's border and of a link's circuits are parsed with link_schema and switch_schema.
struct SiteEntry {
  std::string name;
  std::uint32_t border_routers = 0;
};

struct InterSiteEntry {
  std::string a, b;
  double distance_km = 0;
  std::uint32_t circuits = 0;
};

struct ClusterTop {
  std::string gpu;
  std::uint32_t gpus_per_server;
  double gpu_hour_usd;
};

struct CollectiveTop {
  workload::Collective op;
  std::string algorithm, protocol, hierarchy;
  bool pxn;
  std::uint32_t first_gpu, gpu_count, channels, root, step_factor;
  std::uint64_t min_bytes, max_bytes, chunk_bytes;
  api::NetworkModel network;
};

struct JobTop {
  std::string name, kind, allreduce, cross_site, trace, comm_groups;
  std::uint32_t first_gpu, gpus;
  double gpu_efficiency, tokens_per_iteration;
  workload::Precision precision;
  workload::Recompute recompute;
  bool sequence_parallel;
  workload::Attention attention;
};

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
  std::string site, storage_site;
};

// One entry of the scenario's `faults` list (fault_loader.cpp).
enum class FaultKind : std::uint8_t {
  kLinkDown,
  kSwitchDown,
  kNicDown,
  kLinkDegraded,
  kStraggler,
  kPfcStorm,
  kLinkFlap,
  kNicSlow
};
struct FaultEntry {
  FaultKind kind;
  std::string a, b, node;
  std::int64_t gpu, server;
  double rate_gbps, factor, at_us, ber, up_at_us, down_us, period_us;
  std::int64_t count;
};

const Schema<TopLevel>& top_schema();
const Schema<FaultEntry>& fault_schema();
const Schema<Telemetry>& telemetry_schema();
const Schema<Limits>& limits_schema();
const Schema<FabricTop>& fabric_schema();
const Schema<net::EcnParams>& ecn_schema();
const Schema<net::PfcParams>& pfc_schema();
const Schema<cc::DcqcnParams>& dcqcn_schema();
const Schema<net::TransportParams>& transport_schema();
const Schema<IbParams>& ib_schema();
const Schema<topo::LinkParams>& link_schema();
const Schema<topo::SwitchParams>& switch_schema();
const Schema<topo::LeafSpineParams>& leaf_spine_schema();
const Schema<topo::FatTreeParams>& fat_tree_schema();
const Schema<topo::RailOptimizedParams>& rail_schema();
const Schema<NodeEntry>& node_schema();
const Schema<LinkEntry>& link_entry_schema();
const Schema<SiteEntry>& site_schema();
const Schema<InterSiteEntry>& inter_site_schema();
const Schema<workload::UserSite>& user_site_schema();
const Schema<ClusterTop>& cluster_schema();
const Schema<workload::GpuSpec>& gpu_override_schema();
const Schema<CollectiveTop>& collective_schema();
const Schema<JobTop>& job_schema();
const Schema<workload::TransformerModel>& model_schema();
const Schema<workload::Parallelism>& parallelism_schema();
const Schema<workload::InferenceService>& service_schema();
const Schema<TrafficEntry>& traffic_schema();
// Keys handled by hand next to the schema above, documented with it.
const std::vector<ParamDoc>& traffic_extra_docs();

// Every parameter the scenario format accepts, in declaration order.
std::vector<ParamDoc> parameter_reference();
// The same, as the markdown document kept in docs/parameters.md.
std::string parameter_reference_markdown();
// One table of `docs` (key, type, unit, default, range, meaning) in that document's form.
std::string parameter_table_markdown(const std::vector<ParamDoc>& docs);

}  // namespace aifabric::io
