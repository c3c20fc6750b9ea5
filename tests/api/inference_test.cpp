// Inference services: latency percentiles rise as the offered load nears the service's capacity, and the
// report says when the objective is missed.
#include "workload/inference.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/assess.hpp"
#include "io/scenario_loader.hpp"

namespace aifabric {
namespace {

std::string service(double rate, std::uint32_t prefill_replicas = 0, std::uint32_t gpus = 8,
                    std::uint32_t requests = 300) {
  return fmt::format(R"(
fabric: {{kind: roce}}
topology: {{kind: leaf_spine, leaves: 2, hosts_per_leaf: 8, link: {{rate_gbps: 400, latency_ns: 1000, mtu_bytes: 4096}}}}
cluster: {{gpu: h100}}
services:
  - name: chat
    gpus: {}
    tp: 4
    prefill_replicas: {}
    model: {{layers: 32, hidden: 4096, heads: 32, kv_heads: 8, ffn_hidden: 14336, seq_len: 8192, vocab: 128256}}
    arrival_rate_per_s: {}
    requests: {}
    prompt_tokens: 1024
    output_tokens: 32
    ttft_slo_ms: 200
    tpot_slo_ms: 5
)",
                     gpus, prefill_replicas, rate, requests);
}

TEST(Inference, LatencyRisesAsLoadNearsCapacity) {
  // Two colocated replicas of 4 GPUs. One request occupies its replica for its prefill and 31 decode
  // steps; the replicas' capacity is 2 / that service time. Offered loads of 20%, 60% and 95% of it.
  const auto probe = io::load_scenario_text(service(1), "test.yaml");
  const auto& s = probe.services[0];
  double decode = 0;
  for (std::uint32_t k = 1; k < s.output_tokens; ++k)
    decode += core::ps_to_sec(workload::decode_step_ps(s, probe.cluster.gpu, s.prompt_tokens + k));
  const double capacity =
      2.0 / decode;  // requests per second, ignoring prefill (a lower bound on the service time)
  double previous_p99 = 0, previous_p50 = 0;
  for (double load : {0.2, 0.6, 0.95}) {
    const auto a = api::assess(io::load_scenario_text(service(load * capacity), "test.yaml"));
    const auto& r = a.services[0].fabric;
    std::printf("load %.2f (%.1f req/s): TTFT p50 %.2f ms p99 %.2f ms, TPOT p99 %.3f ms, objective %s\n",
                load, load * capacity, r.ttft_ms[0], r.ttft_ms[2], r.tpot_ms[2],
                r.objective_met ? "met" : "missed");
    EXPECT_TRUE(r.complete);
    EXPECT_GT(r.ttft_ms[2], previous_p99);
    EXPECT_GE(r.ttft_ms[0], previous_p50);
    previous_p99 = r.ttft_ms[2];
    previous_p50 = r.ttft_ms[0];
    if (load == 0.2) {
      EXPECT_TRUE(r.objective_met);
    }
    if (load == 0.95) {
      EXPECT_FALSE(r.objective_met) << "near saturation the TTFT objective is missed";
    }
  }
}

TEST(Inference, DisaggregatedKvCacheCrossesTheFabric) {
  // 4 replicas on two leaves: replicas 0-1 prefill, 2-3 decode, so every KV cache (2 x 32 layers x 8 kv
  // heads x 128 x 1024 tokens x 2 bytes = 128 MiB) crosses from leaf0 to leaf1.
  const auto a = api::assess(io::load_scenario_text(service(5, 2, 16, 60), "test.yaml"));
  const auto& r = a.services[0];
  EXPECT_TRUE(r.fabric.complete);
  std::uint64_t crossing = 0;
  for (const auto& p : a.ports)
    if (p.from == "leaf0" && p.to.rfind("spine", 0) == 0) crossing += p.counters.tx_data_bytes;
  EXPECT_GE(crossing, 60ull * 128 * 1024 * 1024 * 99 / 100)
      << "every request's KV cache goes up leaf0's uplinks";
  // The transfer adds to the time between the first and the last token, not to the time to first token.
  EXPECT_GT(r.fabric.tpot_ms[0], 0.0);
}

}  // namespace
}  // namespace aifabric
