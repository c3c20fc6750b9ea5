#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "chakra/et.hpp"
#include "io/loaders.hpp"
#include "io/scenario_schemas.hpp"
#include "topo/sites.hpp"
#include "workload/placement.hpp"

namespace aifabric::io {

using core::InputError;

namespace {

// A workload check's problem (its field relative to the workload) under the workload's field, at the line
// of the key it concerns when that key is present, else of the workload.
InputError placed(const InputError& problem, const Node& entry, const std::string& prefix,
                  const ParseContext& ctx) {
  const std::string& field = problem.where().field;
  const Node& key = entry[field.substr(0, field.find('.'))];
  const Node& at = key ? key : entry;
  return problem.under(prefix).located(ctx.file, at.line(), at.column());
}

// A chakra job: its traces, read and checked against the GPUs it runs on (rank r on the job's r-th GPU).
void load_trace(const Node& j, const JobTop& top, workload::TrainingJob& job, const std::string& f,
                const api::Scenario& sc, const ParseContext& ctx) {
  for (const char* key : {"model", "parallelism"})
    if (j[key])
      throw InputError(ctx.at(j[key], f + "." + key),
                       "a chakra job's trace says what it computes; remove it");
  if (top.trace.empty())
    throw InputError(ctx.at(j, f + ".trace"), "missing; expected the traces' prefix (PREFIX.0.et, ...)");
  if (!ctx.may_read_files)
    throw InputError(ctx.at(j["trace"], f + ".trace"),
                     "traces are files on this machine; a scenario sent over the network cannot name them");
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path folder = fs::is_regular_file(ctx.file, ec) ? fs::path(ctx.file).parent_path() : fs::path();
  auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (folder / p).string(); };
  const std::string prefix = resolve(top.trace);
  std::string groups = top.comm_groups.empty() ? "" : resolve(top.comm_groups);
  if (groups.empty() && fs::is_regular_file(prefix + ".comm_groups.json", ec))
    groups = prefix + ".comm_groups.json";
  auto trace = std::make_shared<workload::TraceWorkload>(chakra::read_trace(prefix, groups));
  if (top.tokens_per_iteration > 0) trace->tokens_per_iteration = top.tokens_per_iteration;
  const auto ranks = static_cast<std::uint32_t>(trace->ranks.size());
  if (job.gpu_list.empty()) {
    if (top.gpus != 0 && top.gpus != ranks)
      throw InputError(
          ctx.at(j["gpus"], f + ".gpus"),
          fmt::format("the trace has {} ranks; expected gpus: {} (or leave it out)", ranks, ranks));
    job.gpus = ranks;
    if (static_cast<std::uint64_t>(job.first_gpu) + ranks > sc.cluster.gpus)
      throw InputError(ctx.at(j, f + ".first_gpu"),
                       fmt::format("the trace's {} ranks from GPU {} exceed the cluster's {} GPUs", ranks,
                                   job.first_gpu, sc.cluster.gpus));
  } else if (job.gpu_list.size() != ranks) {
    throw InputError(ctx.at(j["gpu_list"], f + ".gpu_list"),
                     fmt::format("{} GPUs for a trace of {} ranks", job.gpu_list.size(), ranks));
  }
  const auto gpus = job.gpu_list.empty() ? workload::gpu_range(job.first_gpu, ranks) : job.gpu_list;
  std::vector<std::uint32_t> server_of(sc.cluster.gpus);
  for (std::uint32_t g = 0; g < sc.cluster.gpus; ++g) server_of[g] = g / sc.cluster.gpus_per_server;
  for (auto g : gpus)
    if (g >= sc.cluster.gpus)
      throw InputError(ctx.at(j["gpu_list"], f + ".gpu_list"),
                       fmt::format("GPU {} is not in the cluster (it has {})", g, sc.cluster.gpus));
  if (const auto problem = workload::check(*trace, gpus, server_of, job.allreduce))
    throw problem->under(f + ".trace").located(prefix, 0, 0);
  job.trace = std::move(trace);
  job.trace_source = top.trace;
}

}  // namespace

void load_cluster(const Node& node, const Node& topology, api::Scenario& sc, const ParseContext& ctx) {
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
  for (const auto& site : sc.topology.sites)  // a server never straddles two sites
    if (site.hosts % per_server != 0)
      throw InputError(ctx.at(node ? node["gpus_per_server"] : node, "cluster.gpus_per_server"),
                       fmt::format("site '{}' has {} GPU hosts, which do not divide into servers of {} GPUs",
                                   site.name, site.hosts, per_server));
  sc.cluster.gpus = hosts;
  sc.cluster.gpus_per_server = per_server;
  sc.cluster.gpu_hour_usd = top.gpu_hour_usd;
}

void load_collective(const Node& node, api::Scenario& sc, const ParseContext& ctx) {
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
  spec.pxn = c.pxn;
  sweep.algorithm.reset();
  if (c.algorithm != "auto") {
    for (auto a :
         {workload::Algorithm::kRing, workload::Algorithm::kTree, workload::Algorithm::kHalvingDoubling,
          workload::Algorithm::kHierarchical, workload::Algorithm::kPipeline, workload::Algorithm::kDirect,
          workload::Algorithm::kPairwise})
      if (c.algorithm == workload::name(a)) sweep.algorithm = a;
    if (!sweep.algorithm)
      throw InputError(
          ctx.at(node["algorithm"], "collective.algorithm"),
          "expected auto, ring, tree, halving_doubling, hierarchical, pipeline, direct or pairwise, got '" +
              c.algorithm + "'");
  }
  spec.algorithm = sweep.algorithm.value_or(workload::algorithms_for(c.op).front());
  sweep.protocol.reset();
  if (c.protocol != "auto") {
    for (auto p : {workload::Protocol::kLL, workload::Protocol::kLL128, workload::Protocol::kSimple})
      if (c.protocol == workload::name(p)) sweep.protocol = p;
    if (!sweep.protocol)
      throw InputError(ctx.at(node["protocol"], "collective.protocol"),
                       "expected auto, LL, LL128 or Simple, got '" + c.protocol + "'");
  }
  const auto gpus = sc.cluster.gpus;
  const std::uint32_t count = c.gpu_count == 0 && c.first_gpu < gpus ? gpus - c.first_gpu : c.gpu_count;
  if (static_cast<std::uint64_t>(c.first_gpu) + count > gpus)
    throw InputError(ctx.at(node, "collective.gpu_count"),
                     fmt::format("GPUs [{}, {}) exceed the cluster's {}", c.first_gpu,
                                 static_cast<std::uint64_t>(c.first_gpu) + count, gpus));
  spec.ranks.clear();
  for (std::uint32_t g = 0; g < count; ++g) spec.ranks.push_back(c.first_gpu + g);
  spec.group_ranks = 0;
  if (c.hierarchy == "site") {
    const auto& sites = sc.topology.sites;
    if (spec.algorithm != workload::Algorithm::kHierarchical || sites.empty())
      throw InputError(ctx.at(node["hierarchy"], "collective.hierarchy"),
                       "site needs algorithm: hierarchical on a topology of kind sites");
    // Ranks are consecutive GPUs, so each site's are one block: the first site's count is the group.
    const std::uint32_t first = topo::site_of_host(sc.topology, spec.ranks.front());
    spec.group_ranks =
        std::min(sites[first].first_host + sites[first].hosts, c.first_gpu + count) - c.first_gpu;
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t site = topo::site_of_host(sc.topology, spec.ranks[i]);
      if (site != first + i / spec.group_ranks)
        throw InputError(ctx.at(node, "collective.gpu_count"),
                         fmt::format("hierarchy: site needs the same number of the communicator's GPUs at "
                                     "every site it spans; site '{}' holds {} of them, site '{}' a different "
                                     "number",
                                     sites[first].name, spec.group_ranks, sites[site].name));
    }
  } else if (c.hierarchy != "server") {
    throw InputError(ctx.at(node["hierarchy"], "collective.hierarchy"),
                     "expected server or site, got '" + c.hierarchy + "'");
  }
  std::vector<std::uint32_t> server_of(gpus);
  for (std::uint32_t g = 0; g < gpus; ++g) server_of[g] = g / sc.cluster.gpus_per_server;
  if (const auto problem = workload::check(spec, server_of, gpus))
    throw placed(*problem, node, "collective", ctx);
}

// A training job over the sites listed at `list`: its data-parallel replicas split evenly, each site
// holding whole pipelines from its GPU first_gpu on (rank order: TP innermost, then CP, DP, PP).
void place_over_sites(const Node& list, const std::string& f, api::Scenario& sc, const ParseContext& ctx,
                      workload::TrainingJob& job) {
  std::vector<std::uint32_t> chosen;
  for (std::size_t k = 0; k < list.size(); ++k) {
    const std::string field = fmt::format("{}.sites[{}]", f, k);
    const std::uint32_t site = site_named(list[k], sc.topology, ctx, field);
    if (std::find(chosen.begin(), chosen.end(), site) != chosen.end())
      throw InputError(ctx.at(list[k], field),
                       fmt::format("site '{}' is listed twice", sc.topology.sites[site].name));
    chosen.push_back(site);
  }
  const auto ns = static_cast<std::uint32_t>(chosen.size());
  const auto& p = job.par;
  // A parallelism that does not fill the job's GPUs is workload::check's to report.
  if (static_cast<std::uint64_t>(p.tp) * p.cp * p.pp * p.dp != job.gpus) return;
  if (p.dp % ns != 0)
    throw InputError(ctx.at(list, f + ".sites"),
                     fmt::format("{} data-parallel replicas do not split evenly over {} sites", p.dp, ns));
  const std::uint32_t per_site = job.gpus / ns;
  for (std::uint32_t k = 0; k < ns; ++k) {
    const auto& site = sc.topology.sites[chosen[k]];
    if (static_cast<std::uint64_t>(job.first_gpu) + per_site > site.hosts)
      throw InputError(ctx.at(list[k], fmt::format("{}.sites[{}]", f, k)),
                       fmt::format("site '{}' has {} GPUs; the job needs {} there from its GPU {} on",
                                   site.name, site.hosts, per_site, job.first_gpu));
  }
  const std::uint32_t replicas = p.dp * p.cp, local = replicas / ns;
  job.gpu_list.assign(job.gpus, 0);
  for (std::uint32_t s = 0; s < p.pp; ++s)
    for (std::uint32_t r = 0; r < replicas; ++r)
      for (std::uint32_t t = 0; t < p.tp; ++t) {
        const auto& site = sc.topology.sites[chosen[r / local]];
        job.gpu_list[t + p.tp * (r + replicas * s)] =
            site.first_host + job.first_gpu + t + p.tp * (r % local + local * s);
      }
  job.sites = ns;
}

void load_jobs(const Node& node, api::Scenario& sc, workload::GpuClaims& claims, const ParseContext& ctx) {
  if (!node.is_sequence()) throw InputError(ctx.at(node, "jobs"), "expected a list of jobs");
  const auto gpus = sc.cluster.gpus;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string f = fmt::format("jobs[{}]", i);
    const Node& j = node[i];
    const JobTop top =
        parse_with_defaults(job_schema(), j, ctx, f, nullptr, {"model", "parallelism", "gpu_list", "sites"});
    if (top.kind != "training" && top.kind != "chakra")
      throw InputError(ctx.at(j["kind"], f + ".kind"), "expected training or chakra, got '" + top.kind + "'");
    const bool traced = top.kind == "chakra";
    for (const char* key : {"trace", "comm_groups", "tokens_per_iteration"})
      if (!traced && j[key])
        throw InputError(ctx.at(j[key], f + "." + key), "only a job of kind chakra takes it");
    const Node& sites = j["sites"];
    if (sites) {
      if (traced) throw InputError(ctx.at(sites, f + ".sites"), "only a job of kind training takes it");
      if (j["gpu_list"]) throw InputError(ctx.at(sites, f + ".sites"), "give sites or gpu_list, not both");
      if (!sites.is_sequence() || sites.size() == 0)
        throw InputError(ctx.at(sites, f + ".sites"), "expected a non-empty list of site names");
      if (top.gpus == 0)
        throw InputError(ctx.at(j, f + ".gpus"), "a job placed over sites needs its GPU count");
    }
    workload::TrainingJob job;
    job.name = top.name;
    job.first_gpu = top.first_gpu;
    job.gpus = top.gpus == 0 && top.first_gpu < gpus ? gpus - top.first_gpu : top.gpus;
    job.gpu_efficiency = top.gpu_efficiency;
    job.kernels = {top.precision, top.recompute, top.sequence_parallel, top.attention};
    if (const Node& list = j["gpu_list"]) {
      if (!list.is_sequence() || list.size() == 0)
        throw InputError(ctx.at(list, f + ".gpu_list"), "expected a non-empty list of GPU indices");
      for (std::size_t k = 0; k < list.size(); ++k) {
        const auto g = read_int(list[k], ctx, fmt::format("{}.gpu_list[{}]", f, k));
        if (g < 0 || g > kMaxCount)
          throw InputError(ctx.at(list[k], fmt::format("{}.gpu_list[{}]", f, k)),
                           fmt::format("expected a GPU index in [0, {}], got {}", kMaxCount, g));
        job.gpu_list.push_back(static_cast<std::uint32_t>(g));
      }
      job.gpus = static_cast<std::uint32_t>(job.gpu_list.size());
    }
    bool known = false;
    for (auto a : workload::algorithms_for(workload::Collective::kAllReduce))
      if (top.allreduce == workload::name(a)) {
        job.allreduce = a;
        known = true;
      }
    if (!known)
      throw InputError(ctx.at(j["allreduce_algorithm"], f + ".allreduce_algorithm"),
                       "expected ring, tree, halving_doubling or hierarchical, got '" + top.allreduce + "'");
    if (top.cross_site != "hierarchical" && top.cross_site != "ring")
      throw InputError(ctx.at(j["cross_site_reduction"], f + ".cross_site_reduction"),
                       "expected hierarchical or ring, got '" + top.cross_site + "'");
    job.cross_site =
        top.cross_site == "ring" ? workload::Algorithm::kRing : workload::Algorithm::kHierarchical;
    if (j["cross_site_reduction"] && !sites)
      throw InputError(ctx.at(j["cross_site_reduction"], f + ".cross_site_reduction"),
                       "only a job placed over sites (sites: [...]) takes it");
    if (traced) {
      load_trace(j, top, job, f, sc, ctx);
    } else {
      if (!j["model"])
        throw InputError(ctx.at(j, f + ".model"),
                         "missing; expected {layers, hidden, heads, seq_len, vocab, ...}");
      job.model = parse_with_defaults(model_schema(), j["model"], ctx, f + ".model");
      job.par = parse_with_defaults(parallelism_schema(), j["parallelism"], ctx, f + ".parallelism");
      if (sites) place_over_sites(sites, f, sc, ctx, job);
      if (const auto problem = workload::check(job, sc.cluster.gpu, sc.cluster.gpus_per_server, gpus))
        throw placed(*problem, j, f, ctx);
    }
    const auto held = job.gpu_list.empty() ? workload::gpu_range(job.first_gpu, job.gpus) : job.gpu_list;
    if (const auto conflict = claims.claim(held, "job '" + job.name + "'"))
      throw InputError(ctx.at(j, f + (job.gpu_list.empty() ? ".first_gpu" : ".gpu_list")),
                       fmt::format("GPU {} is also used by {}", conflict->gpu, conflict->holder));
    sc.jobs.push_back(job);
  }
}

// A service's site (its GPUs counted from the site's first) and its users' sites, with their one-way delay
// to it.
void place_service(const Node& n, const std::string& f, const api::Scenario& sc, const ParseContext& ctx,
                   workload::InferenceService& s) {
  std::uint32_t home = 0;
  if (!s.site.empty()) {
    home = site_named(n["site"], sc.topology, ctx, f + ".site");
    const auto& site = sc.topology.sites[home];
    if (static_cast<std::uint64_t>(s.first_gpu) + s.gpus > site.hosts)
      throw InputError(
          ctx.at(n["site"], f + ".site"),
          fmt::format("site '{}' has {} GPUs; the service needs GPUs [{}, {}) there", site.name, site.hosts,
                      s.first_gpu, static_cast<std::uint64_t>(s.first_gpu) + s.gpus));
    s.first_gpu += site.first_host;
  } else if (!sc.topology.sites.empty()) {
    home = topo::site_of_host(sc.topology, s.first_gpu);
  }
  if (n["users"] && s.gpus > 0 && !sc.topology.sites.empty()) {
    const std::uint32_t last = topo::site_of_host(sc.topology, s.first_gpu + s.gpus - 1);
    if (last != home)
      throw InputError(
          ctx.at(n["users"], f + ".users"),
          fmt::format("the service's GPUs span sites '{}' and '{}'; a service with users runs in "
                      "one site (give site)",
                      sc.topology.sites[home].name, sc.topology.sites[last].name));
  }
  if (!s.retrieval_site.empty()) {
    const std::uint32_t at = site_named(n["retrieval_site"], sc.topology, ctx, f + ".retrieval_site");
    const auto& site = sc.topology.sites[at];
    if (s.retrieval_gpu >= site.hosts)
      throw InputError(
          ctx.at(n["retrieval_gpu"] ? n["retrieval_gpu"] : n["retrieval_site"], f + ".retrieval_gpu"),
          fmt::format("site '{}' has {} GPUs; got GPU {}", site.name, site.hosts, s.retrieval_gpu));
    s.retrieval_gpu += site.first_host;
  }
  if (s.retrieval_bytes > 0) {
    if (s.retrieval_gpu >= sc.cluster.gpus)
      throw InputError(
          ctx.at(n["retrieval_gpu"], f + ".retrieval_gpu"),
          fmt::format("GPU {} is not in the cluster (it has {})", s.retrieval_gpu, sc.cluster.gpus));
    if (s.retrieval_gpu >= s.first_gpu && s.retrieval_gpu < s.first_gpu + s.gpus)
      throw InputError(ctx.at(n["retrieval_gpu"] ? n["retrieval_gpu"] : n, f + ".retrieval_gpu"),
                       fmt::format("GPU {} is one of the service's own; the retrieved context comes from "
                                   "another host",
                                   s.retrieval_gpu));
  }
  const Node& users = n["users"];
  if (!users) return;
  if (!users.is_sequence() || users.size() == 0)
    throw InputError(ctx.at(users, f + ".users"),
                     "expected a non-empty list of {site, share, access_rtt_ms}");
  for (std::size_t k = 0; k < users.size(); ++k) {
    const std::string uf = fmt::format("{}.users[{}]", f, k);
    auto u = parse_with_defaults(user_site_schema(), users[k], ctx, uf);
    if (!users[k]["site"]) throw InputError(ctx.at(users[k], uf + ".site"), "missing; expected a site name");
    const std::uint32_t at = site_named(users[k]["site"], sc.topology, ctx, uf + ".site");
    const double wan_ns = topo::site_delay_ns(sc.topology, at, home);
    if (wan_ns < 0)
      throw InputError(ctx.at(users[k]["site"], uf + ".site"),
                       fmt::format("no inter-site link joins site '{}' to the service's site '{}'", u.site,
                                   sc.topology.sites[home].name));
    u.one_way_ps = static_cast<core::TimePs>(std::llround(u.access_rtt_ms * 1e9 / 2 + wan_ns * 1e3));
    s.users.push_back(std::move(u));
  }
}

void load_services(const Node& node, api::Scenario& sc, workload::GpuClaims& claims,
                   const ParseContext& ctx) {
  if (!node.is_sequence())
    throw InputError(ctx.at(node, "services"), "expected a list of inference services");
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string f = fmt::format("services[{}]", i);
    workload::InferenceService s =
        parse_with_defaults(service_schema(), node[i], ctx, f, nullptr, {"model", "users"});
    if (!node[i]["model"])
      throw InputError(ctx.at(node[i], f + ".model"), "missing; expected {layers, hidden, heads, ...}");
    s.model = parse_with_defaults(model_schema(), node[i]["model"], ctx, f + ".model");
    s.seed = sc.run.seed + i;
    place_service(node[i], f, sc, ctx, s);
    if (const auto problem = workload::check(s, sc.cluster.gpu, sc.cluster.gpus_per_server, sc.cluster.gpus))
      throw placed(*problem, node[i], f, ctx);
    if (const auto conflict =
            claims.claim(workload::gpu_range(s.first_gpu, s.gpus), "service '" + s.name + "'"))
      throw InputError(ctx.at(node[i], f + ".first_gpu"),
                       fmt::format("GPU {} is also used by {}", conflict->gpu, conflict->holder));
    sc.services.push_back(std::move(s));
  }
}

}  // namespace aifabric::io
