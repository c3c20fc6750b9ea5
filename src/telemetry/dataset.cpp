#include "telemetry/dataset.hpp"

#include <fmt/format.h>

namespace aifabric::telemetry {

const std::vector<MetricDef>& port_metrics() {
  // Counterparts from ../shared/research/operations.md section 3 (sonic-swss portsorch.cpp and SAI, the
  // OpenConfig interfaces and qos models, IB PerfMgmt, mlx5 ethtool). PFC counters are those of the
  // lossless priority (3 in the usual RoCE setup); OpenConfig has no PFC model.
  static const std::vector<MetricDef> m = {
      {"aifabric_port_transmit_bytes_total", MetricKind::kCounter, "bytes",
       "Bytes the port put on the wire (all frames).", "SAI_PORT_STAT_IF_OUT_OCTETS",
       "/interfaces/interface/state/counters/out-octets", "PortXmitData (x4: it counts 4-byte words)",
       "tx_bytes_phy"},
      {"aifabric_port_transmit_packets_total", MetricKind::kCounter, "", "Frames the port transmitted.",
       "SAI_PORT_STAT_IF_OUT_UCAST_PKTS", "/interfaces/interface/state/counters/out-unicast-pkts",
       "PortXmitPkts", "tx_packets_phy"},
      {"aifabric_port_dropped_packets_total", MetricKind::kCounter, "",
       "Packets dropped at the port's queues (buffer full, lossy classes).", "SAI_QUEUE_STAT_DROPPED_PACKETS",
       "/interfaces/interface/state/counters/out-discards", "PortXmitDiscards", "tx_discards_phy"},
      {"aifabric_port_ecn_marked_packets_total", MetricKind::kCounter, "",
       "Packets the port's queue marked CE.", "SAI_QUEUE_STAT_WRED_ECN_MARKED_PACKETS",
       "/qos/interfaces/interface/output/queues/queue/state/ecn-marked-pkts", "-",
       "np_ecn_marked_roce_packets (receiver side)"},
      {"aifabric_port_pfc_pause_sent_total", MetricKind::kCounter, "",
       "PFC XOFF frames sent on this port to its peer.", "SAI_PORT_STAT_PFC_3_TX_PKTS", "-", "-",
       "tx_prio3_pause"},
      {"aifabric_port_pfc_resume_sent_total", MetricKind::kCounter, "",
       "PFC XON frames sent on this port to its peer (the peer's pause-to-resume transitions).",
       "SAI_PORT_STAT_PFC_3_ON2OFF_RX_PKTS (on the peer)", "-", "-", "-"},
      {"aifabric_port_pfc_pause_received_total", MetricKind::kCounter, "",
       "PFC XOFF frames this port received from its peer.", "SAI_PORT_STAT_PFC_3_RX_PKTS", "-", "-",
       "rx_prio3_pause"},
      {"aifabric_port_pfc_paused_seconds_total", MetricKind::kCounter, "seconds",
       "Time the port's lossless class spent paused by its peer.",
       "SAI_PORT_STAT_PFC_3_RX_PAUSE_DURATION_US (x1e-6)", "-",
       "PortXmitWait (ticks; credit starvation is InfiniBand's pause)", "rx_prio3_pause_duration (us)"},
      {"aifabric_port_queue_bytes", MetricKind::kGauge, "bytes", "Bytes queued at the port at the sample.",
       "SAI_QUEUE_STAT_CURR_OCCUPANCY_BYTES", "-", "-", "-"},
      {"aifabric_port_queue_watermark_bytes", MetricKind::kGauge, "bytes",
       "Deepest queue at the port since the start (a persistent watermark).",
       "SAI_QUEUE_STAT_SHARED_WATERMARK_BYTES (PERSISTENT_WATERMARKS)",
       "/qos/interfaces/interface/output/queues/queue/state/max-queue-len", "-", "-"},
      {"aifabric_port_speed_bytes_per_second", MetricKind::kGauge, "", "The port's line rate.",
       "SAI_PORT_ATTR_SPEED (Mbit/s x 125000)", "/interfaces/interface/ethernet/state/port-speed",
       "LinkSpeedActive x LinkWidthActive", "node_network_speed_bytes"},
      {"aifabric_port_up", MetricKind::kGauge, "", "1 while the port's link is up, 0 while it is down.",
       "APPL_DB PORT_TABLE oper_status", "/interfaces/interface/state/oper-status",
       "PortState (4 = Active); node_infiniband_state_id", "carrier (sysfs)"},
      {"aifabric_port_fcs_errors_total", MetricKind::kCounter, "",
       "Frames the port's node received corrupted from its peer and dropped (bad FCS).",
       "SAI_PORT_STAT_IF_IN_ERRORS", "/interfaces/interface/state/counters/in-fcs-errors", "PortRcvErrors",
       "rx_crc_errors_phy"},
      {"aifabric_port_link_down_events_total", MetricKind::kCounter, "",
       "Times the port's link went down (a flapping link counts every down).",
       "APPL_DB PORT_TABLE flap_count (sonic-swss portsorch)",
       "/interfaces/interface/state/counters/carrier-transitions (downs and ups)", "LinkDownedCounter",
       "link_down_events_phy"},
      {"aifabric_port_pfc_watchdog_storms_total", MetricKind::kCounter, "",
       "PFC storms the switch's watchdog found on the port (paused without a break for the detection time "
       "with packets queued).",
       "PFC_WD_QUEUE_STATS_DEADLOCK_DETECTED (COUNTERS_DB, pfcwd)", "-", "-", "-"},
      {"aifabric_port_pfc_watchdog_dropped_packets_total", MetricKind::kCounter, "",
       "Data packets the switch's PFC watchdog dropped while the port was in a storm.",
       "PFC_WD_QUEUE_STATS_TX_DROPPED_PACKETS (COUNTERS_DB, pfcwd)", "-", "-", "-"},
  };
  return m;
}

int metric_index(const std::string& name) {
  const auto& m = port_metrics();
  for (std::size_t i = 0; i < m.size(); ++i)
    if (name == m[i].name) return static_cast<int>(i);
  return -1;
}

std::string metric_reference_markdown() {
  std::string s =
      "| metric | type | meaning | SONiC / SAI | OpenConfig | InfiniBand | NIC (mlx5) |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const auto& d : port_metrics())
    s += fmt::format("| `{}` | {} | {} | `{}` | `{}` | {} | `{}` |\n", d.name,
                     d.kind == MetricKind::kCounter ? "counter" : "gauge", d.help, d.sonic, d.openconfig,
                     d.infiniband, d.nic);
  return s;
}

std::size_t Dataset::samples() const {
  std::size_t n = 0;
  for (const auto& s : series) n += s.t_s.size();
  return n;
}

}  // namespace aifabric::telemetry
