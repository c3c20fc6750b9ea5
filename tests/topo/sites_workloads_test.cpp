// Workloads over several sites (docs/models/sites.md): a training job whose data-parallel replicas sit in
// two sites, its gradients reduced hierarchically or in one ring, and what the interconnect's distance
// costs it; an inference service's users at other sites; the retransmission timeout derived from the
// longest round trip between sites.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/assess.hpp"
#include "api/run.hpp"
#include "io/scenario_loader.hpp"
#include "topo/sites.hpp"

namespace aifabric {
namespace {

// Two sites of `hosts` hosts (`per_server` GPUs per server) `km` apart over one 400 Gbit/s circuit, the
// border links 3.2 Tbit/s; every link 1 us, no step or launch latencies, at the flow level, so that the
// distance's share of a time can be written down.
std::string two_sites(double km, const std::string& workload, int hosts = 8, int per_server = 4) {
  return fmt::format(R"(fidelity: flow
fabric: {{kind: roce}}
topology:
  kind: sites
  link: {{rate_gbps: 400, latency_ns: 1000, mtu_bytes: 4096}}
  sites:
    - {{name: east, fabric: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: {0}}}, border: {{rate_gbps: 3200, buffer_bytes: 4000000000}}}}
    - {{name: west, fabric: {{kind: leaf_spine, leaves: 1, hosts_per_leaf: {0}}}, border: {{rate_gbps: 3200, buffer_bytes: 4000000000}}}}
  inter_site_links: [{{a: east, b: west, distance_km: {1}, circuits: 1}}]
cluster: {{gpu: h100, gpus_per_server: {2}, nvlink_step_us: 0, network_step_us: 0, collective_launch_us: 0,
          network_efficiency: 1}}
{3})",
                     hosts, km, per_server, workload);
}

// A job of `gpus` GPUs (TP `tp` inside each server; DP gpus / tp, half the replicas per site), one
// micro-batch and one gradient bucket, so the whole reduction is exposed after the backward pass.
std::string job(const std::string& zero, const std::string& reduction, int gpus = 16, int tp = 4) {
  return fmt::format(R"(jobs:
  - name: across
    gpus: {}
    sites: [east, west]
    cross_site_reduction: {}
    model: {{layers: 4, hidden: 2048, heads: 16, seq_len: 1024, vocab: 1000}}
    parallelism: {{tp: {}, dp: {}, micro_batches: 1, dp_buckets: 1, zero: {}}}
    gpu_efficiency: 0.5
)",
                     gpus, reduction, tp, gpus / tp, zero);
}

// The iteration of a job of four single-GPU replicas, two per site (sites of two one-GPU servers).
api::IterationReport iteration(double km, const std::string& zero, const std::string& reduction) {
  const auto a =
      api::assess(io::load_scenario_text(two_sites(km, job(zero, reduction, 4, 1), 2, 1), "sites.yaml"));
  EXPECT_TRUE(a.jobs.at(0).fabric.complete);
  return a.jobs.at(0).fabric;
}

double exposed(const api::IterationReport& r, const char* tag) {
  const auto it = r.exposed_us.find(tag);
  return it == r.exposed_us.end() ? 0.0 : it->second;
}

TEST(SitesWorkloads, JobAcrossSitesPlacesWholePipelinesPerSite) {
  const auto sc = io::load_scenario_text(two_sites(80, job("0", "hierarchical")), "sites.yaml");
  const auto& j = sc.jobs.at(0);
  EXPECT_EQ(j.sites, 2u);
  // Rank t + 4 r (TP index t, replica r): replicas 0 and 1 on east's GPUs 0-7, replicas 2 and 3 on west's
  // GPUs 8-15, each replica's TP group one server.
  const std::vector<std::uint32_t> want = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  EXPECT_EQ(j.gpu_list, want);
  auto pp2 = job("0", "hierarchical");
  pp2.replace(pp2.find("dp: 4"), 5, "dp: 2, pp: 2");
  const auto staged = io::load_scenario_text(two_sites(80, pp2), "sites.yaml").jobs.at(0);
  // PP 2, DP 2: rank t + 4 (r + 2 s); replica 0's stages on east (GPUs 0-3, 4-7), replica 1's on west.
  const std::vector<std::uint32_t> staged_want = {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15};
  EXPECT_EQ(staged.gpu_list, staged_want);
}

TEST(SitesWorkloads, TheInterconnectsDistanceCostsTheHierarchicalReductionTwoOneWayDelays) {
  // Hierarchical (ZeRO-0): the four replicas reduce-scatter inside their site, all-reduce their shard
  // with the other site's (for each of the two shards a ring of 2: two steps, each a send over the
  // circuit that the next waits for; the two rings' sends are alike and share the circuit evenly at any
  // distance), then all-gather inside the site. Moving the sites from 0 to 80 km apart adds
  // 80 km x 5 us/km = 400 us to each of those two sends and to nothing else: +800 us of iteration, all of
  // it exposed as the interconnect's (dci), the in-site phases (dp) unchanged. ZeRO-1 reduce-scatters (one
  // step across) and all-gathers the updated weights (one step across): also +800 us. To the picosecond
  // rounding of the flow level: within 1 us.
  for (const char* zero : {"0", "1"}) {
    const auto near = iteration(0, zero, "hierarchical");
    const auto far = iteration(80, zero, "hierarchical");
    const double added_us = core::ps_to_us(far.iteration_ps - near.iteration_ps);
    EXPECT_NEAR(added_us, 800.0, 1.0) << "zero " << zero;
    EXPECT_NEAR(exposed(far, "dci") - exposed(near, "dci"), 800.0, 1.0) << "zero " << zero;
    EXPECT_NEAR(exposed(far, "dp"), exposed(near, "dp"), 1.0) << "zero " << zero;
    EXPECT_GT(exposed(far, "dp"), 0.0) << "zero " << zero;
  }
}

TEST(SitesWorkloads, OneRingThroughEverySiteCrossesTheInterconnectMoreOftenThanTheHierarchy) {
  // One ring over the four replicas east0 -> east1 -> west0 -> west1 -> east0 crosses the interconnect on
  // two of its four edges. A ring all-reduce's last send closes a chain of 2 (n - 1) = 6 consecutive
  // sends (each forwards the block the one before it delivered), so the slowest chain takes one lap and
  // two more edges: at most 2 + 1 = 3 crossings, +3 x 400 us = 1,200 us from the distance, against the
  // hierarchy's 800 us; none of it tagged dci (the ring is the data-parallel reduction itself). Every
  // edge is one 400 Gbit/s path of its own (the circuit carries one send each way), so the distance
  // changes nothing else.
  const auto near = iteration(0, "0", "ring");
  const auto far = iteration(80, "0", "ring");
  EXPECT_NEAR(core::ps_to_us(far.iteration_ps - near.iteration_ps), 1200.0, 1.0);
  EXPECT_EQ(exposed(far, "dci"), 0.0);
}

// A service of one 4-GPU replica in east, its users half in east and half in west, both 2 ms of access
// round trip away from their site; requests 100 s apart, so none waits for another.
std::string service(double km) {
  return two_sites(km, R"(services:
  - name: chat
    site: east
    gpus: 4
    tp: 4
    requests: 40
    arrival_rate_per_s: 0.01
    prompt_tokens: 256
    output_tokens: 8
    model: {layers: 4, hidden: 2048, heads: 16, seq_len: 1024, vocab: 1000}
    users: [{site: east, access_rtt_ms: 2}, {site: west, share: 1, access_rtt_ms: 2}]
)");
}

TEST(SitesWorkloads, UsersAtAnotherSitePayTheRoundTripBetweenTheSites) {
  // A request from west travels 80 km x 5 us/km + 1 us (the circuit) = 401 us to the replica in east, and
  // its tokens the same back: its time to first token is east's plus 2 x 401 us = 0.802 ms; both pay
  // their 2 ms access round trip. Per-token time is the same for both. With no queueing every request of
  // a site takes the same time, so p50 = p99.
  const auto a = api::assess(io::load_scenario_text(service(80), "sites.yaml"));
  const auto& svc = a.services.at(0);
  ASSERT_EQ(svc.users.size(), 2u);
  const auto& east = svc.users[0].second;
  const auto& west = svc.users[1].second;
  EXPECT_EQ(svc.users[1].first, "west");
  EXPECT_EQ(east.requests + west.requests, 40u);
  EXPECT_GT(east.requests, 0u);
  EXPECT_GT(west.requests, 0u);
  EXPECT_NEAR(west.ttft_ms[0] - east.ttft_ms[0], 0.802, 1e-6);
  EXPECT_NEAR(west.ttft_ms[2] - east.ttft_ms[2], 0.802, 1e-6);
  EXPECT_NEAR(west.tpot_ms[2], east.tpot_ms[2], 1e-9);
  // East's users: 2 ms of access on top of the service's own time to first token (the same service
  // without users).
  auto plain = service(80);
  plain.erase(plain.find("    users:"));
  const auto b = api::assess(io::load_scenario_text(plain, "sites.yaml"));
  EXPECT_NEAR(east.ttft_ms[2] - b.services.at(0).fabric.ttft_ms[2], 2.0, 1e-6);
  EXPECT_TRUE(b.services.at(0).users.empty());
}

TEST(SitesWorkloads, TheReplicaTakesRequestsInTheOrderTheyArriveNotTheOrderTheyWereSent) {
  // Users at west sit 50 ms away (100 ms access round trip); east's are next to the replica. Requests come
  // 10 ms apart on average and take well under a millisecond (a 256-token prefill of this small model is
  // about 70 us), so a request from east finds the replica idle unless it waits for a west request sent
  // earlier but still 50 ms away. Taken in arrival order, east's median time to first token stays under
  // 1 ms; taken in sending order it would be tens of milliseconds.
  auto text = service(80);
  auto set = [&](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  set("arrival_rate_per_s: 0.01", "arrival_rate_per_s: 100");
  set("{site: west, share: 1, access_rtt_ms: 2}", "{site: west, share: 1, access_rtt_ms: 100}");
  set("{site: east, access_rtt_ms: 2}", "{site: east, access_rtt_ms: 0}");
  const auto a = api::assess(io::load_scenario_text(text, "sites.yaml"));
  const auto& east = a.services.at(0).users.at(0).second;
  EXPECT_GT(east.requests, 5u);
  EXPECT_LT(east.ttft_ms[0], 1.0);
}

TEST(SitesWorkloads, RetrievalFromTheOtherSiteAddsItsTransferToTheTimeToFirstToken) {
  // Each request first fetches 4 MB of context from west's GPU 0 (host 8). With requests 100 s apart the
  // transfer has the path to itself: host, leaf, border router, circuit, border router, leaf, host: four
  // 1 us links and the circuit's 401 us, plus 4 MB at the payload rate B' = 50 GB/s x 4096/4178 (81.6 us)
  // and a packet's store-and-forward per hop (under 1 us): TTFT grows by 405 us + 81.6 us = 486.6 us, to
  // 1%.
  auto rag = service(80);
  rag.erase(rag.find("    users:"));
  const auto plain = api::assess(io::load_scenario_text(rag, "sites.yaml"));
  rag += "    retrieval_site: west\n    retrieval_gpu: 0\n    retrieval_bytes: 4000000\n";
  const auto a = api::assess(io::load_scenario_text(rag, "sites.yaml"));
  const double added_us = 1e3 * (a.services.at(0).fabric.ttft_ms[2] - plain.services.at(0).fabric.ttft_ms[2]);
  const double want_us = 405 + 4e6 * 4178.0 / 4096 / 50e9 * 1e6;
  EXPECT_NEAR(added_us / want_us, 1.0, 0.01) << added_us << " us";
}

TEST(SitesWorkloads, ACheckpointCopiedToAnotherSiteCrossesTheCircuit) {
  // East's hosts 4-7 each copy 100 MB to one of west's hosts 2-5: four flows through the one 400 Gbit/s
  // circuit, sharing it evenly at the flow level, so all four end together after 400 MB at the payload
  // rate B' = 50 GB/s x 4096/4178 (8.16 ms) plus the path's delay (80 km: 400 us, and 5 links of 1 us),
  // 8.565 ms, to 0.5%.
  const auto r = api::run(io::load_scenario_text(two_sites(80, R"(traffic:
  - {kind: checkpoint, site: east, first_host: 4, host_count: 4, storage_site: west, storage_first_host: 2,
     storage_hosts: 4, size_bytes: 100000000}
)"),
                                                 "sites.yaml"));
  ASSERT_EQ(r.flows_completed, 4u);
  for (const auto& f : r.flows) {
    EXPECT_GE(f.src, 4u);
    EXPECT_LT(f.src, 8u);
    EXPECT_GE(f.dst, 10u);
    EXPECT_LT(f.dst, 14u);
  }
  const double want_us = 400e6 * 4178.0 / 4096 / 50e9 * 1e6 + 405;
  EXPECT_NEAR(r.fct_us.max / want_us, 1.0, 0.005) << r.fct_us.max;
}

TEST(SitesWorkloads, RetransmissionTimeoutOutlastsTheLongestRoundTripBetweenSites) {
  // Left out, the timeout is its 1 ms default plus twice the longest round trip: sites 200 km apart are
  // 200 x 5 us + 1 us = 1,001 us one way, 2,002 us there and back, so 1 ms + 4,004 us = 5,004 us. On one
  // site's fabric it stays 1 ms.
  const auto sc = io::load_scenario_text(two_sites(200, "collective: {op: all_reduce}\n"), "sites.yaml");
  EXPECT_EQ(sc.fabric.transport.rto_ps, core::us_to_ps(5004));
  const auto one = io::load_scenario_text(
      "topology: {kind: leaf_spine, leaves: 1, hosts_per_leaf: 8}\ncluster: {gpu: h100}\n"
      "collective: {op: all_reduce}\n",
      "one.yaml");
  EXPECT_EQ(one.fabric.transport.rto_ps, core::us_to_ps(1000));
  EXPECT_NEAR(topo::site_delay_ns(sc.topology, 0, 1), 1'001'000.0, 1e-6);
  EXPECT_EQ(topo::site_delay_ns(sc.topology, 1, 1), 0.0);
}

}  // namespace
}  // namespace aifabric
