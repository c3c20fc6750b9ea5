#include <fmt/format.h>

#include <cmath>

#include "io/loaders.hpp"
#include "io/scenario_schemas.hpp"
#include "topo/sites.hpp"

namespace aifabric::io {

using core::InputError;

net::FabricConfig load_fabric(const Node& node, const ParseContext& ctx) {
  std::set<std::string> set_top, set_pfc, set_ecn;
  const std::set<std::string> sections = {"ecn", "pfc", "dcqcn", "transport", "infiniband"};
  const FabricTop top = parse_with_defaults(fabric_schema(), node, ctx, "fabric", &set_top, sections);
  net::FabricConfig f;
  f.kind = top.kind;
  f.scheduler = top.scheduler;
  f.dwrr_quantum_bytes[net::kControl] = top.quantum_control;
  f.dwrr_quantum_bytes[net::kData] = top.quantum_data;
  const Node none;
  auto section = [&](const char* key) { return node ? node[key] : none; };
  f.ecn = parse_with_defaults(ecn_schema(), section("ecn"), ctx, "fabric.ecn", &set_ecn);
  f.pfc = parse_with_defaults(pfc_schema(), section("pfc"), ctx, "fabric.pfc", &set_pfc);
  f.dcqcn = parse_with_defaults(dcqcn_schema(), section("dcqcn"), ctx, "fabric.dcqcn");
  f.transport = parse_with_defaults(transport_schema(), section("transport"), ctx, "fabric.transport");
  f.ib_control_vl_share =
      parse_with_defaults(ib_schema(), section("infiniband"), ctx, "fabric.infiniband").control_vl_share;

  const bool roce = f.kind == net::FabricKind::kRoce;
  const bool ib = f.kind == net::FabricKind::kInfiniband;
  if (!roce && set_pfc.count("enabled") && f.pfc.enabled)
    throw InputError(ctx.at(section("pfc")["enabled"], "fabric.pfc.enabled"),
                     ib ? "InfiniBand is lossless through credits; PFC applies to kind: roce only"
                        : "plain Ethernet has no PFC; use kind: roce for a lossless Ethernet fabric");
  if (!roce) f.pfc.enabled = false;
  if (f.pfc.watchdog_detection_ps > 0 && !f.pfc.enabled)
    throw InputError(ctx.at(section("pfc")["watchdog_detection_us"], "fabric.pfc.watchdog_detection_us"),
                     "a PFC watchdog needs PFC (kind: roce with pfc.enabled true)");
  if (!set_ecn.count("enabled")) f.ecn.enabled = roce;
  if (f.ecn.enabled && f.ecn.kmax_bytes <= f.ecn.kmin_bytes)
    throw InputError(
        ctx.at(section("ecn"), "fabric.ecn.kmax_bytes"),
        fmt::format("must be greater than kmin_bytes ({}), got {}", f.ecn.kmin_bytes, f.ecn.kmax_bytes));
  if (f.pfc.enabled && f.pfc.xon_bytes > f.pfc.xoff_bytes)
    throw InputError(
        ctx.at(section("pfc"), "fabric.pfc.xon_bytes"),
        fmt::format("must not exceed xoff_bytes ({}), got {}", f.pfc.xoff_bytes, f.pfc.xon_bytes));
  // `auto`: adaptive routing on InfiniBand, ECMP otherwise; DCQCN on RoCE, none otherwise.
  f.load_balancing =
      top.load_balancing.value_or(ib ? routing::LoadBalancing::kAdaptive : routing::LoadBalancing::kEcmp);
  f.cc = top.cc.value_or(roce ? net::CongestionControl::kDcqcn : net::CongestionControl::kNone);
  if (f.cc == net::CongestionControl::kDcqcn && !f.ecn.enabled)
    throw InputError(
        ctx.at(node, "fabric.congestion_control"),
        "dcqcn reacts to ECN marks; enable fabric.ecn.enabled or choose congestion_control: none");
  f.routing_convergence_ps = top.convergence_ps;
  f.framing = net::framing_of(f.kind);
  return f;
}

void fit_fabric_to_topology(api::Scenario& sc, const Node& fabric, const ParseContext& ctx) {
  if (sc.fabric.kind == net::FabricKind::kInfiniband)
    for (const auto& l : sc.topology.links)
      if (l.params.ber > 0)
        throw InputError(
            ctx.at(fabric && fabric["kind"] ? fabric["kind"] : fabric, "fabric.kind"),
            fmt::format("a lossy link ({}-{} has ber {:g}) is modelled on Ethernet fabrics (roce, "
                        "ethernet) only: InfiniBand's credit accounting of corrupted packets is "
                        "not modelled",
                        sc.topology.nodes[l.a].name, sc.topology.nodes[l.b].name, l.params.ber));
  // Over long inter-site links a fixed retransmission timeout must outlast the round trip, or go-back-N
  // resends every window before its first acknowledgement can arrive (docs/models/sites.md). Left out, it
  // is derived: the default plus twice the longest round trip between sites.
  double longest_rtt_ns = 0;
  std::string pair;
  for (std::uint32_t a = 0; a < sc.topology.sites.size(); ++a)
    for (std::uint32_t b = a + 1; b < sc.topology.sites.size(); ++b) {
      const double rtt = 2 * topo::site_delay_ns(sc.topology, a, b);
      if (rtt > longest_rtt_ns) {
        longest_rtt_ns = rtt;
        pair = fmt::format("'{}' and '{}'", sc.topology.sites[a].name, sc.topology.sites[b].name);
      }
    }
  const Node rto = fabric && fabric["transport"] ? fabric["transport"]["rto_us"] : Node();
  const auto rtt_ps = static_cast<core::TimePs>(std::llround(longest_rtt_ns * 1e3));
  if (rto && sc.fabric.transport.rto_ps > 0 && sc.fabric.transport.rto_ps <= rtt_ps)
    throw InputError(
        ctx.at(rto, "fabric.transport.rto_us"),
        fmt::format("{:.0f} us does not outlast the {:.0f} us round trip between sites {}: every "
                    "window would be resent before its acknowledgement; raise it, or leave it out "
                    "to derive it",
                    core::ps_to_us(sc.fabric.transport.rto_ps), core::ps_to_us(rtt_ps), pair));
  if (!rto && rtt_ps > 0) sc.fabric.transport.rto_ps += 2 * rtt_ps;

  const std::uint32_t max_wire = sc.full_packet_wire_bytes();
  if (sc.fabric.scheduler == net::Scheduler::kDwrr)
    for (int c = 0; c < net::kClasses; ++c)
      if (sc.fabric.dwrr_quantum_bytes[c] < max_wire)
        throw InputError(
            ctx.at(fabric, c == 0 ? "fabric.dwrr_control_quantum_bytes" : "fabric.dwrr_data_quantum_bytes"),
            fmt::format("must hold one full packet ({} bytes on the wire), got {}", max_wire,
                        sc.fabric.dwrr_quantum_bytes[c]));
}

}  // namespace aifabric::io
