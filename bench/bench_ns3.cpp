// aifabric and ns-3 side by side on the same k=8 fat-tree (128 hosts, 100 Gbit/s links of 1 us, 9000-byte
// MTU) carrying a permutation of 10 MB flows: both simulators run in this process, one after the other,
// and the wall-time ratio is printed. ns-3 (Debian's libns3-dev) has no RoCE model, so its hosts run TCP
// bulk transfers over the same links, routed by ns-3's global routing; aifabric runs RoCEv2 with PFC,
// DCQCN and ECMP. Bytes, links and MTU are the same.
#include <fmt/format.h>

#include <chrono>
#include <numeric>
#include <vector>

#include "api/run.hpp"
#include "bench_ns3_model.hpp"
#include "core/rng.hpp"
#include "io/scenario_loader.hpp"

namespace {

constexpr std::uint32_t kK = kNs3FatTreeK;
constexpr std::uint64_t kFlowBytes = kNs3FlowBytes;

}  // namespace

int main() {
  using namespace aifabric;
  const std::uint32_t hosts = kK * kK * kK / 4;
  const auto sc = io::load_scenario_text(
      "fabric: {kind: roce, load_balancing: ecmp}\n"
      "topology: {kind: fat_tree, k: 8, link: {rate_gbps: 100, latency_ns: 1000, mtu_bytes: 8938}}\n"
      "traffic: [{kind: permutation, size_bytes: 10MB}]\n",
      "fat_tree_k8");
  // The same permutation for ns-3: aifabric's flows, source i to destination perm[i].
  std::vector<std::uint32_t> perm(hosts);
  for (const auto& f : sc.flows) perm[f.src] = f.dst;
  const auto ours = api::run(sc);
  std::uint64_t received = 0, ns3_events = 0;
  const double ns3_wall = run_ns3_fat_tree(perm, received, ns3_events);
  fmt::print("{:<10} {:>14} {:>10} {:>14} {:>12}\n", "simulator", "events", "wall s", "delivered B",
             "simulated");
  fmt::print("{:<10} {:>14} {:>10.3f} {:>14} {:>9.3f} ms\n", "aifabric", ours.stats.events,
             ours.cost.wall_seconds, ours.ledger.delivered, core::ps_to_us(ours.stats.end_ps) / 1e3);
  fmt::print("{:<10} {:>14} {:>10.3f} {:>14} {:>12}\n", "ns-3", ns3_events, ns3_wall, received, "100 ms cap");
  fmt::print("ns-3 wall / aifabric wall = {:.0f}x (target: at least 100x)\n",
             ns3_wall / ours.cost.wall_seconds);
  return received == hosts * kFlowBytes ? 0 : 1;
}
