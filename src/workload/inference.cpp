#include "workload/inference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "workload/collectives.hpp"

namespace aifabric::workload {
namespace {

constexpr double kBf16 = 2.0;

double head_dim(const TransformerModel& m) {
  return static_cast<double>(m.hidden) / m.heads;
}
double kv_heads(const TransformerModel& m) {
  return m.kv_heads == 0 ? m.heads : m.kv_heads;
}
// KV cache bytes of `tokens` tokens across all layers (keys and values, bf16).
double kv_bytes(const TransformerModel& m, double tokens) {
  return 2.0 * m.layers * kv_heads(m) * head_dim(m) * tokens * kBf16;
}

// Latency of `count` ring all-reduces of `bytes` on tp GPUs over NVLink, uncontended
// (docs/models/collectives.md).
double tp_allreduce_ps(const InferenceService& s, const GpuSpec& gpu, double bytes, double count) {
  if (s.tp == 1) return 0;
  const double bw = gpu.nvlink_gbytes_per_s * gpu.nvlink_efficiency * 1e9 / 1e12;  // bytes per ps
  const double per =
      gpu.collective_launch_us * 1e6 + 2.0 * (s.tp - 1) * (gpu.nvlink_step_us * 1e6 + bytes / s.tp / bw);
  return count * per;
}

}  // namespace

constexpr double kMaxArrivalSpanSec = 1e5;

std::optional<core::InputError> check(const InferenceService& s, const GpuSpec& gpu,
                                      std::uint32_t gpus_per_server, std::size_t cluster_gpus) {
  if (static_cast<std::uint64_t>(s.first_gpu) + s.gpus > cluster_gpus)
    return core::field_error("gpus",
                             fmt::format("GPUs [{}, {}) exceed the cluster's {}", s.first_gpu,
                                         static_cast<std::uint64_t>(s.first_gpu) + s.gpus, cluster_gpus));
  if (s.tp == 0 || gpus_per_server % s.tp != 0 || s.first_gpu % s.tp != 0)
    return core::field_error(
        "tp", fmt::format("a replica's {} GPUs must sit in one server of {} GPUs", s.tp, gpus_per_server));
  if (s.gpus % s.tp != 0)
    return core::field_error("gpus",
                             fmt::format("{} GPUs do not divide into replicas of tp = {}", s.gpus, s.tp));
  const std::uint32_t replicas = s.gpus / s.tp;
  if (s.prefill_replicas >= replicas && s.prefill_replicas > 0)
    return core::field_error(
        "prefill_replicas",
        fmt::format("{} leaves no decode replica among the {} replicas", s.prefill_replicas, replicas));
  if (s.model.heads % s.tp != 0)
    return core::field_error("model.heads",
                             fmt::format("{} heads do not divide over tp = {}", s.model.heads, s.tp));
  const double weights = s.model.params() * kBf16 / s.tp;
  const double cache = kv_bytes(s.model, s.prompt_tokens + s.output_tokens) / s.tp;
  if (weights + cache > gpu.memory_gbytes * 1e9)
    return core::field_error(
        "model",
        fmt::format("{:.1f} GB of weights and {:.1f} GB of KV cache per GPU exceed the {}'s {} GB; raise tp",
                    weights / 1e9, cache / 1e9, gpu.name, gpu.memory_gbytes));
  if (s.output_tokens == 0) return core::field_error("output_tokens", "must be >= 1");
  // Arrivals span about requests / rate seconds; keep them, with room for the exponential tail and the
  // requests' own latency, far inside the picosecond clock (2^63 ps, about 9.2e6 s).
  if (s.requests / s.arrival_rate_per_s > kMaxArrivalSpanSec)
    return core::field_error(
        "arrival_rate_per_s",
        fmt::format("{} requests at {} per second arrive over {:.3g} s; at most {:.0f} s fit the clock",
                    s.requests, s.arrival_rate_per_s, s.requests / s.arrival_rate_per_s, kMaxArrivalSpanSec));
  if (s.model.experts > 0 && (s.model.top_k == 0 || s.model.top_k > s.model.experts))
    return core::field_error("model.top_k",
                             fmt::format("must be in [1, {}], got {}", s.model.experts, s.model.top_k));
  return std::nullopt;
}

core::TimePs decode_step_ps(const InferenceService& s, const GpuSpec& gpu, double context) {
  const auto& m = s.model;
  const double flops = 2.0 * (m.layers * m.active_layer_params() + m.hidden * static_cast<double>(m.vocab)) +
                       4.0 * m.layers * context * m.hidden;  // attention over the cached context
  const double bytes = (m.params() - m.hidden * static_cast<double>(m.vocab)) * kBf16 + kv_bytes(m, context);
  const double compute = flops / s.tp / (gpu.peak_tflops * 1e12 * s.gpu_efficiency / 1e12);
  const double memory = bytes / s.tp / (gpu.memory_tbytes_per_s * 1e12 * s.memory_efficiency / 1e12);
  return static_cast<core::TimePs>(
      std::ceil(std::max(compute, memory) + tp_allreduce_ps(s, gpu, m.hidden * kBf16, 2.0 * m.layers)));
}

std::vector<RequestOps> append_inference(Program& program, const InferenceService& s, const GpuSpec& gpu,
                                         const std::vector<std::uint32_t>& server_of,
                                         const InferenceTags& tags) {
  const auto& m = s.model;
  const std::uint32_t replicas = s.gpus / s.tp;
  const std::uint32_t prefillers = s.prefill_replicas == 0 ? replicas : s.prefill_replicas;
  const std::uint32_t decoders = s.prefill_replicas == 0 ? replicas : replicas - s.prefill_replicas;
  auto gpu_of = [&](std::uint32_t replica, std::uint32_t t) { return s.first_gpu + replica * s.tp + t; };
  // Prefill: the prompt's FLOPs at the achieved rate, and the tensor-parallel all-reduces of its
  // activations: one real all-reduce carrying all 2L layers' bytes (the bandwidth term, on the NVLink
  // model) after the latency of the other 2L - 1.
  const double tokens = s.prompt_tokens;
  TransformerModel prompt = m;  // attention over the prompt, not the model's maximum sequence length
  prompt.seq_len = s.prompt_tokens;
  const double prefill_flops =
      m.layers * prompt.layer_forward_flops(tokens) + 2.0 * m.hidden * static_cast<double>(m.vocab);
  const auto prefill_ps = static_cast<core::TimePs>(
      std::ceil(prefill_flops / s.tp / (gpu.peak_tflops * 1e12 * s.gpu_efficiency / 1e12)));
  const double ar_bytes = tokens * m.hidden * kBf16;
  const auto ar_latency_ps = static_cast<core::TimePs>(std::ceil(
      (2.0 * m.layers - 1) * (gpu.collective_launch_us * 1e6 + 2.0 * (s.tp - 1) * gpu.nvlink_step_us * 1e6)));
  // Decode: one op per request and rank for all its tokens; the context grows by one token per step.
  core::Rng rng(s.seed, core::hash_combine(5, s.first_gpu));
  // Each request's user site, drawn by share from a stream of its own (splitting a Poisson process by
  // independent draws leaves each site's requests a Poisson process), and its arrival at the replicas, one
  // user delay after it was sent. The replicas take the requests in the order they arrive.
  core::Rng users_rng(s.seed, core::hash_combine(6, s.first_gpu));
  double shares = 0;
  for (const auto& u : s.users) shares += u.share;
  struct Arrival {
    core::TimePs at_ps;
    std::uint32_t user;
  };
  std::vector<Arrival> arrivals(s.requests);
  double t = 0;
  for (auto& a : arrivals) {
    t += -std::log(1.0 - rng.uniform()) / (s.arrival_rate_per_s / 1e12);
    a = {static_cast<core::TimePs>(t), 0};
    if (s.users.empty()) continue;
    double pick = users_rng.uniform() * shares;
    while (a.user + 1 < s.users.size() && pick >= s.users[a.user].share) pick -= s.users[a.user++].share;
    a.at_ps += s.users[a.user].one_way_ps;
  }
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const Arrival& x, const Arrival& y) { return x.at_ps < y.at_ps; });
  std::vector<std::uint32_t> prefill_busy(prefillers, Program::kNone), decode_busy(decoders, Program::kNone);
  std::vector<RequestOps> out;
  for (std::uint32_t r = 0; r < s.requests; ++r) {
    const std::uint32_t pre = r % prefillers;
    const std::uint32_t dec = r % decoders;
    const std::uint32_t user = arrivals[r].user;
    const std::uint32_t arrival = program.add_compute(gpu_of(pre, 0), arrivals[r].at_ps, tags.arrival);
    std::vector<std::uint32_t> ranks, done(s.tp);
    for (std::uint32_t k = 0; k < s.tp; ++k) ranks.push_back(gpu_of(pre, k));
    std::uint32_t context = arrival;
    if (s.retrieval_bytes > 0) {
      context = program.add_transfer(s.retrieval_gpu, ranks[0], s.retrieval_bytes, tags.retrieval);
      program.depend(arrival, context);
    }
    for (std::uint32_t k = 0; k < s.tp; ++k) {
      done[k] = program.add_compute(ranks[k], prefill_ps + (s.tp > 1 ? ar_latency_ps : 0), tags.compute);
      program.depend(context, done[k]);
      program.depend(prefill_busy[pre], done[k]);
    }
    if (s.tp > 1) {
      CollectiveSpec ar;
      ar.op = Collective::kAllReduce;
      ar.ranks = ranks;
      ar.bytes = static_cast<std::uint64_t>(ar_bytes * 2.0 * m.layers);
      ar.launch_ps = core::us_to_ps(gpu.collective_launch_us);
      done = append_collective(program, ar, server_of, done, tags.tp);
    }
    const std::uint32_t first_token = program.add_compute(ranks[0], 0, tags.compute);
    for (auto d : done) program.depend(d, first_token);
    prefill_busy[pre] = first_token;
    // Disaggregated: each prefill rank sends its shard of the KV cache to the same rank of the decode
    // replica.
    std::vector<std::uint32_t> ready(s.tp, first_token);
    const std::uint32_t dec_replica = s.prefill_replicas == 0 ? pre : prefillers + dec;
    if (s.prefill_replicas > 0)
      for (std::uint32_t k = 0; k < s.tp; ++k) {
        ready[k] = program.add_transfer(gpu_of(pre, k), gpu_of(dec_replica, k),
                                        static_cast<std::uint64_t>(kv_bytes(m, tokens) / s.tp), tags.kv);
        program.depend(first_token, ready[k]);
      }
    core::TimePs decode_ps = 0;
    for (std::uint32_t k = 1; k < s.output_tokens; ++k) decode_ps += decode_step_ps(s, gpu, tokens + k);
    const std::uint32_t last_token = program.add_compute(gpu_of(dec_replica, 0), 0, tags.compute);
    for (std::uint32_t k = 0; k < s.tp; ++k) {
      const std::uint32_t op = program.add_compute(gpu_of(dec_replica, k), decode_ps, tags.compute);
      program.depend(ready[k], op);
      program.depend(s.prefill_replicas == 0 ? prefill_busy[pre] : decode_busy[dec], op);
      program.depend(op, last_token);
    }
    if (s.prefill_replicas == 0) {
      prefill_busy[pre] = last_token;  // a colocated replica serves one request at a time
    } else {
      decode_busy[dec] = last_token;
    }
    out.push_back({arrival, first_token, last_token, user});
  }
  return out;
}

}  // namespace aifabric::workload
