// Collective algorithms on a congestion-free network against their alpha-beta costs (Thakur, Rabenseifner
// and Gropp 2005; docs/models/collectives.md): alpha is the per-step latency, beta = 1/B the time per byte.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "flow/ideal_network.hpp"
#include "workload/collectives.hpp"
#include "workload/executor.hpp"

namespace aifabric::workload {
namespace {

// What a check found, or "" when it found nothing.
std::string expected_of(const std::optional<core::InputError>& problem) {
  return problem ? problem->expected() : "";
}

constexpr double kBytesPerPs = 50e9 / 1e12;     // 50 GB/s NIC payload rate (400 Gbit/s)
constexpr double kNvBytesPerPs = 450e9 / 1e12;  // 450 GB/s NVLink per direction
constexpr core::TimePs kAlpha = 5'000'000;      // 5 us per network step
constexpr core::TimePs kAlphaNv = 1'000'000;    // 1 us per NVLink step

// Runs one collective with `gpus_per_server` GPUs per server on an ideal network; returns seconds.
double run(Collective op, Algorithm algo, std::uint32_t n, std::uint64_t bytes,
           std::uint32_t gpus_per_server = 1, std::uint64_t chunk = 0, std::uint32_t channels = 1) {
  ClusterMap cluster;
  for (std::uint32_t g = 0; g < n; ++g) {
    cluster.server_of.push_back(g / gpus_per_server);
    cluster.host_of.push_back(g);
  }
  CollectiveSpec spec;
  spec.op = op;
  spec.algorithm = algo;
  spec.bytes = bytes;
  spec.chunk_bytes = chunk;
  spec.channels = channels;
  for (std::uint32_t g = 0; g < n; ++g) spec.ranks.push_back(g);
  EXPECT_EQ(expected_of(check(spec, cluster.server_of, n)), "");
  Program p;
  append_collective(p, spec, cluster.server_of, {}, p.tag("collective"));
  p.finalize();
  flow::IdealNetwork net(std::vector<double>(n, kBytesPerPs), 0);
  Executor ex(p, cluster, ExecutorParams{kNvBytesPerPs, kAlphaNv, kAlpha}, net);
  return core::ps_to_sec(ex.run().makespan_ps);
}

const double a = core::ps_to_sec(kAlpha), B = 50e9, a_nv = core::ps_to_sec(kAlphaNv), B_nv = 450e9;

struct Point {
  std::uint32_t n;
  double bytes;
};
std::vector<Point> sweep() {
  std::vector<Point> pts;
  for (std::uint32_t n : {2u, 3u, 8u, 64u})
    for (double s : {1e3, 1e6, 1e9, 8e9}) pts.push_back({n, s});
  pts.push_back({1024, 1024e3});
  pts.push_back({1024, 8e9});
  return pts;
}

void expect_close(double got, double want, const std::string& what) {
  EXPECT_NEAR(got / want, 1.0, 0.02) << what << ": simulated " << got << " s, alpha-beta " << want << " s";
}

TEST(AlphaBeta, RingAllReduce) {
  // 2(n-1) steps, each moving one n-th of the buffer: T = 2(n-1)(alpha + S/(nB)).
  for (const auto& pt : sweep()) {
    const double t =
        run(Collective::kAllReduce, Algorithm::kRing, pt.n, static_cast<std::uint64_t>(pt.bytes));
    expect_close(t, 2 * (pt.n - 1) * (a + pt.bytes / pt.n / B), fmt::format("n={} S={}", pt.n, pt.bytes));
  }
}

TEST(AlphaBeta, RingAllGatherAndReduceScatter) {
  // n-1 steps of one n-th of the (output / input) buffer: T = (n-1)(alpha + S/(nB)).
  for (const auto& pt : sweep())
    for (auto op : {Collective::kAllGather, Collective::kReduceScatter}) {
      const double t = run(op, Algorithm::kRing, pt.n, static_cast<std::uint64_t>(pt.bytes));
      expect_close(t, (pt.n - 1) * (a + pt.bytes / pt.n / B),
                   fmt::format("{} n={} S={}", name(op), pt.n, pt.bytes));
    }
}

TEST(AlphaBeta, HalvingDoublingAllReduce) {
  // log2(n) halving steps then log2(n) doubling steps; step l moves S/2^(l+1):
  // T = 2 log2(n) alpha + 2 (n-1)/n S/B.
  for (std::uint32_t n : {2u, 8u, 64u, 1024u})
    for (double s : {1e3, 1e6, 1e9, 8e9}) {
      const double t =
          run(Collective::kAllReduce, Algorithm::kHalvingDoubling, n, static_cast<std::uint64_t>(s));
      expect_close(t, 2 * std::log2(n) * a + 2.0 * (n - 1) / n * s / B, fmt::format("n={} S={}", n, s));
    }
}

TEST(AlphaBeta, PipelinedBroadcastAndReduce) {
  // A chain of n ranks and k chunks of c = S/k; each hop's step latency is paid by the first chunk only
  // (later chunks follow it in the pipeline). With t(j, i) the time chunk j has crossed hop i:
  // t(0, i) = (i + 1)(alpha + c/B), t(j, 0) = alpha + (j + 1)c/B, and for j, i > 0
  // t(j, i) = max(t(j, i - 1), t(j - 1, i)) + c/B = (i + 1)alpha + (i + j + 1)c/B by induction, so
  // T = t(k - 1, n - 2) = (n - 1)alpha + (n - 1 + k - 1)c/B.
  for (std::uint32_t n : {2u, 8u, 64u, 1024u})
    for (double s : {1e3, 1e6, 1e9, 8e9}) {
      const double chunk = std::max(1e3, s / 64);
      const double k = std::ceil(s / chunk);
      for (auto op : {Collective::kBroadcast, Collective::kReduce}) {
        const double t = run(op, Algorithm::kPipeline, n, static_cast<std::uint64_t>(s), 1,
                             static_cast<std::uint64_t>(chunk));
        expect_close(t, (n - 1) * a + (n - 1 + k - 1) * s / k / B,
                     fmt::format("{} n={} S={}", name(op), n, s));
      }
    }
}

TEST(AlphaBeta, AllToAll) {
  // Pairwise: n-1 exchange steps of S/n each: T = (n-1)(alpha + S/(nB)). Direct: all n-1 messages at once
  // share the NIC: T = alpha + (n-1)/n S/B.
  for (std::uint32_t n : {2u, 8u, 64u})
    for (double s : {1e3, 1e6, 1e9, 8e9}) {
      const auto bytes = static_cast<std::uint64_t>(s);
      expect_close(run(Collective::kAllToAll, Algorithm::kPairwise, n, bytes), (n - 1) * (a + s / n / B),
                   fmt::format("pairwise n={} S={}", n, s));
      expect_close(run(Collective::kAllToAll, Algorithm::kDirect, n, bytes), a + (n - 1.0) / n * s / B,
                   fmt::format("direct n={} S={}", n, s));
    }
}

TEST(AlphaBeta, SendRecv) {
  for (double s : {1e3, 1e6, 8e9})
    expect_close(run(Collective::kSendRecv, Algorithm::kDirect, 2, static_cast<std::uint64_t>(s)), a + s / B,
                 "sendrecv");
}

TEST(AlphaBeta, HierarchicalAllReduce) {
  // G GPUs per server on NVLink, N servers: reduce-scatter and all-gather inside each server (G-1 NVLink
  // steps of S/G each), and an all-reduce of S/G per rail across servers (2(N-1) network steps of S/(GN)):
  // T = 2(G-1)(alpha_nv + S/(G B_nv)) + 2(N-1)(alpha + S/(G N B)).
  for (std::uint32_t servers : {2u, 4u, 32u, 128u})
    for (double s : {1e3, 1e6, 1e9, 8e9}) {
      const std::uint32_t g = 8;
      const double t = run(Collective::kAllReduce, Algorithm::kHierarchical, g * servers,
                           static_cast<std::uint64_t>(s), g);
      const double want =
          2 * (g - 1) * (a_nv + s / g / B_nv) + 2 * (servers - 1) * (a + s / (g * servers) / B);
      expect_close(t, want, fmt::format("servers={} S={}", servers, s));
    }
}

TEST(RingProgram, StepsRunWithoutAnOpPerRankAndStep) {
  // A 2,048-rank ring all-reduce, 8 ranks per server: one entry and one exit op per rank, and the executor
  // runs all 2(n - 1) n sends, one in g = 8 of them between servers. A send waits only for the block it
  // forwards, so the time is the chain of 2(n - 1) hops, one in g over the network and the others over
  // NVLink, while the NIC's bytes (2 S / B = 2.6 ms) fit inside it:
  // T = 2(n - 1)/g ((alpha + S/(n B)) + (g - 1)(alpha_nv + S/(n B_nv))).
  const std::uint32_t n = 2048, g = 8;
  const std::uint64_t bytes = 64'000'000;
  ClusterMap cluster;
  CollectiveSpec spec;
  spec.bytes = bytes;
  for (std::uint32_t r = 0; r < n; ++r) {
    cluster.server_of.push_back(r / g);
    cluster.host_of.push_back(r);
    spec.ranks.push_back(r);
  }
  Program p;
  append_collective(p, spec, cluster.server_of, {}, p.tag("collective"));
  p.finalize();
  EXPECT_LE(p.size(), 3u * n);
  ASSERT_EQ(p.rings().size(), 1u);
  EXPECT_EQ(p.ring_sends(), 2ull * (n - 1) * n);
  flow::IdealNetwork net(std::vector<double>(n, kBytesPerPs), 0);
  std::uint64_t calls = 0;
  net.set_progress([&](core::TimePs, std::uint64_t events) {
    EXPECT_EQ(events, ++calls * flow::FluidNetwork::kProgressEvents);
  });
  Executor ex(p, cluster, ExecutorParams{kNvBytesPerPs, kAlphaNv, kAlpha}, net);
  const auto r = ex.run();
  ASSERT_TRUE(r.complete);
  EXPECT_GT(calls, 0u);
  EXPECT_EQ(calls, net.events() / flow::FluidNetwork::kProgressEvents);
  EXPECT_EQ(r.network_transfers, 2ull * (n - 1) * (n / g));
  // Every send moves over NVLink: a hop inside a server directly, a hop between servers as its PXN leg to
  // the GPU on the receiver's rail (which runs beside the network leg and, faster, does not delay it).
  EXPECT_EQ(r.nvlink_transfers, 2ull * (n - 1) * n);
  const double block = static_cast<double>(bytes) / n;
  expect_close(core::ps_to_sec(r.makespan_ps),
               2.0 * (n - 1) / g * ((a + block / B) + (g - 1) * (a_nv + block / B_nv)), "2,048-rank ring");
}

TEST(RingProgram, TwoRanksAndEmptyBlocks) {
  // Two ranks (each the other's sender and receiver) and fewer bytes than ranks (empty blocks take only
  // the step latency) both finish: T = 2(n - 1) alpha + the one-byte blocks' time.
  expect_close(run(Collective::kAllReduce, Algorithm::kRing, 2, 1'000'000), 2 * (a + 0.5e6 / B), "2 ranks");
  expect_close(run(Collective::kAllReduce, Algorithm::kRing, 64, 8), 2 * 63 * (a + 1 / B), "8 bytes");
}

TEST(AlphaBeta, ChannelsSplitTheDataWithoutChangingTheBandwidthTerm) {
  // Four rings share each NIC four ways and carry a quarter of the data each: the bandwidth term is
  // unchanged.
  const double t = run(Collective::kAllReduce, Algorithm::kRing, 16, 1'000'000'000, 1, 0, 4);
  expect_close(t, 2 * 15 * (a + 1e9 / 16 / B), "ring, 4 channels");
}

TEST(BusBandwidth, FactorsFollowNcclTests) {
  EXPECT_DOUBLE_EQ(bus_factor(Collective::kAllReduce, 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::kAllGather, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::kReduceScatter, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::kAllToAll, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::kBroadcast, 8), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::kSendRecv, 8), 1.0);
}

TEST(CollectiveSpecCheck, RejectsBadCommunicators) {
  std::vector<std::uint32_t> server_of(16, 0);
  for (std::uint32_t g = 0; g < 16; ++g) server_of[g] = g / 8;
  CollectiveSpec s;
  s.ranks = {0, 1, 1};
  EXPECT_EQ(expected_of(check(s, server_of, 16)), "GPU 1 appears twice in the communicator");
  s.ranks = {0, 16};
  EXPECT_EQ(expected_of(check(s, server_of, 16)), "rank 16 is not a GPU of the cluster (it has 16)");
  s.ranks = {0};
  EXPECT_EQ(expected_of(check(s, server_of, 16)), "a communicator needs at least 2 ranks, got 1");
  s.ranks = {0, 1, 2};
  s.algorithm = Algorithm::kHalvingDoubling;
  EXPECT_EQ(expected_of(check(s, server_of, 16)),
            "halving_doubling needs a power-of-two number of ranks, got 3");
  s.ranks = {0, 1, 2, 8};
  s.algorithm = Algorithm::kHierarchical;
  EXPECT_NE(expected_of(check(s, server_of, 16)).find("same number of ranks on every server"),
            std::string::npos);
  s.op = Collective::kAllGather;
  s.algorithm = Algorithm::kTree;
  EXPECT_EQ(expected_of(check(s, server_of, 16)),
            "all_gather has no tree algorithm; expected one of: ring, hierarchical");
}

}  // namespace
}  // namespace aifabric::workload

namespace aifabric::workload {
namespace {

TEST(AlphaBeta, DoubleBinaryTreeAllReduce) {
  // Latency: a small message climbs the depth d = floor(log2 n) of a heap-ordered tree and comes back:
  // T = 2 d alpha (the bytes add nanoseconds). Bandwidth: with many chunks every rank sends and receives
  // each chunk about twice per tree, over two trees of S/2 each: T -> 2 S / B, the ring's 2 (n-1)/n S/B for
  // large n, which is why NCCL's tree reaches the ring's bus bandwidth.
  for (std::uint32_t n : {2u, 8u, 64u, 1024u}) {
    const double d = std::floor(std::log2(n));
    expect_close(run(Collective::kAllReduce, Algorithm::kTree, n, 1000), 2 * d * a,
                 fmt::format("latency n={}", n));
  }
  for (std::uint32_t n : {8u, 64u}) {
    const double s = 8e9;
    const double t =
        run(Collective::kAllReduce, Algorithm::kTree, n, static_cast<std::uint64_t>(s), 1, 4'000'000);
    std::printf("tree n=%u: %.4f of 2S/B\n", n, t / (2 * s / B));
    expect_close(t, 2 * s / B, fmt::format("bandwidth n={}", n));
  }
}

}  // namespace
}  // namespace aifabric::workload
