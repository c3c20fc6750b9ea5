// The ns-3 half of bench_ns3 (see bench_ns3.cpp). ns-3.37's headers need C++17, so this file is compiled
// on its own and talks to the rest through bench_ns3_model.hpp.
#include "bench_ns3_model.hpp"

#include <chrono>

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

double run_ns3_fat_tree(const std::vector<std::uint32_t>& perm, std::uint64_t& received,
                        std::uint64_t& events_out) {
  constexpr std::uint32_t kK = kNs3FatTreeK;
  constexpr std::uint64_t kFlowBytes = kNs3FlowBytes;
  using namespace ns3;
  const std::uint32_t half = kK / 2, hosts = kK * half * half;
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(9000 - 52));
  Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(4 << 20));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(4 << 20));
  NodeContainer host, edge, agg, core;
  host.Create(hosts);
  edge.Create(kK * half);
  agg.Create(kK * half);
  core.Create(half * half);
  InternetStackHelper stack;
  stack.InstallAll();
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("100Gbps"));
  p2p.SetDeviceAttribute("Mtu", UintegerValue(9000));
  p2p.SetChannelAttribute("Delay", StringValue("1us"));
  Ipv4AddressHelper address;
  std::vector<Ipv4Address> host_address(hosts);
  std::uint32_t subnet = 0;
  auto link = [&](Ptr<Node> a, Ptr<Node> b, int host_index) {
    NetDeviceContainer d = p2p.Install(a, b);
    address.SetBase(Ipv4Address((10u << 24) | (subnet++ << 2)), "255.255.255.252");
    Ipv4InterfaceContainer ifs = address.Assign(d);
    if (host_index >= 0) host_address[host_index] = ifs.GetAddress(0);
  };
  for (std::uint32_t pod = 0; pod < kK; ++pod)
    for (std::uint32_t e = 0; e < half; ++e) {
      for (std::uint32_t h = 0; h < half; ++h) {
        const std::uint32_t id = (pod * half + e) * half + h;
        link(host.Get(id), edge.Get(pod * half + e), static_cast<int>(id));
      }
      for (std::uint32_t a = 0; a < half; ++a) link(edge.Get(pod * half + e), agg.Get(pod * half + a), -1);
    }
  for (std::uint32_t pod = 0; pod < kK; ++pod)
    for (std::uint32_t a = 0; a < half; ++a)
      for (std::uint32_t c = 0; c < half; ++c) link(agg.Get(pod * half + a), core.Get(a * half + c), -1);
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  ApplicationContainer sinks, sources;
  for (std::uint32_t i = 0; i < hosts; ++i) {
    PacketSinkHelper sink("ns3::TcpSocketFactory",
                          InetSocketAddress(Ipv4Address::GetAny(), 5000 + static_cast<uint16_t>(i)));
    sinks.Add(sink.Install(host.Get(perm[i])));
    BulkSendHelper bulk("ns3::TcpSocketFactory",
                        InetSocketAddress(host_address[perm[i]], 5000 + static_cast<uint16_t>(i)));
    bulk.SetAttribute("MaxBytes", UintegerValue(kFlowBytes));
    bulk.SetAttribute("SendSize", UintegerValue(9000 - 52));
    sources.Add(bulk.Install(host.Get(i)));
  }
  sinks.Start(Seconds(0));
  sources.Start(Seconds(0));
  Simulator::Stop(Seconds(0.1));  // 100 ms: the permutation needs about 1-2 ms at line rate
  const auto t0 = std::chrono::steady_clock::now();
  Simulator::Run();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  received = 0;
  for (std::uint32_t i = 0; i < sinks.GetN(); ++i)
    received += DynamicCast<PacketSink>(sinks.Get(i))->GetTotalRx();
  events_out = Simulator::GetEventCount();
  Simulator::Destroy();
  return wall;
}
