#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "workload/collectives.hpp"
#include "workload/compute.hpp"
#include "workload/hardware.hpp"
#include "workload/program.hpp"

namespace aifabric::workload {

// A transformer (docs/models/training.md). Dense when experts == 0; otherwise every layer's MLP is a
// mixture of `experts` experts of which each token uses `top_k`.
struct TransformerModel {
  std::uint32_t layers = 0;
  std::uint32_t hidden = 0;
  std::uint32_t heads = 0;
  std::uint32_t kv_heads = 0;    // grouped-query attention; 0 = heads
  std::uint32_t ffn_hidden = 0;  // 0 = 4 x hidden
  std::uint32_t seq_len = 0;
  std::uint32_t vocab = 0;
  std::uint32_t experts = 0;
  std::uint32_t top_k = 0;
  bool gated = true;  // SwiGLU MLP (up and gate projections); false: GeLU with one up projection (GPT)

  double layer_params() const;         // one layer, all experts
  double active_layer_params() const;  // parameters one token touches in a layer
  double params() const;               // whole model with embeddings (untied input and output)
  // Forward FLOPs of one layer for `tokens` tokens in sequences of seq_len.
  double layer_forward_flops(double tokens) const;
};

struct Parallelism {
  std::uint32_t tp = 1, pp = 1, dp = 1, ep = 1;
  // Context parallelism: each sequence split over cp GPUs (Megatron-LM's ring attention), which reduce
  // their gradients together with the data-parallel replicas.
  std::uint32_t cp = 1;
  std::uint32_t zero = 1;  // 0: gradients all-reduced; 1: distributed optimizer (reduce-scatter + all-gather)
  std::uint32_t micro_batches = 1;
  std::uint32_t micro_batch_size = 1;
  std::uint32_t dp_buckets = 4;  // gradient buckets per pipeline stage, each reduced as soon as it is ready
  std::uint32_t virtual_stages = 1;  // model chunks per pipeline stage (Megatron-LM's interleaved schedule)
  // ZeRO-1: the updated weights' all-gather overlapped with the next forward (Megatron-LM's
  // --overlap-param-gather), instead of closing the iteration.
  bool overlap_param_gather = false;
};

struct TraceWorkload;

struct TrainingJob {
  std::string name;
  std::uint32_t first_gpu = 0;
  std::uint32_t gpus = 0;
  std::vector<std::uint32_t>
      gpu_list;  // explicit placement (rank -> GPU); empty = first_gpu, first_gpu + 1, ...
  TransformerModel model;
  Parallelism par;
  // Compute kernels: timed from the GPU's roofline (workload/compute.hpp) with these options, unless
  // gpu_efficiency > 0 overrides them all with one achieved fraction of peak FLOP/s.
  KernelOptions kernels;
  double gpu_efficiency = 0;
  Algorithm allreduce = Algorithm::kRing;
  // A job across sites: its data-parallel replicas split into `sites` consecutive blocks of whole
  // pipelines, one per site (the placement gives the GPUs). The gradients cross the sites' interconnect
  // hierarchically (reduced inside each site, the shards across the sites, docs/models/sites.md), or, with
  // kRing, in one ring through every replica.
  std::uint32_t sites = 1;
  Algorithm cross_site = Algorithm::kHierarchical;
  // A job given as execution traces (workload/trace.hpp), one per rank, instead of model and parallelism;
  // shared and never changed, so scenarios that copy the job (what-if variants) share it.
  std::shared_ptr<const TraceWorkload> trace;
  std::string trace_source;  // where it was read from, for the reports
};

// GPU of (tp, replica, pp) coordinates, a replica being a (cp, dp) pair r = c + cp d: tensor parallelism
// innermost (inside a server), then context, then data, then pipeline (Megatron-LM's tp-cp-dp-pp order).
std::uint32_t gpu_of(const TrainingJob& job, std::uint32_t tp, std::uint32_t replica, std::uint32_t pp);

// Nothing when the job fits the cluster, else what is wrong, with the field it concerns relative to the job
// ("parallelism.tp").
std::optional<core::InputError> check(const TrainingJob& job, const GpuSpec& gpu,
                                      std::uint32_t gpus_per_server, std::size_t cluster_gpus);

// Memory one GPU needs, bytes: weights, gradients and optimizer state, and activations.
struct MemoryNeed {
  double state_bytes = 0;
  double activation_bytes = 0;
  double total() const { return state_bytes + activation_bytes; }
};
MemoryNeed memory_per_gpu(const TrainingJob& job);

// Tags of a training iteration's ops, for the time breakdown.
struct TrainingTags {
  std::uint32_t compute, tp, pp, dp, ep;
  std::uint32_t dci;  // a cross-site job's reduction between the sites
};

// How an iteration is laid out as ops.
struct IterationLayout {
  core::TimePs collective_launch_ps = 0;
  // Compact: when no layer talks over the network (no expert all-to-all), a stage's layers for one
  // micro-batch are one compute op and one tensor-parallel op per GPU (per gradient bucket in the last
  // backward), the tensor-parallel all-reduces in closed form over NVLink (below), and a pipeline send
  // is one group of its TP ranks' transfers. Same times as the per-layer ops while nothing else uses
  // those GPUs' NVLink; about 60x fewer ops.
  bool compact = true;
  double nvlink_bytes_per_ps = 0;      // per GPU and direction, for the closed form
  core::TimePs nvlink_step_ps = 0;     // per ring step
  bool aggregate_collectives = false;  // CollectiveSpec::aggregate for the data-parallel rings
};

// A ring all-reduce of `bytes` over `ranks` GPUs of one server, each sending to the next over its own
// NVLink at full rate: launch + 2 (ranks - 1) x (step latency + one block's transfer).
core::TimePs nvlink_ring_allreduce_ps(std::uint64_t bytes, std::uint32_t ranks,
                                      const IterationLayout& layout);

// Appends one iteration (1F1B pipeline schedule, tensor-parallel all-reduces per layer, point-to-point
// activations between stages, bucketed data-parallel gradient reduction overlapping the backward pass,
// expert-parallel all-to-alls). Returns the ops that finish the iteration, one per GPU.
std::vector<std::uint32_t> append_training_iteration(Program& program, const TrainingJob& job,
                                                     const GpuSpec& gpu,
                                                     const std::vector<std::uint32_t>& server_of,
                                                     const IterationLayout& layout, const TrainingTags& tags);

// FLOPs of one iteration on the whole job (forward + backward = 3 x forward), for model FLOPs utilization,
// and its tokens; a traced job's come from the trace (0 when it does not say).
double iteration_flops(const TrainingJob& job);
double tokens_per_iteration(const TrainingJob& job);

}  // namespace aifabric::workload
