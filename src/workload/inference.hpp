#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/time.hpp"
#include "workload/hardware.hpp"
#include "workload/program.hpp"
#include "workload/training.hpp"

namespace aifabric::workload {

// Users of a service at one site (docs/models/sites.md): their share of the requests and the one-way delay
// between them and the service's replicas (half their access network's round trip, and the fastest path
// of inter-site links between their site and the service's). A request and its tokens are a few
// kilobytes: they pay the delay, not a share of the links.
struct UserSite {
  std::string site;
  double share = 1;
  double access_rtt_ms = 0;
  core::TimePs one_way_ps = 0;  // the loader's, from the topology
};

// An inference service (docs/models/inference.md): replicas of `tp` GPUs serve requests that arrive as a
// Poisson process, one request at a time per replica in arrival order (no batching). A request's prefill
// computes the prompt; its decode produces the output tokens, each memory- or compute-bound. With
// disaggregation, the first `prefill_replicas` replicas only prefill and send the KV cache over the fabric
// to a decode replica.
struct InferenceService {
  std::string name;
  std::uint32_t first_gpu = 0;
  std::uint32_t gpus = 0;
  TransformerModel model;
  std::uint32_t tp = 1;
  std::uint32_t prefill_replicas = 0;  // 0 = every replica prefills and decodes
  double arrival_rate_per_s = 0;
  std::uint32_t requests = 0;
  std::uint32_t prompt_tokens = 0;
  std::uint32_t output_tokens = 0;
  double gpu_efficiency = 0.5;     // prefill: achieved fraction of peak FLOP/s
  double memory_efficiency = 0.8;  // decode: achieved fraction of memory bandwidth
  double ttft_slo_ms = 0;
  double tpot_slo_ms = 0;
  std::uint64_t seed = 1;
  std::string site;             // a service on a topology of kind sites: its site ("" = the first)
  std::vector<UserSite> users;  // empty: the requests start at the replicas
  // Retrieval-augmented generation: before its prefill, each request fetches `retrieval_bytes` of
  // context from GPU `retrieval_gpu`'s host (a vector store, perhaps at a central site) over the fabric.
  std::uint64_t retrieval_bytes = 0;
  std::uint32_t retrieval_gpu = 0;
  std::string retrieval_site;  // where the loader found retrieval_gpu ("" = counted over the fabric)
};

// Nothing when the service fits the cluster, else what is wrong, with the field relative to the service.
std::optional<core::InputError> check(const InferenceService& s, const GpuSpec& gpu,
                                      std::uint32_t gpus_per_server, std::size_t cluster_gpus);

// Per request: the ops whose finish times give arrival, first token and last token.
struct RequestOps {
  std::uint32_t arrival, first_token, last_token;
  std::uint32_t user = 0;  // index into InferenceService::users
};

struct InferenceTags {
  std::uint32_t compute, tp, kv, arrival, retrieval;
};

std::vector<RequestOps> append_inference(Program& program, const InferenceService& s, const GpuSpec& gpu,
                                         const std::vector<std::uint32_t>& server_of,
                                         const InferenceTags& tags);

// Time of one decode step (one output token) on a replica, ps: compute- or memory-bound, plus the
// tensor-parallel all-reduces of that token over NVLink. `context` is the tokens already in the KV cache.
core::TimePs decode_step_ps(const InferenceService& s, const GpuSpec& gpu, double context);

}  // namespace aifabric::workload
