#include "workload/training.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "workload/trace.hpp"

namespace aifabric::workload {
namespace {

constexpr std::uint32_t kNone = Program::kNone;
constexpr double kBf16 = 2.0;

std::uint32_t ffn(const TransformerModel& m) {
  return m.ffn_hidden == 0 ? 4 * m.hidden : m.ffn_hidden;
}
std::uint32_t kv(const TransformerModel& m) {
  return m.kv_heads == 0 ? m.heads : m.kv_heads;
}
double attention_params(const TransformerModel& m) {
  const double h = m.hidden;
  return 2 * h * h + 2 * h * (h * kv(m) / m.heads);  // Q and O, plus K and V for kv_heads
}
double expert_params(const TransformerModel& m) {
  return (m.gated ? 3.0 : 2.0) * m.hidden * ffn(m);  // up, gate (SwiGLU) and down projections
}

// Every compute at one achieved fraction of peak: each TP rank does 1/tp of the FLOPs; the backward costs
// twice the forward, plus what recompute redoes; the output layer's forward and backward together 3 times
// its forward.
LayerTimes flop_layer_times(const TrainingJob& job, const GpuSpec& gpu) {
  const auto& m = job.model;
  // A context-parallel rank holds 1/cp of the sequence's tokens, each attending to the whole sequence.
  const double tokens = static_cast<double>(job.par.micro_batch_size) * m.seq_len / job.par.cp;
  const double flops_per_ps = gpu.peak_tflops * job.gpu_efficiency;  // TFLOP/s is FLOP/ps
  auto compute_ps = [&](double flops) {
    return static_cast<core::TimePs>(std::ceil(flops / job.par.tp / flops_per_ps));
  };
  const double core_flops = 2.0 * tokens * m.seq_len * m.hidden;  // causal attention
  const double attn_flops = 2.0 * attention_params(m) * tokens + core_flops;
  const double mlp_flops = 2.0 * expert_params(m) * tokens * (m.experts == 0 ? 1 : m.top_k);
  const Recompute r = job.kernels.recompute;
  const double attn_redo = r == Recompute::kFull ? attn_flops : r == Recompute::kSelective ? core_flops : 0;
  const double mlp_redo = r == Recompute::kFull ? mlp_flops : 0;
  const double head_flops = 2.0 * m.hidden * m.vocab * tokens;
  return {compute_ps(attn_flops), compute_ps(2.0 * attn_flops + attn_redo), compute_ps(mlp_flops),
          compute_ps(2.0 * mlp_flops + mlp_redo), compute_ps(3.0 * head_flops)};
}

}  // namespace

double TransformerModel::layer_params() const {
  return attention_params(*this) + expert_params(*this) * std::max<std::uint32_t>(1, experts);
}
double TransformerModel::active_layer_params() const {
  return attention_params(*this) + expert_params(*this) * (experts == 0 ? 1 : top_k);
}
double TransformerModel::params() const {
  return layers * layer_params() + 2.0 * vocab * hidden;
}
double TransformerModel::layer_forward_flops(double tokens) const {
  // 2 FLOPs per parameter per token, plus causal attention scores and their weighted sum: 2 T s h.
  return 2.0 * active_layer_params() * tokens + 2.0 * tokens * seq_len * hidden;
}

std::uint32_t gpu_of(const TrainingJob& job, std::uint32_t tp, std::uint32_t replica, std::uint32_t pp) {
  const std::uint32_t rank = tp + job.par.tp * (replica + job.par.dp * job.par.cp * pp);
  return job.gpu_list.empty() ? job.first_gpu + rank : job.gpu_list[rank];
}

MemoryNeed memory_per_gpu(const TrainingJob& job) {
  const auto& m = job.model;
  const auto& p = job.par;
  const double layers = static_cast<double>(m.layers) / p.pp;
  const double dense = attention_params(m) + (m.experts == 0 ? expert_params(m) : 0);
  const double experts = m.experts == 0 ? 0 : expert_params(m) * m.experts / p.ep;
  const double params = (layers * (dense + experts) + 2.0 * m.vocab * m.hidden / p.pp) / p.tp;
  // Mixed precision with Adam: bf16 weights and gradients (2 + 2 bytes), fp32 master weights, momentum and
  // variance (12 bytes), the last sharded over data parallelism by the distributed optimizer (ZeRO-1).
  // The distributed optimizer shards over data and context parallelism together.
  const double optimizer = 12.0 * params / (p.zero >= 1 ? p.dp * p.cp : 1);
  MemoryNeed need;
  need.state_bytes = 4.0 * params + optimizer;
  // Activations of one layer and micro-batch with flash attention (Korthikanti et al. 2022, without the
  // attention-matrix term): 34 s b h / tp bytes with sequence parallelism, s b h (10 + 24 / tp) without;
  // full recompute keeps only the layer's input, 2 s b h (over tp with sequence parallelism). 1F1B keeps up
  // to pp micro-batches in flight.
  const double sbh = static_cast<double>(m.seq_len) * p.micro_batch_size * m.hidden / p.cp;
  // Unfused attention without recompute also keeps its score matrices: 5 a s^2 b / tp bytes.
  const auto& k = job.kernels;
  const double scores = k.attention == Attention::kUnfused && k.recompute == Recompute::kNone
                            ? 5.0 * m.heads * m.seq_len * sbh / m.hidden / p.tp
                            : 0.0;
  const double per_layer = k.recompute == Recompute::kFull ? 2.0 * sbh / (k.sequence_parallel ? p.tp : 1)
                           : k.sequence_parallel           ? 34.0 * sbh / p.tp + scores
                                                           : sbh * (10.0 + 24.0 / p.tp) + scores;
  // Interleaving keeps (1 + (pp - 1) / (pp v)) times as many on the first stage (Narayanan et al. 2021).
  const double interleave =
      p.virtual_stages > 1 ? 1.0 + (p.pp - 1.0) / (static_cast<double>(p.pp) * p.virtual_stages) : 1.0;
  need.activation_bytes = per_layer * layers * std::min(p.pp, p.micro_batches) * interleave;
  return need;
}

std::optional<core::InputError> check(const TrainingJob& job, const GpuSpec& gpu,
                                      std::uint32_t gpus_per_server, std::size_t cluster_gpus) {
  const auto& m = job.model;
  const auto& p = job.par;
  if (!job.gpu_list.empty()) {
    std::vector<char> seen(cluster_gpus, 0);
    for (auto g : job.gpu_list) {
      if (g >= cluster_gpus)
        return core::field_error("gpu_list",
                                 fmt::format("GPU {} is not in the cluster (it has {})", g, cluster_gpus));
      if (seen[g]) return core::field_error("gpu_list", fmt::format("GPU {} appears twice", g));
      seen[g] = 1;
    }
  } else if (static_cast<std::uint64_t>(job.first_gpu) + job.gpus > cluster_gpus) {
    return core::field_error("gpus",
                             fmt::format("GPUs [{}, {}) exceed the cluster's {}", job.first_gpu,
                                         static_cast<std::uint64_t>(job.first_gpu) + job.gpus, cluster_gpus));
  }
  const std::uint64_t product = static_cast<std::uint64_t>(p.tp) * p.cp * p.pp * p.dp;
  if (product != job.gpus)
    return core::field_error(
        "parallelism",
        p.cp == 1 ? fmt::format("tp x pp x dp = {} x {} x {} = {} must equal the job's {} GPUs", p.tp, p.pp,
                                p.dp, product, job.gpus)
                  : fmt::format("tp x cp x pp x dp = {} x {} x {} x {} = {} must equal the job's {} GPUs",
                                p.tp, p.cp, p.pp, p.dp, product, job.gpus));
  if (p.cp > 1 && m.seq_len % (2 * p.cp) != 0)
    return core::field_error(
        "parallelism.cp", fmt::format("the sequence of {} tokens must split into 2 x cp = {} chunks (causal "
                                      "load balancing)",
                                      m.seq_len, 2 * p.cp));
  if (job.sites > 1 && p.dp % job.sites != 0)
    return core::field_error(
        "parallelism.dp",
        fmt::format("{} data-parallel replicas do not split evenly over {} sites", p.dp, job.sites));
  if (job.sites > 1 && p.ep > 1 && (p.dp / job.sites) % p.ep != 0)
    return core::field_error("parallelism.ep",
                             fmt::format("expert-parallel groups of {} straddle the sites ({} replicas each)",
                                         p.ep, p.dp / job.sites));
  if (p.cp > 1 && p.ep > 1)
    return core::field_error("parallelism.cp", "context parallelism with expert parallelism is not modelled");
  if (gpus_per_server % p.tp != 0)
    return core::field_error(
        "parallelism.tp",
        fmt::format("tensor parallelism stays inside a server; {} does not divide its {} GPUs", p.tp,
                    gpus_per_server));
  for (std::uint32_t d = 0; d < p.dp * p.cp; ++d)
    for (std::uint32_t s = 0; s < p.pp; ++s)
      for (std::uint32_t t = 1; t < p.tp; ++t)
        if (gpu_of(job, t, d, s) / gpus_per_server != gpu_of(job, 0, d, s) / gpus_per_server)
          return core::field_error(
              job.gpu_list.empty() ? "first_gpu" : "gpu_list",
              fmt::format("tensor-parallel group of GPU {} straddles servers (tp = {}, {} GPUs per server)",
                          gpu_of(job, 0, d, s), p.tp, gpus_per_server));
  if (m.layers % p.pp != 0)
    return core::field_error("model.layers",
                             fmt::format("{} layers do not divide into {} pipeline stages", m.layers, p.pp));
  if (p.virtual_stages > 1) {
    if (p.pp == 1)
      return core::field_error("parallelism.virtual_stages", "interleaving needs pipeline stages (pp > 1)");
    if (m.layers % (p.pp * p.virtual_stages) != 0)
      return core::field_error("parallelism.virtual_stages",
                               fmt::format("{} layers do not divide into {} stages x {} chunks", m.layers,
                                           p.pp, p.virtual_stages));
    if (p.micro_batches % p.pp != 0)
      return core::field_error(
          "parallelism.micro_batches",
          fmt::format("the interleaved schedule needs a multiple of pp = {}, got {}", p.pp, p.micro_batches));
    if (p.dp_buckets % p.virtual_stages != 0)
      return core::field_error("parallelism.dp_buckets",
                               fmt::format("must be a multiple of virtual_stages = {} (each chunk its own "
                                           "buckets), got {}",
                                           p.virtual_stages, p.dp_buckets));
  }
  if (p.dp_buckets == 0 || p.dp_buckets > m.layers / p.pp)
    return core::field_error(
        "parallelism.dp_buckets",
        fmt::format("must be in [1, {}] (the layers of a stage), got {}", m.layers / p.pp, p.dp_buckets));
  if (m.heads % p.tp != 0)
    return core::field_error("model.heads",
                             fmt::format("{} heads do not divide over tp = {}", m.heads, p.tp));
  if (kv(m) > m.heads || m.heads % kv(m) != 0)
    return core::field_error("model.kv_heads", fmt::format("{} must divide the {} heads", kv(m), m.heads));
  if (m.experts > 0) {
    if (m.top_k == 0 || m.top_k > m.experts)
      return core::field_error("model.top_k", fmt::format("must be in [1, {}], got {}", m.experts, m.top_k));
    if (p.dp % p.ep != 0)
      return core::field_error("parallelism.ep",
                               fmt::format("expert parallelism {} must divide dp = {}", p.ep, p.dp));
    if (m.experts % p.ep != 0)
      return core::field_error("parallelism.ep",
                               fmt::format("{} experts do not divide over ep = {}", m.experts, p.ep));
  } else if (p.ep != 1) {
    return core::field_error("parallelism.ep",
                             "expert parallelism needs a mixture-of-experts model (model.experts > 0)");
  }
  const MemoryNeed need = memory_per_gpu(job);
  if (need.total() > gpu.memory_gbytes * 1e9)
    return core::field_error(
        "model",
        fmt::format(
            "needs {:.1f} GB per GPU ({:.1f} GB of weights, gradients and optimizer state, {:.1f} GB of "
            "activations), more than the {}'s {} GB; raise tp, pp or dp, or lower micro_batch_size",
            need.total() / 1e9, need.state_bytes / 1e9, need.activation_bytes / 1e9, gpu.name,
            gpu.memory_gbytes));
  return std::nullopt;
}

double tokens_per_iteration(const TrainingJob& job) {
  if (job.trace) return job.trace->tokens_per_iteration;
  return static_cast<double>(job.par.micro_batches) * job.par.micro_batch_size * job.model.seq_len *
         job.par.dp;
}

double iteration_flops(const TrainingJob& job) {
  if (job.trace) return job.trace->flops_per_iteration;
  const auto& m = job.model;
  const double tokens = tokens_per_iteration(job);
  return 3.0 * (m.layers * m.layer_forward_flops(tokens) + 2.0 * m.hidden * m.vocab * tokens);
}

core::TimePs nvlink_ring_allreduce_ps(std::uint64_t bytes, std::uint32_t ranks,
                                      const IterationLayout& layout) {
  if (ranks < 2) return 0;
  // Blocks differ by at most one byte; the largest sets each step's pace.
  const std::uint64_t block = (bytes + ranks - 1) / ranks;
  const auto transfer =
      static_cast<core::TimePs>(std::ceil(static_cast<double>(block) / layout.nvlink_bytes_per_ps));
  return layout.collective_launch_ps +
         2 * static_cast<core::TimePs>(ranks - 1) * (layout.nvlink_step_ps + transfer);
}

std::vector<std::uint32_t> append_training_iteration(Program& program, const TrainingJob& job,
                                                     const GpuSpec& gpu,
                                                     const std::vector<std::uint32_t>& server_of,
                                                     const IterationLayout& layout,
                                                     const TrainingTags& tags) {
  const auto& m = job.model;
  const auto& p = job.par;
  const core::TimePs launch_ps = layout.collective_launch_ps;
  const bool compact = layout.compact && !(m.experts > 0 && p.ep > 1);
  // One micro-batch's tokens on one context-parallel rank.
  const double tokens = static_cast<double>(p.micro_batch_size) * m.seq_len / p.cp;
  // The pipelines of the data-parallel replicas and of the context-parallel ranks of each are
  // independent; their gradients are reduced together.
  const std::uint32_t replicas = p.dp * p.cp;
  const LayerTimes work_ps =
      job.gpu_efficiency > 0 ? flop_layer_times(job, gpu) : layer_times(m, p, gpu, job.kernels);
  const auto activation_bytes = static_cast<std::uint64_t>(tokens * m.hidden * kBf16);
  const std::uint32_t layers_per_stage = m.layers / p.pp;
  // Interleaving: each stage holds `chunks` model chunks; virtual stage c pp + s is chunk c on stage s,
  // and a micro-batch passes through the virtual stages in order (Megatron-LM's interleaved 1F1B).
  const std::uint32_t chunks = p.virtual_stages;
  const std::uint32_t virtual_stages = p.pp * chunks;
  const std::uint32_t layers_per_chunk = layers_per_stage / chunks;
  const std::uint32_t buckets_per_chunk = p.dp_buckets / chunks;
  const bool moe = m.experts > 0;

  auto tp_group = [&](std::uint32_t d, std::uint32_t s) {
    std::vector<std::uint32_t> r;
    for (std::uint32_t t = 0; t < p.tp; ++t) r.push_back(gpu_of(job, t, d, s));
    return r;
  };
  // The GPUs that hold the same shard of stage s at TP index t: every data- and context-parallel replica's.
  auto dp_group = [&](std::uint32_t t, std::uint32_t s) {
    std::vector<std::uint32_t> r;
    for (std::uint32_t d = 0; d < replicas; ++d) r.push_back(gpu_of(job, t, d, s));
    return r;
  };
  auto spec_of = [&](Collective op, Algorithm algo, std::vector<std::uint32_t> ranks, std::uint64_t bytes) {
    CollectiveSpec spec;
    spec.op = op;
    spec.algorithm = algo;
    spec.ranks = std::move(ranks);
    spec.bytes = bytes;
    spec.launch_ps = launch_ps;
    spec.aggregate = layout.aggregate_collectives;
    return spec;
  };
  auto collective = [&](Collective op, Algorithm algo, std::vector<std::uint32_t> ranks, std::uint64_t bytes,
                        const std::vector<std::uint32_t>& start, std::uint32_t tag) {
    return append_collective(program, spec_of(op, algo, std::move(ranks), bytes), server_of, start, tag);
  };
  // A data-parallel reduction: `algo` in a job of one site. Across sites, rings, never aggregated (a lockstep
  // group pays its slowest edge's delay at every step, where a ring's steps pay the circuits' only on the
  // edges that cross them, docs/models/sites.md): hierarchically, the step between the sites tagged dci
  // (all of it with one replica per site: a ring between the sites), or one ring through every replica.
  const std::uint32_t per_site = replicas / job.sites;
  auto dp_collective = [&](Collective op, Algorithm algo, std::vector<std::uint32_t> ranks,
                           std::uint64_t bytes, const std::vector<std::uint32_t>& start) {
    if (job.sites == 1) return collective(op, algo, std::move(ranks), bytes, start, tags.dp);
    const bool hierarchy = job.cross_site == Algorithm::kHierarchical && per_site > 1;
    auto spec = spec_of(op, hierarchy ? Algorithm::kHierarchical : Algorithm::kRing, std::move(ranks), bytes);
    spec.aggregate = false;
    if (hierarchy) {
      spec.group_ranks = per_site;
      spec.across_tag = tags.dci;
    }
    const bool all_across = job.cross_site == Algorithm::kHierarchical && per_site == 1;
    return append_collective(program, spec, server_of, start, all_across ? tags.dci : tags.dp);
  };

  // One phase of a layer on every TP rank of a stage: compute, then the TP all-reduce (and, for MoE
  // layers' MLP, the expert all-to-alls around the expert compute). `last` holds each rank's last op.
  auto phase = [&](std::uint32_t d, std::uint32_t s, std::vector<std::uint32_t>& last, core::TimePs duration,
                   bool expert_phase) {
    const auto ranks = tp_group(d, s);
    std::vector<std::uint32_t> done(p.tp);
    auto all_to_all = [&](std::vector<std::uint32_t>& at) {
      // Expert parallelism: the ep data-parallel replicas of this TP rank hold different experts. Each
      // replica sends its tokens' top_k activations for the others' experts (1/ep of them each); what it
      // receives is the mirror image, built by the other replicas' own sends.
      const std::uint32_t base = d - d % p.ep;
      const auto share =
          static_cast<std::uint64_t>(static_cast<double>(activation_bytes) * m.top_k / p.tp / p.ep);
      for (std::uint32_t t = 0; t < p.tp; ++t) {
        const std::uint32_t me = gpu_of(job, t, d, s);
        const std::uint32_t done_op = program.add_compute(me, 0, tags.ep);
        for (std::uint32_t e = 0; e < p.ep; ++e) {
          if (base + e == d) continue;
          const std::uint32_t x = program.add_transfer(me, gpu_of(job, t, base + e, s), share, tags.ep);
          program.depend(at[t], x);
          program.depend(x, done_op);
        }
        program.depend(at[t], done_op);
        at[t] = done_op;
      }
    };
    if (expert_phase && moe && p.ep > 1) all_to_all(last);
    for (std::uint32_t t = 0; t < p.tp; ++t) {
      done[t] = program.add_compute(ranks[t], duration, tags.compute);
      program.depend(last[t], done[t]);
    }
    if (expert_phase && moe && p.ep > 1) all_to_all(done);
    if (p.tp > 1) {
      const auto out =
          collective(Collective::kAllReduce, Algorithm::kRing, ranks, activation_bytes, done, tags.tp);
      for (std::uint32_t t = 0; t < p.tp; ++t) last[t] = out[t];
    } else {
      last = done;
    }
  };

  const double bucket_params_per_gpu =
      (attention_params(m) + expert_params(m) * std::max<std::uint32_t>(1, m.experts) / p.ep) *
      layers_per_stage / p.dp_buckets / p.tp;
  const auto bucket_bytes = static_cast<std::uint64_t>(bucket_params_per_gpu * kBf16);
  // Megatron-LM's --overlap-param-gather: the distributed optimizer's all-gather of each bucket's updated
  // weights is overlapped with the next iteration's forward, which waits for a bucket's weights only where
  // it first uses them. In one iteration: every bucket's all-gather starts at time 0 and the first forward
  // of each chunk waits for its buckets.
  const bool overlap_gather = p.zero >= 1 && p.overlap_param_gather && replicas > 1;
  std::vector<std::vector<std::vector<std::vector<std::uint32_t>>>> gathered;  // [stage][tp][bucket][replica]
  if (overlap_gather) {
    gathered.assign(p.pp, std::vector<std::vector<std::vector<std::uint32_t>>>(p.tp));
    for (std::uint32_t s = 0; s < p.pp; ++s)
      for (std::uint32_t t = 0; t < p.tp; ++t) {
        const auto ranks = dp_group(t, s);
        for (std::uint32_t b = 0; b < p.dp_buckets; ++b)
          gathered[s][t].push_back(dp_collective(Collective::kAllGather, Algorithm::kRing, ranks,
                                                 bucket_bytes, std::vector<std::uint32_t>(replicas, kNone)));
      }
  }

  // Per data-parallel replica, stage, bucket and TP rank: the op after which the bucket's gradients are
  // final.
  std::vector<std::vector<std::vector<std::vector<std::uint32_t>>>> ready(replicas);
  std::vector<std::vector<std::vector<std::uint32_t>>> stream_end(replicas);
  for (std::uint32_t d = 0; d < replicas; ++d) {
    // Per stage and TP rank: the last op of the stage's compute stream, and the ops that deliver each
    // micro-batch's activations (forward) and gradients (backward) from the neighbouring stages.
    std::vector<std::vector<std::uint32_t>> stream(p.pp, std::vector<std::uint32_t>(p.tp, kNone));
    std::vector<std::vector<std::vector<std::uint32_t>>> fwd_in(
        virtual_stages,
        std::vector<std::vector<std::uint32_t>>(p.micro_batches, std::vector<std::uint32_t>(p.tp, kNone)));
    auto bwd_in = fwd_in;
    // Gradient-ready ops per stage, bucket and TP rank: the last micro-batch's backward of the bucket.
    std::vector<std::vector<std::vector<std::uint32_t>>> grad_ready(
        p.pp, std::vector<std::vector<std::uint32_t>>(p.dp_buckets, std::vector<std::uint32_t>(p.tp, kNone)));
    // 1F1B order per stage; stages are built in an order that creates senders before receivers. With
    // interleaving, Megatron-LM's order (schedules.py, forward_backward_pipelining_with_interleaving): the
    // k-th forward of a stage is chunk (k / pp) mod chunks of micro-batch (k / (pp chunks)) pp + k mod pp,
    // the k-th backward the same with the chunks reversed, after (pp - s - 1) 2 + (chunks - 1) pp warm-up
    // forwards.
    struct Step {
      bool forward;
      std::uint32_t mb, chunk;
    };
    auto step = [&](bool forward, std::uint32_t k) {
      const std::uint32_t group = k / p.pp % chunks;
      return Step{forward, k / (p.pp * chunks) * p.pp + k % p.pp, forward ? group : chunks - 1 - group};
    };
    std::vector<std::vector<Step>> order(p.pp);
    const std::uint32_t total = p.micro_batches * chunks;
    for (std::uint32_t s = 0; s < p.pp; ++s) {
      const std::uint32_t warmup = chunks == 1 ? std::min(p.pp - s - 1, p.micro_batches)
                                               : std::min((p.pp - s - 1) * 2 + (chunks - 1) * p.pp, total);
      for (std::uint32_t i = 0; i < warmup; ++i) order[s].push_back(step(true, i));
      for (std::uint32_t i = 0; i + warmup < total; ++i) {
        order[s].push_back(step(true, warmup + i));
        order[s].push_back(step(false, i));
      }
      for (std::uint32_t i = total - warmup; i < total; ++i) order[s].push_back(step(false, i));
    }
    // Ops must exist before others depend on them, but dependencies may point forward: record the edges
    // to the transfer ops when they are created (the receiver side refers to the transfer op index).
    std::vector<std::size_t> next(p.pp, 0);
    std::size_t remaining = 0;
    for (const auto& o : order) remaining += o.size();
    while (remaining > 0) {
      bool progressed = false;
      for (std::uint32_t s = 0; s < p.pp; ++s) {
        while (next[s] < order[s].size()) {
          const Step st = order[s][next[s]];
          const std::uint32_t vs = st.chunk * p.pp + s;
          auto& inbox = st.forward ? fwd_in[vs][st.mb] : bwd_in[vs][st.mb];
          const bool needs_input = st.forward ? vs > 0 : vs + 1 < virtual_stages;
          if (needs_input && inbox[0] == kNone) break;  // the neighbour has not produced it yet
          std::vector<std::uint32_t> last = stream[s];
          if (overlap_gather && st.forward && st.mb == 0)
            for (std::uint32_t t = 0; t < p.tp; ++t) {
              const std::uint32_t join = program.add_compute(gpu_of(job, t, d, s), 0, tags.compute);
              program.depend(last[t], join);
              for (std::uint32_t b = 0; b < buckets_per_chunk; ++b)
                program.depend(gathered[s][t][st.chunk * buckets_per_chunk + b][d], join);
              last[t] = join;
            }
          if (needs_input && !compact)
            for (std::uint32_t t = 0; t < p.tp; ++t) {
              const std::uint32_t join = program.add_compute(gpu_of(job, t, d, s), 0, tags.compute);
              program.depend(last[t], join);
              program.depend(inbox[t], join);
              last[t] = join;
            }
          const core::TimePs attn_ps =
              st.forward ? work_ps.attention_forward_ps : work_ps.attention_backward_ps;
          const core::TimePs mlp_ps = st.forward ? work_ps.mlp_forward_ps : work_ps.mlp_backward_ps;
          if (compact) {
            // Segments of consecutive layers: the whole chunk, or in its last backward one per gradient
            // bucket (from the last layer down), so each bucket's reduction can start when it is ready.
            // Chunk c holds the stage's buckets [c B / chunks, (c + 1) B / chunks).
            const bool last_backward = !st.forward && st.mb + 1 == p.micro_batches;
            const std::uint32_t segments = last_backward ? buckets_per_chunk : 1;
            for (std::uint32_t k = 0; k < segments; ++k) {
              const std::uint32_t local = buckets_per_chunk - 1 - k;
              const std::uint32_t bucket = st.chunk * buckets_per_chunk + local;
              auto first = [&](std::uint32_t b) {
                return (b * layers_per_chunk + buckets_per_chunk - 1) / buckets_per_chunk;
              };
              const std::uint32_t layers = last_backward ? first(local + 1) - first(local) : layers_per_chunk;
              core::TimePs work = layers * (attn_ps + mlp_ps);
              if (vs + 1 == virtual_stages && st.forward) work += work_ps.head_ps;
              const core::TimePs tp_ps =
                  2 * layers * nvlink_ring_allreduce_ps(activation_bytes, p.tp, layout);
              CollectiveCall closed;
              closed.ranks = tp_group(d, s);
              closed.bytes = activation_bytes;
              closed.repeat = 2 * layers;
              closed.tag = tags.tp;
              for (std::uint32_t t = 0; t < p.tp; ++t) {
                const std::uint32_t gpu_id = gpu_of(job, t, d, s);
                const std::uint32_t c = program.add_compute(gpu_id, work, tags.compute);
                program.depend(last[t], c);
                if (k == 0 && needs_input) program.depend(inbox[t], c);
                last[t] = c;
                if (tp_ps > 0) {
                  const std::uint32_t x = program.add_compute(gpu_id, tp_ps, tags.tp);
                  program.depend(c, x);
                  last[t] = x;
                  closed.done.push_back(x);
                }
              }
              if (tp_ps > 0) program.record(std::move(closed));
              if (last_backward) grad_ready[s][bucket] = last;
            }
          }
          for (std::uint32_t l = 0; l < (compact ? 0 : layers_per_chunk); ++l) {
            if (st.forward) {
              phase(d, s, last, attn_ps, false);
              phase(d, s, last, mlp_ps, true);
            } else {
              phase(d, s, last, mlp_ps, true);
              phase(d, s, last, attn_ps, false);
              // Layers are walked backwards: layer (layers_per_chunk - 1 - l) of the chunk is done.
              const std::uint32_t layer = layers_per_chunk - 1 - l;
              // The chunk's bucket b holds its layers [ceil(b L / B), ceil((b + 1) L / B)); it is complete
              // when the last micro-batch's backward reaches its first layer.
              const std::uint32_t local = layer * buckets_per_chunk / layers_per_chunk;
              const std::uint32_t first_layer =
                  (local * layers_per_chunk + buckets_per_chunk - 1) / buckets_per_chunk;
              if (st.mb + 1 == p.micro_batches && layer == first_layer)
                grad_ready[s][st.chunk * buckets_per_chunk + local] = last;
            }
          }
          if (!compact && vs + 1 == virtual_stages && st.forward)  // the output layer and loss, last stage
            for (std::uint32_t t = 0; t < p.tp; ++t) {
              const std::uint32_t op =
                  program.add_compute(gpu_of(job, t, d, s), work_ps.head_ps, tags.compute);
              program.depend(last[t], op);
              last[t] = op;
            }
          // Point-to-point: each TP rank sends its 1/tp slice to the same TP rank of the next (forward) or
          // previous (backward) virtual stage.
          const bool sends = st.forward ? vs + 1 < virtual_stages : vs > 0;
          if (sends) {
            const std::uint32_t to_vs = st.forward ? vs + 1 : vs - 1;
            const std::uint32_t to = to_vs % p.pp;
            auto& out = st.forward ? fwd_in[to_vs][st.mb] : bwd_in[to_vs][st.mb];
            std::vector<std::pair<std::uint32_t, std::uint32_t>> members;
            for (std::uint32_t t = 0; t < p.tp; ++t) {
              const std::uint32_t from = gpu_of(job, t, d, s), dest = gpu_of(job, t, d, to);
              if (server_of[from] != server_of[dest]) members.emplace_back(from, dest);
            }
            if (compact && members.size() == p.tp) {
              const std::uint32_t group = program.add_group(members, activation_bytes / p.tp, 1, tags.pp);
              for (std::uint32_t t = 0; t < p.tp; ++t) {
                program.depend(last[t], group);
                out[t] = group;
              }
            }
            for (std::uint32_t t = 0; t < (compact && members.size() == p.tp ? 0 : p.tp); ++t) {
              out[t] = program.add_transfer(gpu_of(job, t, d, s), gpu_of(job, t, d, to),
                                            activation_bytes / p.tp, tags.pp);
              program.depend(last[t], out[t]);
            }
          }
          stream[s] = last;
          ++next[s];
          --remaining;
          progressed = true;
        }
      }
      if (!progressed) break;  // unreachable for a valid 1F1B order
    }
    for (std::uint32_t s = 0; s < p.pp; ++s)
      for (std::uint32_t b = 0; b < p.dp_buckets; ++b)
        for (std::uint32_t t = 0; t < p.tp; ++t)
          if (grad_ready[s][b][t] == kNone) grad_ready[s][b][t] = stream[s][t];
    ready[d] = std::move(grad_ready);
    stream_end[d] = std::move(stream);
  }

  // Data parallelism: each bucket's gradients are reduced across the replicas as soon as every replica has
  // them, overlapping the rest of the backward pass. ZeRO-0 all-reduces them; the distributed optimizer
  // (ZeRO-1) reduce-scatters them, steps its shard, and all-gathers the updated weights.
  std::vector<std::uint32_t> finish;
  const double mem_bytes_per_ps = gpu.memory_tbytes_per_s * 1e12 / 1e12;
  for (std::uint32_t s = 0; s < p.pp; ++s) {
    for (std::uint32_t t = 0; t < p.tp; ++t) {
      const auto ranks = dp_group(t, s);
      std::vector<std::vector<std::uint32_t>> reduced(replicas);
      for (std::uint32_t b = 0; b < p.dp_buckets; ++b) {
        std::vector<std::uint32_t> start(replicas);
        for (std::uint32_t d = 0; d < replicas; ++d) start[d] = ready[d][s][b][t];
        if (replicas == 1) {
          reduced[0].push_back(start[0]);
          continue;
        }
        const auto out =
            p.zero == 0
                ? dp_collective(Collective::kAllReduce, job.allreduce, ranks, bucket_bytes, start)
                : dp_collective(Collective::kReduceScatter, Algorithm::kRing, ranks, bucket_bytes, start);
        for (std::uint32_t d = 0; d < replicas; ++d) reduced[d].push_back(out[d]);
      }
      for (std::uint32_t d = 0; d < replicas; ++d) {
        std::vector<std::uint32_t> deps = reduced[d];
        deps.push_back(stream_end[d][s][t]);
        // The optimizer step reads and writes its shard of fp32 state: memory-bound, 16 bytes per parameter.
        const double shard = bucket_params_per_gpu * p.dp_buckets / (p.zero >= 1 ? replicas : 1);
        const std::uint32_t step = program.add_compute(
            ranks[d], static_cast<core::TimePs>(std::ceil(16.0 * shard / mem_bytes_per_ps)), tags.compute);
        for (auto dep : deps) program.depend(dep, step);
        finish.push_back(step);
      }
      if (p.zero >= 1 && replicas > 1 && !overlap_gather) {
        std::vector<std::uint32_t> start(finish.end() - replicas, finish.end());
        const auto out = dp_collective(Collective::kAllGather, Algorithm::kRing, ranks,
                                       bucket_bytes * p.dp_buckets, start);
        std::copy(out.begin(), out.end(), finish.end() - replicas);
      }
    }
  }
  return finish;
}

}  // namespace aifabric::workload
