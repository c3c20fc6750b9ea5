#include "net/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "net/ideal.hpp"

namespace aifabric::net {
namespace {

std::uint64_t rate_bps_of(double gbps) {
  return static_cast<std::uint64_t>(std::llround(gbps * 1e9));
}

// Bytes a link holds in flight in one direction: rate x latency.
std::uint64_t bdp_bytes(std::uint64_t rate_bps, core::TimePs latency_ps) {
  return static_cast<std::uint64_t>(static_cast<double>(rate_bps) * core::ps_to_sec(latency_ps) / 8.0 + 0.5);
}

}  // namespace

std::vector<std::string> port_names(const topo::TopologySpec& spec) {
  std::vector<std::string> names(spec.links.size() * 2);
  for (std::uint32_t i = 0; i < spec.links.size(); ++i) {
    const auto& l = spec.links[i];
    names[2 * i] = spec.nodes[l.a].name + "->" + spec.nodes[l.b].name;
    names[2 * i + 1] = spec.nodes[l.b].name + "->" + spec.nodes[l.a].name;
  }
  // Parallel links are "a->b#k", so each port has a unique, stable name.
  std::vector<std::pair<std::string, std::uint32_t>> sorted;
  for (std::uint32_t p = 0; p < names.size(); ++p) sorted.emplace_back(names[p], p);
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i;
    while (j < sorted.size() && sorted[j].first == sorted[i].first) ++j;
    if (j - i > 1)
      for (std::size_t k = i; k < j; ++k) names[sorted[k].second] += fmt::format("#{}", k - i);
    i = j;
  }
  return names;
}

Simulation::Simulation(const topo::TopologySpec& spec, const FabricConfig& fabric,
                       std::vector<backend::FlowSpec> flows, const RunOptions& options)
    : cfg_(fabric), opt_(options), spec_(spec), routing_(spec_) {
  const std::size_t n_nodes = spec_.nodes.size();
  switch_of_.assign(n_nodes, kNoPacket);
  host_of_.assign(n_nodes, kNoPacket);
  for (std::uint32_t h = 0; h < spec_.hosts.size(); ++h) host_of_[spec_.hosts[h]] = h;
  std::vector<std::uint32_t> ports_of_node(n_nodes, 0);
  for (const auto& l : spec_.links) {
    ++ports_of_node[l.a];
    ++ports_of_node[l.b];
  }
  for (std::uint32_t v = 0; v < n_nodes; ++v) {
    if (spec_.nodes[v].kind != topo::NodeKind::kSwitch) continue;
    switch_of_[v] = static_cast<std::uint32_t>(switches_.size());
    const auto& sp = spec_.nodes[v].sw;
    switches_.push_back(Switch{sp.buffer_bytes, sp.buffer_mode, 0, 0, routing::switch_salt(v), 0,
                               core::Rng(opt_.seed, core::hash_combine(1, v))});
  }

  payload_mtu_ = spec_.smallest_mtu();
  const std::uint32_t max_wire = cfg_.framing.data_wire_bytes(payload_mtu_);
  max_wire_ = max_wire;
  // The watchdog waits ten timeouts, at least 10 ms, and at least ten packets at the minimum DCQCN rate.
  stall_after_ps_ = std::max<core::TimePs>(10 * cfg_.transport.rto_ps, 10 * core::kPsPerMs);
  if (cfg_.cc == CongestionControl::kDcqcn)
    stall_after_ps_ = std::max(stall_after_ps_,
                               static_cast<core::TimePs>(10.0 * max_wire * 8e12 / cfg_.dcqcn.min_rate_bps));
  const std::uint32_t frame_wire = cfg_.framing.link_frame_bytes + cfg_.framing.gap_bytes;

  ports_.resize(spec_.links.size() * 2);
  ingress_.resize(ports_.size());
  port_names_.resize(ports_.size());
  // Each link's rank among the links joining the same two nodes (lossy links only need it).
  std::vector<std::uint32_t> parallel_rank(spec_.links.size(), 0);
  {
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> seen;
    for (std::uint32_t i = 0; i < spec_.links.size(); ++i)
      if (spec_.links[i].params.ber > 0) parallel_rank[i] = seen[{spec_.links[i].a, spec_.links[i].b}]++;
  }
  for (std::uint32_t i = 0; i < spec_.links.size(); ++i) {
    const auto& l = spec_.links[i];
    for (std::uint32_t dir = 0; dir < 2; ++dir) {
      Port& p = ports_[2 * i + dir];
      p.node = dir == 0 ? l.a : l.b;
      p.peer = dir == 0 ? l.b : l.a;
      p.owner_is_switch = switch_of_[p.node] != kNoPacket;
      p.peer_is_switch = switch_of_[p.peer] != kNoPacket;
      p.owner = p.owner_is_switch ? switch_of_[p.node] : host_of_[p.node];
      p.peer_owner = p.peer_is_switch ? switch_of_[p.peer] : host_of_[p.peer];
      p.rate_bps = rate_bps_of(l.params.rate_gbps);
      p.latency_ps = core::ns_to_ps(l.params.latency_ns);
      p.ps_per_byte = (8'000'000'000'000ull % p.rate_bps == 0) ? 8'000'000'000'000ull / p.rate_bps : 0;
      if (l.params.ber > 0) {
        // The stream is named by the link's ends and its rank among parallel links, not by its index in
        // the link list, so a failed link elsewhere does not change this link's losses.
        const std::uint64_t stream =
            core::hash_combine(core::hash_combine(core::hash_combine(7, p.node), p.peer), parallel_rank[i]);
        p.lossy = static_cast<std::uint32_t>(lossy_.size());
        lossy_.push_back({std::log1p(-l.params.ber), core::Rng(opt_.seed, stream)});
      }
    }
  }
  port_names_ = port_names(spec_);

  for (std::uint32_t p = 0; p < ports_.size(); ++p) {
    Port& pt = ports_[p];
    // PFC thresholds of the ingress queue fed by the link this port points back along.
    Ingress& ig = ingress_[p];
    ig.xoff_bytes = cfg_.pfc.xoff_bytes;
    ig.xon_bytes = cfg_.pfc.xon_bytes != 0
                       ? cfg_.pfc.xon_bytes
                       : (cfg_.pfc.xoff_bytes > 2ull * max_wire ? cfg_.pfc.xoff_bytes - 2ull * max_wire : 0);
    ig.headroom_bytes = cfg_.pfc.headroom_bytes != 0
                            ? cfg_.pfc.headroom_bytes
                            : 2 * bdp_bytes(pt.rate_bps, pt.latency_ps) + 3ull * max_wire + frame_wire;
    if (cfg_.credit_based()) {
      // Credits this port may use = the receive buffer its peer dedicates to this link. A host NIC grants
      // what the switch at the other end grants (docs/models/infiniband.md).
      const std::uint32_t grantor = is_switch(pt.peer) ? pt.peer : pt.node;
      const auto& sp = spec_.nodes[grantor].sw;
      const std::uint64_t per_port = sp.buffer_mode == topo::BufferMode::kPerPort
                                         ? sp.buffer_bytes
                                         : sp.buffer_bytes / ports_of_node[grantor];
      const auto control =
          static_cast<std::int64_t>(static_cast<double>(per_port) * cfg_.ib_control_vl_share);
      pt.credit_limit[kControl] = control;
      pt.credit_limit[kData] = static_cast<std::int64_t>(per_port) - control;
      for (int c = 0; c < kClasses; ++c) {
        if (pt.credit_limit[c] < static_cast<std::int64_t>(max_wire))
          throw core::InputError(
              core::Location{{},
                             0,
                             0,
                             spec_.kind == "explicit"
                                 ? fmt::format("topology.nodes[{}].buffer_bytes", grantor)
                                 : fmt::format("topology.tiers.{}.buffer_bytes", spec_.nodes[grantor].tier)},
              fmt::format(
                  "InfiniBand needs each virtual lane of each port to hold one {}-byte packet; switch '{}' "
                  "grants only {} bytes to a lane ({}-byte buffer, {} ports)",
                  max_wire, spec_.nodes[grantor].name, pt.credit_limit[c], sp.buffer_bytes,
                  ports_of_node[grantor]));
        pt.credits[c] = pt.credit_limit[c];
      }
      ports_[p].k.min_credits = pt.credits[kData];
    }
  }

  hosts_.resize(spec_.hosts.size());
  for (std::uint32_t h = 0; h < hosts_.size(); ++h) hosts_[h].port = routing_.host_port(h);

  for (const auto& flow : flows) add_flow(flow);
  pool_.reserve(4096);
  if (opt_.sample_interval_ps > 0) series_last_tx_.assign(ports_.size(), 0);
  for (const auto& storm : opt_.pfc_storms) {
    events_.schedule(storm.at_ps, storm.host, kPfcStorm);
    if (storm.end_ps > 0) events_.schedule(storm.end_ps, storm.host, kPfcStormEnd);
  }
  for (std::uint32_t i = 0; i < opt_.slow_nics.size(); ++i) {
    AIFABRIC_ASSERT(
        opt_.slow_nics[i].host < hosts_.size() && opt_.slow_nics[i].rate_bps > 0 && cfg_.lossless(),
        "a slow NIC names no host, drains at no rate or sits on a lossy fabric");
    events_.schedule(opt_.slow_nics[i].at_ps, i, kNicSlow);
  }
  active_ = &routing_;
  build_link_states();
  arm_periodic();
}

void Simulation::build_link_states() {
  const auto& ev = opt_.link_events;
  if (ev.empty()) return;
  link_down_count_.assign(spec_.links.size(), 0);
  std::vector<std::uint32_t> count(spec_.links.size(), 0);
  std::map<std::vector<bool>, std::uint32_t> seen{{std::vector<bool>(spec_.links.size(), false), 0}};
  for (std::uint32_t i = 0; i < ev.size();) {
    AIFABRIC_ASSERT(ev[i].link < spec_.links.size() && (i == 0 || ev[i - 1].at_ps <= ev[i].at_ps),
                    "link events out of order or naming no link");
    std::uint32_t j = i;
    for (; j < ev.size() && ev[j].at_ps == ev[i].at_ps; ++j) {
      auto& c = count[ev[j].link];
      AIFABRIC_ASSERT(ev[j].up ? c > 0 : true, "a link event brings up a link that is not down");
      c = ev[j].up ? c - 1 : c + 1;
    }
    std::vector<bool> down(spec_.links.size());
    for (std::size_t l = 0; l < down.size(); ++l) down[l] = count[l] > 0;
    auto [it, fresh] = seen.emplace(down, static_cast<std::uint32_t>(states_.size() + 1));
    if (fresh) states_.emplace_back(spec_, routing::Routing::Method::kAuto, down);
    link_batches_.push_back({i, j, it->second});
    events_.schedule(ev[i].at_ps, static_cast<std::uint32_t>(link_batches_.size() - 1), kLinkChange);
    i = j;
  }
}

void Simulation::on_link_change(std::uint32_t batch) {
  const LinkBatch& b = link_batches_[batch];
  next_batch_ = batch + 1;
  // Every count first, then the links whose state the batch changed: a link that one fault brings up
  // as another takes it down at the same time stays down, without a flap.
  batch_links_.clear();
  for (std::uint32_t i = b.first; i < b.last; ++i) {
    const auto& e = opt_.link_events[i];
    auto& c = link_down_count_[e.link];
    if (std::find_if(batch_links_.begin(), batch_links_.end(), [&](const std::pair<std::uint32_t, bool>& l) {
          return l.first == e.link;
        }) == batch_links_.end())
      batch_links_.emplace_back(e.link, c > 0);
    c = e.up ? c - 1 : c + 1;
  }
  for (const auto& [link, was_down] : batch_links_)
    if ((link_down_count_[link] > 0) != was_down) set_link(link, was_down);
  // The switches at the link's ends prune it at once (set_link, failover); the others learn of it when
  // the routing protocol converges.
  ++pending_converge_;
  events_.schedule(events_.now() + cfg_.routing_convergence_ps, batch, kConverge);
}

void Simulation::set_link(std::uint32_t link, bool up) {
  const std::uint32_t ports[2] = {2 * link, 2 * link + 1};
  const core::TimePs now = events_.now();
  if (!up) {
    for (auto port : ports) {
      Port& pt = ports_[port];
      pt.down = true;
      ++pt.epoch;  // what is on the wire is lost (on_arrive)
      ++pt.k.link_downs;
      if (pt.busy) pt.tx_lost = true;
      // Pause state ends with the link; flow-control frames waiting to go are lost.
      for (int c = 0; c < kClasses; ++c) pt.paused[c] = false;
      if (pt.k.pause_started >= 0) {
        pt.k.paused_ps += now - pt.k.pause_started;
        pt.k.pause_started = -1;
      }
      while (!pt.link_frames.empty()) free_packet(pt.link_frames.pop());
      pt.credit_frame = kNoPacket;
    }
    // The packets queued for the link are dropped (their ingress buffers released) once both
    // directions are down, so no pause or credit goes out on it.
    for (auto port : ports) {
      Port& pt = ports_[port];
      for (int c = 0; c < kClasses; ++c)
        while (!pt.queue[c].empty()) {
          record_queue(port, c, now);
          const std::uint32_t id = pt.queue[c].pop();
          const std::uint32_t wire = pool_[id].wire_bytes;
          pt.queue_bytes[c] -= wire;
          if (pt.owner_is_switch) release_ingress(id, c, wire);
          lose(port, id);
        }
    }
    return;
  }
  for (auto port : ports) {
    Port& pt = ports_[port];
    pt.down = false;
    // Flow control starts afresh: credits are what the peer's buffer has free, pauses are re-asserted.
    if (cfg_.credit_based())
      for (int c = 0; c < kClasses; ++c)
        pt.credits[c] = pt.credit_limit[c] - static_cast<std::int64_t>(ingress_[port ^ 1u].bytes[c]);
  }
  // Pauses a node still asserts are sent again: a switch's ingress over XOFF, a slow NIC's full buffer.
  for (auto port : ports)
    if (cfg_.pfc.enabled && (ingress_[port].xoff_sent[kData] ||
                             (!ports_[port].owner_is_switch && hosts_[ports_[port].owner].rx_xoff)))
      send_pause(port, true);
  last_delivery_ps_ = now;  // the watchdog counts from the link's return
  for (auto port : ports) try_send(port);
}

void Simulation::discard(std::uint32_t id, std::uint64_t& ledger_bytes) {
  const Packet& p = pool_[id];
  if (p.kind == PacketKind::kData) ledger_bytes += p.payload;
  const std::uint32_t fid = p.flow;
  free_packet(id);
  unhold(fid);
}

void Simulation::lose(std::uint32_t port, std::uint32_t id) {
  const PacketKind kind = pool_[id].kind;
  if (kind == PacketKind::kPause || kind == PacketKind::kCredit) {
    free_packet(id);
    return;
  }
  if (port != kNoPacket) ++ports_[port].k.link_down_drops;
  discard(id, ledger_.link_down);
}

std::uint32_t Simulation::add_flow(const backend::FlowSpec& spec) {
  std::uint32_t i;
  if (!free_flows_.empty()) {
    i = free_flows_.back();
    free_flows_.pop_back();
    std::vector<std::uint64_t> received = std::move(flows_[i].received);  // keeps its capacity
    flows_[i] = Flow{};
    flows_[i].received = std::move(received);
  } else {
    i = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
  }
  ++added_;
  Flow& f = flows_[i];
  f.spec = spec;
  f.spec.start_ps = std::max(spec.start_ps, events_.now());
  f.packets = static_cast<std::uint32_t>((f.spec.size_bytes + payload_mtu_ - 1) / payload_mtu_);
  f.payload_last = static_cast<std::uint32_t>(f.spec.size_bytes -
                                              static_cast<std::uint64_t>(f.packets - 1) * payload_mtu_);
  const std::uint64_t key = spec.entropy_key == backend::FlowSpec::kByIndex ? i : spec.entropy_key;
  f.tuple_hash[0] = routing::flow_tuple_hash(opt_.seed, key, f.spec.src, f.spec.dst, false);
  f.tuple_hash[1] = routing::flow_tuple_hash(opt_.seed, key, f.spec.src, f.spec.dst, true);
  if (cfg_.out_of_order_receiver()) f.received.assign((f.packets + 63) / 64, 0);
  compute_ideal(f);
  ++f.holds;  // until it starts
  events_.schedule(f.spec.start_ps, i, kFlowStart);
  arm_periodic();
  return i;
}

void Simulation::arm_periodic() {
  // Sampling and checks run while flows are unfinished; a flow added later re-arms them.
  if (completed_ >= added_) return;
  if (opt_.sample_interval_ps > 0 && !sample_armed_) {
    sample_armed_ = true;
    events_.schedule(events_.now() + opt_.sample_interval_ps, 0, kSample);
  }
  if (opt_.check_interval_ps > 0 && !check_armed_) {
    check_armed_ = true;
    events_.schedule(events_.now() + opt_.check_interval_ps, 0, kCheck);
  }
}

void Simulation::set_timer(core::TimePs at, std::uint32_t id) {
  events_.schedule(at, id, kExternal);
}

core::TimePs Simulation::ser_ps(const Port& pt, std::uint64_t bytes) const {
  return pt.ps_per_byte != 0 ? static_cast<core::TimePs>(bytes * pt.ps_per_byte)
                             : core::serialization_ps(bytes, pt.rate_bps);
}

void Simulation::compute_ideal(Flow& f) {
  Packet probe{};
  probe.src_host = f.spec.src;
  probe.dst_host = f.spec.dst;
  probe.hash = f.tuple_hash[0];
  const std::uint32_t full = cfg_.framing.data_wire_bytes(payload_mtu_);
  const std::uint32_t last = cfg_.framing.data_wire_bytes(f.payload_last);
  std::vector<PathHop> hops;
  std::uint32_t port = routing_.host_port(f.spec.src);
  const std::uint32_t dst_node = spec_.hosts[f.spec.dst];
  for (;;) {
    const Port& pt = ports_[port];
    hops.push_back({ser_ps(pt, full), ser_ps(pt, last), pt.latency_ps});
    if (pt.peer == dst_node) break;
    port = ecmp_port(pt.peer_owner, probe);
  }
  f.ideal_ps = ideal_completion_ps(hops, f.packets);
}

std::uint32_t Simulation::alloc_packet() {
  if (!free_.empty()) {
    const std::uint32_t id = free_.back();
    free_.pop_back();
    return id;
  }
  pool_.emplace_back();
  return static_cast<std::uint32_t>(pool_.size() - 1);
}

void Simulation::run_until(core::TimePs limit) {
  // With a listener, more flows may come: run until nothing is pending; without, until every flow is done.
  while (!stalled_ && !events_.empty() && (listener_ != nullptr || completed_ < added_) &&
         events_.next_time() <= limit) {
    const core::Event e = events_.pop();
    // The engine is bound by memory latency: start loading the next event's port while this one runs.
    if (const core::Event* next = events_.peek_ready(); next != nullptr && next->kind <= kArrive)
      __builtin_prefetch(&ports_[next->target]);
    fingerprint_ =
        (fingerprint_ ^ (static_cast<std::uint64_t>(e.time) + (static_cast<std::uint64_t>(e.kind) << 56) +
                         (static_cast<std::uint64_t>(e.target) << 24))) *
        0x100000001b3ull;
    ++events_processed_;
    dispatch(e);
    if (events_processed_ % RunOptions::kProgressEvents == 0 && opt_.progress)
      opt_.progress(events_.now(), events_processed_);
  }
  end_ps_ =
      completed_ == added_ || events_.empty() || stalled_ ? events_.now() : std::max(events_.now(), limit);
}

RunStats Simulation::run() {
  run_until(opt_.stop_ps > 0 ? opt_.stop_ps : cc::kNever);
  RunStats stats;
  const bool done = completed_ == added_;
  stats.events = events_processed_;
  stats.stalled = !done && (stalled_ || events_.empty());
  stats.stopped_early = !done && !stats.stalled;
  stats.all_completed = done;
  stats.end_ps = end_ps_;
  stats.fingerprint = fingerprint_;
  return stats;
}

void Simulation::dispatch(const core::Event& e) {
  switch (e.kind) {
    case kTxDone:
      on_tx_done(e.target);
      break;
    case kArrive:
      on_arrive(e.target);
      break;
    case kNicWake:
      if (hosts_[e.target].wake_ps == e.time) {
        hosts_[e.target].wake_ps = cc::kNever;
        try_send(hosts_[e.target].port);
      }
      break;
    case kFlowStart:
      on_flow_start(e.target);
      unhold(e.target);
      break;
    case kFlowTimer:
      on_flow_timer(e.target);
      break;
    case kRto:
      on_rto(e.target);
      break;
    case kSample:
      on_sample();
      break;
    case kCheck:
      on_check();
      break;
    case kPfcStorm:
      on_pfc_storm(e.target);
      break;
    case kLinkChange:
      on_link_change(e.target);
      break;
    case kConverge:
      active_ = link_batches_[e.target].state == 0 ? &routing_ : &states_[link_batches_[e.target].state - 1];
      --pending_converge_;
      last_delivery_ps_ = std::max(last_delivery_ps_, e.time);  // the watchdog counts from the new routes
      break;
    case kNicSlow:
      hosts_[opt_.slow_nics[e.target].host].rx_rate_bps = opt_.slow_nics[e.target].rate_bps;
      break;
    case kNicDrain:
      on_nic_drain(e.target);
      break;
    case kWatchdog:
      on_watchdog(e.target);
      break;
    case kPfcStormEnd:
      hosts_[e.target].storm_over = true;
      send_pause(hosts_[e.target].port, false);
      break;
    case kExternal:
      AIFABRIC_ASSERT(listener_ != nullptr,
                      fmt::format("timer {} fired at t={} ps with no listener", e.target, e.time));
      listener_->timer(e.target);
      break;
    default:
      AIFABRIC_ASSERT(false, fmt::format("unknown event kind {} at t={} ps", e.kind, e.time));
  }
}

void Simulation::record_queue(std::uint32_t port, int cls, core::TimePs now) {
  auto& k = ports_[port].k;
  const Port& pt = ports_[port];
  k.queue_byte_ps[cls] +=
      static_cast<double>(pt.queue_bytes[cls]) * static_cast<double>(now - k.queue_changed[cls]);
  k.queue_changed[cls] = now;
}

bool Simulation::class_ready(const Port& pt, int cls) const {
  if (pt.queue[cls].empty() || pt.paused[cls]) return false;
  return !cfg_.credit_based() ||
         pt.credits[cls] >= static_cast<std::int64_t>(pool_[pt.queue[cls].front()].wire_bytes);
}

int Simulation::pick_class(std::uint32_t port) {
  Port& pt = ports_[port];
  if (cfg_.scheduler == Scheduler::kStrict) {
    for (int c = 0; c < kClasses; ++c)
      if (class_ready(pt, c)) return c;
    return -1;
  }
  bool any = false;
  for (int c = 0; c < kClasses; ++c) any = any || class_ready(pt, c);
  if (!any) return -1;
  // Deficit round robin: a class earns its quantum once per visit and is served while the head fits.
  for (int step = 0; step < 4 * kClasses; ++step) {
    const int c = pt.dwrr_next;
    if (class_ready(pt, c)) {
      if (!pt.dwrr_granted) {
        pt.deficit[c] += static_cast<std::int32_t>(cfg_.dwrr_quantum_bytes[c]);
        pt.dwrr_granted = true;
      }
      const auto head = static_cast<std::int32_t>(pool_[pt.queue[c].front()].wire_bytes);
      if (pt.deficit[c] >= head) {
        pt.deficit[c] -= head;
        return c;
      }
    } else if (pt.queue[c].empty()) {
      pt.deficit[c] = 0;
    }
    pt.dwrr_granted = false;
    pt.dwrr_next = static_cast<std::uint8_t>((c + 1) % kClasses);
  }
  AIFABRIC_ASSERT(
      false, fmt::format("DWRR made no progress on port {} at t={} ps", port_names_[port], events_.now()));
}

std::uint32_t Simulation::dequeue(std::uint32_t port, int cls) {
  Port& pt = ports_[port];
  const core::TimePs now = events_.now();
  record_queue(port, cls, now);
  const std::uint32_t id = pt.queue[cls].pop();
  if (!pt.queue[cls].empty()) __builtin_prefetch(&pool_[pt.queue[cls].front()]);  // the next to leave
  const std::uint32_t wire = pool_[id].wire_bytes;
  pt.queue_bytes[cls] -= wire;
  if (cfg_.ecn.enabled && cfg_.ecn.mark_on_dequeue && cls == kData && pt.owner_is_switch)
    maybe_mark(port, pool_[id], pt.queue_bytes[kData], switches_[pt.owner].rng);
  if (cfg_.credit_based()) {
    pt.credits[cls] -= wire;
    if (cls == kData) ports_[port].k.min_credits = std::min(ports_[port].k.min_credits, pt.credits[cls]);
  }
  if (pt.owner_is_switch) release_ingress(id, cls, wire);
  return id;
}

void Simulation::release_ingress(std::uint32_t id, int cls, std::uint32_t wire) {
  const std::uint32_t in = pool_[id].in_port;
  switches_[ports_[in].owner].used -= wire;
  Ingress& ingress = ingress_[in];
  ingress.bytes[cls] -= wire;
  if (cfg_.pfc.enabled && cls == kData && ingress.xoff_sent[cls] && ingress.bytes[cls] <= ingress.xon_bytes) {
    ingress.xoff_sent[cls] = false;
    send_pause(in, false);
  }
  if (cfg_.credit_based()) return_credit(in, cls, wire);
}

void Simulation::try_send(std::uint32_t port) {
  Port& pt = ports_[port];
  if (pt.busy || pt.down) return;
  if (!pt.link_frames.empty()) {
    const std::uint32_t id = pt.link_frames.pop();
    if (id == pt.credit_frame) pt.credit_frame = kNoPacket;
    start_tx(port, id);
    return;
  }
  if (pt.owner_is_switch) {
    const int c = pick_class(port);
    if (c >= 0) {
      // Dequeuing may send a pause or credit frame back over this very port (a packet leaving by the
      // link it came in on, as a route converging around a failure sends it): that frame waits its turn.
      pt.busy = true;
      start_tx(port, dequeue(port, c));
    }
    return;
  }
  if (class_ready(pt, kControl)) {
    start_tx(port, dequeue(port, kControl));
    return;
  }
  if (pt.paused[kData]) return;
  const std::uint32_t id = nic_next_data(pt.owner);
  if (id != kNoPacket) start_tx(port, id);
}

void Simulation::start_tx(std::uint32_t port, std::uint32_t id) {
  Port& pt = ports_[port];
  const Packet& p = pool_[id];
  pt.busy = true;
  pt.tx_packet = id;
  auto& k = ports_[port].k;
  k.tx_bytes += p.wire_bytes;
  ++k.tx_packets;
  if (p.kind == PacketKind::kData) k.tx_data_bytes += p.payload;
  events_.schedule(events_.now() + ser_ps(pt, p.wire_bytes), port, kTxDone);
}

void Simulation::on_tx_done(std::uint32_t port) {
  Port& pt = ports_[port];
  pt.busy = false;
  if (pt.tx_lost) [[unlikely]] {
    pt.tx_lost = false;
    lose(port, pt.tx_packet);
    try_send(port);
    return;
  }
  const core::TimePs arrival = events_.now() + pt.latency_ps;
  pt.pipe.push({arrival, pt.tx_packet, pt.epoch});
  if (pt.pipe.size() == 1) events_.schedule(arrival, port, kArrive);
  try_send(port);
}

void Simulation::on_arrive(std::uint32_t port) {
  Port& pt = ports_[port];
  const InFlight head = pt.pipe.pop();
  if (!pt.pipe.empty()) {
    events_.schedule(pt.pipe.front().arrival, port, kArrive);
    __builtin_prefetch(&pool_[pt.pipe.front().packet]);  // needed at the next arrival
  }
  if (head.epoch != pt.epoch) [[unlikely]] {  // the link went down while it was on the wire
    lose(port, head.packet);
    return;
  }
  const std::uint32_t back = port ^ 1u;  // the receiving node's port on the same link
  const Packet& p = pool_[head.packet];
  switch (p.kind) {
    case PacketKind::kPause: {
      Port& target = ports_[back];
      auto& k = ports_[back].k;
      const core::TimePs now = events_.now();
      const bool watched = cfg_.pfc.watchdog_detection_ps > 0 && target.owner_is_switch;
      if (watched && p.xoff) target.wd_last_xoff_ps = now;
      if (watched && target.wd_storm) {  // the watchdog ignores the port's pauses until it restores it
        k.pause_received += p.xoff;
        free_packet(head.packet);
        return;
      }
      target.paused[p.cls] = p.xoff != 0;
      if (p.xoff) {
        ++k.pause_received;
        if (k.pause_started < 0) k.pause_started = now;
        if (watched && !target.wd_armed) {
          target.wd_armed = true;
          events_.schedule(now + cfg_.pfc.watchdog_detection_ps, back, kWatchdog);
        }
      } else if (k.pause_started >= 0) {
        k.paused_ps += now - k.pause_started;
        k.pause_started = -1;
      }
      const bool resume = p.xoff == 0;
      free_packet(head.packet);
      if (resume) try_send(back);
      return;
    }
    case PacketKind::kCredit: {
      Port& target = ports_[back];
      for (int c = 0; c < kClasses; ++c) target.credits[c] += p.credit[c];
      free_packet(head.packet);
      try_send(back);
      return;
    }
    default:
      if (pt.lossy != kNoPacket && p.kind == PacketKind::kData) {
        // Corrupted on the wire: the receiver's MAC drops it on its FCS; the transport resends it.
        LossyLink& l = lossy_[pt.lossy];
        if (l.rng.uniform() < -std::expm1(8.0 * p.wire_bytes * l.log_keep_per_bit)) {
          ++ports_[back].k.fcs_errors;
          discard(head.packet, ledger_.corrupted);
          return;
        }
      }
      if (pt.peer_is_switch) {
        switch_receive(pt.peer_owner, head.packet, back);
      } else if (hosts_[pt.peer_owner].rx_rate_bps != 0) [[unlikely]] {
        nic_buffer(pt.peer_owner, head.packet);
      } else {
        host_receive(pt.peer_owner, head.packet);
      }
  }
}

std::uint32_t Simulation::ecmp_port(std::uint32_t sw, const Packet& p) const {
  const auto hops = routing_.next_hops_at(sw, p.dst_host);
  if (hops.size() == 1) return hops[0];
  return hops[routing::ecmp_pick(switches_[sw].salt, p.hash, hops.size())];
}

std::uint32_t Simulation::route(std::uint32_t sw_index, const Packet& p) {
  return pick(sw_index, p, active_->next_hops_at(sw_index, p.dst_host));
}

std::uint32_t Simulation::failover(std::uint32_t sw_index, std::uint32_t id, std::uint32_t chosen) {
  // The switch knows its own ports are down: it picks among the equal-cost ports still up, as its ECMP
  // group loses the member at once. With none left (or no route at all) the packet is dropped: a black
  // hole until the routing converges around it.
  const Packet& p = pool_[id];
  scratch_ports_.clear();
  for (auto port : active_->next_hops_at(sw_index, p.dst_host))
    if (!ports_[port].down) scratch_ports_.push_back(port);
  if (scratch_ports_.empty()) {
    // Its buffer space upstream is free again: an InfiniBand switch returns the credit.
    if (cfg_.credit_based()) return_credit(p.in_port, p.cls, p.wire_bytes);
    lose(chosen, id);
    return kNoPacket;
  }
  return pick(sw_index, p, scratch_ports_);
}

std::uint32_t Simulation::pick(std::uint32_t sw_index, const Packet& p, std::span<const std::uint32_t> hops) {
  if (hops.size() <= 1) return hops.empty() ? kNoPacket : hops[0];
  Switch& sw = switches_[sw_index];
  switch (cfg_.load_balancing) {
    case routing::LoadBalancing::kEcmp:
      return hops[routing::ecmp_pick(sw.salt, p.hash, hops.size())];
    case routing::LoadBalancing::kSpray:
      return hops[sw.spray_counter++ % hops.size()];
    case routing::LoadBalancing::kAdaptive: {
      // The port with the fewest queued bytes; loads within one full packet of each other count as equal
      // and go round robin, so with short queues adaptive routing spreads like spraying and it steers only
      // around real queues. A port out of credits is as loaded as its whole credit window.
      const std::size_t start = sw.spray_counter++ % hops.size();
      std::uint32_t best = hops[start];
      std::uint64_t best_load = ~0ull;
      for (std::size_t i = 0; i < hops.size(); ++i) {
        const std::uint32_t cand = hops[(start + i) % hops.size()];
        const Port& c = ports_[cand];
        const bool starved =
            cfg_.credit_based() && c.credits[kData] < static_cast<std::int64_t>(p.wire_bytes);
        const std::uint64_t load = c.queue_bytes[kControl] + c.queue_bytes[kData] +
                                   (starved ? static_cast<std::uint64_t>(c.credit_limit[kData]) : 0);
        if (best_load == ~0ull || load + max_wire_ < best_load) {
          best_load = load;
          best = cand;
        }
      }
      return best;
    }
  }
  return hops[0];
}

void Simulation::switch_receive(std::uint32_t sw_index, std::uint32_t id, std::uint32_t in_port) {
  Switch& sw = switches_[sw_index];
  Packet& p = pool_[id];
  p.in_port = in_port;
  std::uint32_t out = route(sw_index, p);
  if (out == kNoPacket || ports_[out].down) [[unlikely]] {
    out = failover(sw_index, id, out);
    if (out == kNoPacket) return;
  }
  const int c = p.cls;
  const std::uint32_t w = p.wire_bytes;
  Port& o = ports_[out];
  if (o.wd_storm && c == kData) [[unlikely]] {
    watchdog_drop(out, id);
    return;
  }
  Ingress& in = ingress_[in_port];
  auto& k = ports_[out].k;
  if (!cfg_.credit_based()) {
    bool drop = sw.mode == topo::BufferMode::kShared
                    ? sw.used + w > sw.buffer_bytes
                    : o.queue_bytes[kControl] + o.queue_bytes[kData] + w > sw.buffer_bytes;
    if (cfg_.pfc.enabled && c == kData && in.bytes[c] + w > in.xoff_bytes + in.headroom_bytes) drop = true;
    if (drop) {
      ++k.drops[c];
      k.drop_bytes[c] += w;
      discard(id, ledger_.dropped);
      return;
    }
  }
  if (cfg_.ecn.enabled && !cfg_.ecn.mark_on_dequeue && c == kData)
    maybe_mark(out, p, o.queue_bytes[kData], sw.rng);
  record_queue(out, c, events_.now());
  o.queue[c].push(id);
  o.queue_bytes[c] += w;
  k.max_queue_bytes[c] = std::max(k.max_queue_bytes[c], o.queue_bytes[c]);
  sw.used += w;
  sw.peak = std::max(sw.peak, sw.used);
  in.bytes[c] += w;
  if (cfg_.pfc.enabled && c == kData && !in.xoff_sent[c] && in.bytes[c] >= in.xoff_bytes) {
    in.xoff_sent[c] = true;
    send_pause(in_port, true);
  }
  try_send(out);
}

void Simulation::maybe_mark(std::uint32_t port, Packet& p, std::uint64_t queue_bytes, core::Rng& rng) {
  // RED on the instantaneous egress queue depth (docs/models/ecn.md).
  if (p.ecn) return;
  bool mark = false;
  if (queue_bytes >= cfg_.ecn.kmax_bytes) {
    mark = true;
  } else if (queue_bytes > cfg_.ecn.kmin_bytes) {
    const double prob = cfg_.ecn.pmax * static_cast<double>(queue_bytes - cfg_.ecn.kmin_bytes) /
                        static_cast<double>(cfg_.ecn.kmax_bytes - cfg_.ecn.kmin_bytes);
    mark = rng.uniform() < prob;
  }
  if (mark) {
    p.ecn = 1;
    ++ports_[port].k.ecn_marks;
  }
}

void Simulation::send_pause(std::uint32_t port, bool xoff) {
  if (ports_[port].down) return;
  const std::uint32_t id = alloc_packet();
  Packet& p = pool_[id];
  p = Packet{};
  p.kind = PacketKind::kPause;
  p.cls = kData;
  p.xoff = xoff ? 1 : 0;
  p.wire_bytes = cfg_.framing.link_frame_bytes + cfg_.framing.gap_bytes;
  ports_[port].link_frames.push(id);
  if (xoff) {
    ++ports_[port].k.pause_sent;
  } else {
    ++ports_[port].k.resume_sent;
  }
  try_send(port);
}

void Simulation::return_credit(std::uint32_t port, int cls, std::uint32_t bytes) {
  Port& pt = ports_[port];
  if (pt.down) return;  // lost with the link; the credits restart from the buffer when it comes back
  if (pt.credit_frame == kNoPacket) {
    const std::uint32_t id = alloc_packet();
    Packet& p = pool_[id];
    p = Packet{};
    p.kind = PacketKind::kCredit;
    p.wire_bytes = cfg_.framing.link_frame_bytes + cfg_.framing.gap_bytes;
    pt.credit_frame = id;
    pt.link_frames.push(id);
  }
  pool_[pt.credit_frame].credit[cls] += bytes;
  try_send(port);
}

std::uint32_t Simulation::flow_payload(const Flow& f, std::uint32_t psn) const {
  return psn + 1 == f.packets ? f.payload_last : payload_mtu_;
}

core::TimePs Simulation::pacing_gap(const Flow& f, std::uint32_t wire) const {
  const Port& pt = ports_[hosts_[f.spec.src].port];
  if (cfg_.cc == CongestionControl::kNone || f.rp.at_line_rate()) return ser_ps(pt, wire);
  return static_cast<core::TimePs>(std::ceil(static_cast<double>(wire) * 8e12 / f.rp.rate_bps()));
}

std::uint32_t Simulation::nic_next_data(std::uint32_t host_id) {
  Host& host = hosts_[host_id];
  Port& pt = ports_[host.port];
  const core::TimePs now = events_.now();
  const auto n = static_cast<std::uint32_t>(host.active.size());
  core::TimePs earliest = cc::kNever;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t idx = (host.rr + i) % n;
    const std::uint32_t fid = host.active[idx];
    Flow& f = flows_[fid];
    if (f.next_send_ps > now) {
      earliest = std::min(earliest, f.next_send_ps);
      continue;
    }
    const std::uint32_t payload = flow_payload(f, f.snd_nxt);
    const std::uint32_t wire = cfg_.framing.data_wire_bytes(payload);
    if (cfg_.credit_based() && pt.credits[kData] < static_cast<std::int64_t>(wire)) return kNoPacket;
    const std::uint32_t id = alloc_packet();
    ++f.holds;
    Packet& p = pool_[id];
    p = Packet{};
    p.flow = fid;
    p.psn = f.snd_nxt++;
    p.src_host = f.spec.src;
    p.dst_host = f.spec.dst;
    p.payload = payload;
    p.wire_bytes = wire;
    p.in_port = kNoPacket;
    p.kind = PacketKind::kData;
    p.cls = kData;
    p.hash = f.tuple_hash[0];
    ledger_.injected += payload;
    if (cfg_.credit_based()) {
      pt.credits[kData] -= wire;
      ports_[host.port].k.min_credits = std::min(ports_[host.port].k.min_credits, pt.credits[kData]);
    }
    f.last_tx_ps = now;
    f.last_wire = wire;
    if (cfg_.cc == CongestionControl::kDcqcn) f.rp.on_bytes_sent(cfg_.dcqcn, wire);
    f.next_send_ps = now + pacing_gap(f, wire);
    if (f.snd_nxt == f.packets) {
      f.active = false;
      host.active[idx] = host.active.back();
      host.active.pop_back();
      host.rr = host.active.empty() ? 0 : idx % static_cast<std::uint32_t>(host.active.size());
    } else {
      host.rr = (idx + 1) % n;
    }
    return id;
  }
  if (earliest != cc::kNever) nic_schedule_wake(host_id, earliest);
  return kNoPacket;
}

void Simulation::nic_schedule_wake(std::uint32_t host, core::TimePs at) {
  Host& h = hosts_[host];
  if (at >= h.wake_ps) return;
  h.wake_ps = at;
  events_.schedule(at, host, kNicWake);
}

void Simulation::activate(std::uint32_t fid) {
  Flow& f = flows_[fid];
  if (f.active || f.snd_nxt >= f.packets) return;
  f.active = true;
  hosts_[f.spec.src].active.push_back(fid);
}

void Simulation::kick_flow(std::uint32_t fid) {
  const Flow& f = flows_[fid];
  if (!f.active) return;
  if (f.next_send_ps <= events_.now()) {
    try_send(hosts_[f.spec.src].port);
  } else {
    nic_schedule_wake(f.spec.src, f.next_send_ps);
  }
}

void Simulation::on_flow_start(std::uint32_t fid) {
  Flow& f = flows_[fid];
  const core::TimePs now = events_.now();
  f.rp.reset(static_cast<double>(ports_[hosts_[f.spec.src].port].rate_bps), cfg_.dcqcn, now);
  f.next_send_ps = now;
  f.last_progress_ps = now;
  last_delivery_ps_ = std::max(last_delivery_ps_, now);
  activate(fid);
  if (cfg_.transport.rto_ps > 0) arm_rto(fid, now + cfg_.transport.rto_ps);
  kick_flow(fid);
}

void Simulation::arm_rate_timer(std::uint32_t fid) {
  Flow& f = flows_[fid];
  const core::TimePs deadline = f.rp.timer_deadline();
  if (deadline == cc::kNever || deadline == f.timer_ps || f.snd_una >= f.packets) return;
  f.timer_ps = deadline;
  events_.schedule(deadline, fid, kFlowTimer);
}

void Simulation::on_flow_timer(std::uint32_t fid) {
  Flow& f = flows_[fid];
  if (events_.now() != f.timer_ps) return;  // superseded by a CNP that restarted the timer
  f.timer_ps = cc::kNever;
  if (f.rp.on_timer(cfg_.dcqcn, events_.now())) {
    f.next_send_ps = f.last_tx_ps + pacing_gap(f, f.last_wire);
    kick_flow(fid);
  }
  arm_rate_timer(fid);
}

void Simulation::arm_rto(std::uint32_t fid, core::TimePs at) {
  flows_[fid].rto_ps = at;
  events_.schedule(at, fid, kRto);
}

void Simulation::on_rto(std::uint32_t fid) {
  Flow& f = flows_[fid];
  if (events_.now() != f.rto_ps || f.snd_una >= f.packets) return;  // not this flow's (recycled record)
  const core::TimePs now = events_.now();
  // Nothing delivered anywhere for ten timeouts (and at least 10 ms) while flows wait: the fabric is
  // deadlocked (a PFC cycle, for instance). Stop and report it rather than spin until the stop time.
  if (now - last_delivery_ps_ >= stall_after_ps_ && next_batch_ >= link_batches_.size() &&
      pending_converge_ == 0) {
    stalled_ = true;
    return;
  }
  if (now - f.last_progress_ps >= cfg_.transport.rto_ps) {
    // Nothing acknowledged for a whole timeout: go back to the first unacknowledged packet.
    f.retransmitted += f.snd_nxt - f.snd_una;
    f.snd_nxt = f.snd_una;
    f.last_progress_ps = now;
    activate(fid);
    kick_flow(fid);
  }
  arm_rto(fid, f.last_progress_ps + cfg_.transport.rto_ps);
}

void Simulation::send_control(std::uint32_t from_host, std::uint32_t fid, PacketKind kind,
                              std::uint32_t psn) {
  Flow& f = flows_[fid];
  const std::uint32_t id = alloc_packet();
  ++f.holds;
  Packet& p = pool_[id];
  p = Packet{};
  p.flow = fid;
  p.psn = psn;
  p.src_host = from_host;
  p.dst_host = from_host == f.spec.src ? f.spec.dst : f.spec.src;
  p.hash = f.tuple_hash[from_host == f.spec.src ? 0 : 1];
  p.wire_bytes = (kind == PacketKind::kCnp ? cfg_.framing.cnp_bytes : cfg_.framing.control_bytes) +
                 cfg_.framing.gap_bytes;
  p.in_port = kNoPacket;
  p.kind = kind;
  p.cls = kControl;
  const std::uint32_t port = hosts_[from_host].port;
  Port& pt = ports_[port];
  if (pt.down) {  // the NIC's link is down: nothing leaves it
    lose(port, id);
    return;
  }
  record_queue(port, kControl, events_.now());
  pt.queue[kControl].push(id);
  pt.queue_bytes[kControl] += p.wire_bytes;
  ports_[port].k.max_queue_bytes[kControl] =
      std::max(ports_[port].k.max_queue_bytes[kControl], pt.queue_bytes[kControl]);
  try_send(port);
}

void Simulation::host_receive(std::uint32_t host, std::uint32_t id) {
  const Packet p = pool_[id];
  free_packet(id);
  if (cfg_.credit_based()) return_credit(hosts_[host].port, p.cls, p.wire_bytes);
  Flow& f = flows_[p.flow];
  const core::TimePs now = events_.now();
  switch (p.kind) {
    case PacketKind::kData:
      ledger_.delivered += p.payload;
      last_delivery_ps_ = now;
      receive_data(f, p.flow, p);
      break;
    case PacketKind::kAck:
      if (p.psn > f.snd_una) {
        f.snd_una = p.psn;
        f.last_progress_ps = now;
      }
      break;
    case PacketKind::kNack:
      if (p.psn > f.snd_una) {
        f.snd_una = p.psn;
        f.last_progress_ps = now;
      }
      if (f.snd_nxt > p.psn) {
        f.retransmitted += f.snd_nxt - p.psn;
        f.snd_nxt = p.psn;
        activate(p.flow);
        kick_flow(p.flow);
      }
      break;
    case PacketKind::kCnp:
      ++f.cnps;
      if (cfg_.cc == CongestionControl::kDcqcn && f.snd_una < f.packets) {
        f.rp.on_cnp(cfg_.dcqcn, now);
        f.next_send_ps = f.last_tx_ps + pacing_gap(f, f.last_wire);
        arm_rate_timer(p.flow);
        kick_flow(p.flow);
      }
      break;
    default:
      AIFABRIC_ASSERT(false, fmt::format("link frame delivered to host at t={} ps", now));
  }
  unhold(p.flow);
}

void Simulation::unhold(std::uint32_t fid) {
  Flow& f = flows_[fid];
  --f.holds;
  // Nothing refers to a finished, fully acknowledged flow any more: its record may hold the next flow.
  if (recycle_ && f.holds == 0 && f.finish_ps >= 0 && f.snd_una >= f.packets && !f.active)
    free_flows_.push_back(fid);
}

void Simulation::receive_data(Flow& f, std::uint32_t fid, const Packet& p) {
  const core::TimePs now = events_.now();
  if (p.ecn && cfg_.cc == CongestionControl::kDcqcn &&
      (f.last_cnp_ps < 0 || now - f.last_cnp_ps >= cfg_.dcqcn.cnp_interval_ps)) {
    f.last_cnp_ps = now;
    send_control(f.spec.dst, fid, PacketKind::kCnp, 0);
  }
  const std::uint32_t before = f.expected;
  if (!f.received.empty()) {
    auto& word = f.received[p.psn / 64];
    const std::uint64_t bit = 1ull << (p.psn % 64);
    if (!(word & bit)) {
      word |= bit;
      f.delivered_bytes += p.payload;
      while (f.expected < f.packets && (f.received[f.expected / 64] >> (f.expected % 64) & 1u)) ++f.expected;
    } else {
      send_control(f.spec.dst, fid, PacketKind::kAck, f.expected);
    }
  } else if (p.psn == f.expected) {
    ++f.expected;
    f.delivered_bytes += p.payload;
    f.nack_sent = false;
  } else if (p.psn > f.expected) {
    if (!f.nack_sent) {
      f.nack_sent = true;
      send_control(f.spec.dst, fid, PacketKind::kNack, f.expected);
    }
  } else {
    send_control(f.spec.dst, fid, PacketKind::kAck, f.expected);
  }
  if (f.expected == before) return;
  if (f.expected == f.packets) {
    if (f.finish_ps < 0) {
      f.finish_ps = now;
      ++completed_;
      if (listener_ != nullptr) listener_->flow_done(fid);
    }
    f.acked_upto = f.expected;
    send_control(f.spec.dst, fid, PacketKind::kAck, f.expected);
  } else if (f.expected - f.acked_upto >= cfg_.transport.ack_every_packets) {
    f.acked_upto = f.expected;
    send_control(f.spec.dst, fid, PacketKind::kAck, f.expected);
  }
}

void Simulation::on_sample() {
  const core::TimePs now = events_.now();
  const double interval_s = core::ps_to_sec(opt_.sample_interval_ps);
  for (std::uint32_t p = 0; p < ports_.size(); ++p) {
    const std::uint64_t sent = ports_[p].k.tx_bytes - series_last_tx_[p];
    series_last_tx_[p] = ports_[p].k.tx_bytes;
    const std::uint64_t q = ports_[p].queue_bytes[kControl] + ports_[p].queue_bytes[kData];
    if (opt_.sample_counters) {
      const auto& k = ports_[p].k;
      port_samples_.push_back({now, p, k.tx_bytes, k.tx_packets, k.drops[kControl] + k.drops[kData],
                               k.ecn_marks, k.pause_sent, k.resume_sent, k.pause_received,
                               k.paused_ps + (k.pause_started >= 0 ? now - k.pause_started : 0), q,
                               std::max(k.max_queue_bytes[kControl], k.max_queue_bytes[kData]), k.fcs_errors,
                               k.link_downs, k.pfc_wd_storms, k.pfc_wd_drops, !ports_[p].down});
    }
    if (sent == 0 && q == 0) continue;
    series_.push_back(
        {now, p, static_cast<double>(sent) * 8.0 / (static_cast<double>(ports_[p].rate_bps) * interval_s),
         q});
  }
  sample_armed_ = false;
  arm_periodic();
}

void Simulation::on_pfc_storm(std::uint32_t host) {
  if (hosts_[host].storm_over) return;
  const std::uint32_t port = hosts_[host].port;
  send_pause(port, true);
  // A NIC refreshes its XOFF before the pause quanta it asked for (65535 x 512 bit times) run out.
  const auto refresh =
      static_cast<core::TimePs>(65535.0 * 512.0 * 1e12 / 2.0 / static_cast<double>(ports_[port].rate_bps));
  if (completed_ < added_) events_.schedule(events_.now() + refresh, host, kPfcStorm);
}

void Simulation::nic_buffer(std::uint32_t host, std::uint32_t id) {
  // The buffer's bytes are the host's ingress bytes (what the link's credits must leave out); a frame
  // that finds it empty starts the draining.
  Host& h = hosts_[host];
  Ingress& in = ingress_[h.port];
  h.rx.push(id);
  in.bytes[pool_[id].cls] += pool_[id].wire_bytes;
  if (h.rx.size() == 1)
    events_.schedule(events_.now() + core::serialization_ps(pool_[id].wire_bytes, h.rx_rate_bps), host,
                     kNicDrain);
  if (cfg_.pfc.enabled && !h.rx_xoff && in.bytes[kControl] + in.bytes[kData] >= in.xoff_bytes) {
    h.rx_xoff = true;
    send_pause(h.port, true);
  }
}

void Simulation::on_nic_drain(std::uint32_t host) {
  Host& h = hosts_[host];
  Ingress& in = ingress_[h.port];
  const std::uint32_t id = h.rx.pop();
  in.bytes[pool_[id].cls] -= pool_[id].wire_bytes;
  if (h.rx_xoff && in.bytes[kControl] + in.bytes[kData] <= in.xon_bytes) {
    h.rx_xoff = false;
    send_pause(h.port, false);
  }
  if (!h.rx.empty())
    events_.schedule(events_.now() + core::serialization_ps(pool_[h.rx.front()].wire_bytes, h.rx_rate_bps),
                     host, kNicDrain);
  host_receive(host, id);
}

void Simulation::watchdog_drop(std::uint32_t port, std::uint32_t id) {
  ++ports_[port].k.pfc_wd_drops;
  discard(id, ledger_.dropped);
}

void Simulation::on_watchdog(std::uint32_t port) {
  // SONiC's pfcwd with action drop (docs/models/pfc.md, PFC watchdog): detection, then restoration.
  Port& pt = ports_[port];
  const core::TimePs now = events_.now();
  const core::TimePs detect = cfg_.pfc.watchdog_detection_ps, restore = cfg_.pfc.watchdog_restoration_ps;
  pt.wd_armed = false;
  if (pt.wd_storm) {
    if (now - pt.wd_last_xoff_ps >= restore) {
      // Pauses count again, starting from what the peer asserts now (a switch's ingress over XOFF, a slow
      // NIC's full buffer: neither refreshes its XOFF).
      pt.wd_storm = false;
      const bool held =
          pt.peer_is_switch ? ingress_[port ^ 1u].xoff_sent[kData] : hosts_[pt.peer_owner].rx_xoff;
      if (held) {
        pt.paused[kData] = true;
        pt.k.pause_started = now;
      }
      return;
    }
    pt.wd_armed = true;
    events_.schedule(pt.wd_last_xoff_ps + restore, port, kWatchdog);
    return;
  }
  if (!pt.paused[kData] || pt.k.pause_started < 0 || pt.down) return;  // the next XOFF arms it again
  if (now - pt.k.pause_started < detect || pt.queue_bytes[kData] == 0) {
    // Paused since later than a detection time ago, or nothing waits behind the pause (yet): look again.
    if (completed_ < added_) {
      pt.wd_armed = true;
      events_.schedule(now - pt.k.pause_started < detect ? pt.k.pause_started + detect : now + detect, port,
                       kWatchdog);
    }
    return;
  }
  // A storm: the pause is ignored and what waits behind it dropped, until no XOFF arrives for `restore`.
  pt.wd_storm = true;
  ++pt.k.pfc_wd_storms;
  pt.paused[kData] = false;
  pt.k.paused_ps += now - pt.k.pause_started;
  pt.k.pause_started = -1;
  while (!pt.queue[kData].empty()) {
    record_queue(port, kData, now);
    const std::uint32_t id = pt.queue[kData].pop();
    const std::uint32_t wire = pool_[id].wire_bytes;
    pt.queue_bytes[kData] -= wire;
    release_ingress(id, kData, wire);
    watchdog_drop(port, id);
  }
  pt.wd_armed = true;
  events_.schedule(std::max(now, pt.wd_last_xoff_ps) + restore, port, kWatchdog);
  try_send(port);
}

void Simulation::check(bool ok, const std::string& what) {
  if (ok) return;
  ++invariants_.violations;
  if (invariants_.first_violation.empty())
    invariants_.first_violation = fmt::format("t={} ps: {}", events_.now(), what);
}

void Simulation::on_check() {
  ++invariants_.checks;
  const ByteLedger l = ledger();
  check(l.balanced(),
        fmt::format("bytes injected {} != delivered {} + dropped {} + corrupted {} + lost to links down {} + "
                    "in flight {}",
                    l.injected, l.delivered, l.dropped, l.corrupted, l.link_down, l.in_flight));
  std::uint64_t drops = 0;
  for (const Port& pt : ports_) drops += pt.k.drops[kControl] + pt.k.drops[kData];
  check(!cfg_.lossless() || drops == 0,
        fmt::format(
            "a lossless fabric dropped {} packets (buffer smaller than the PFC thresholds and headroom need)",
            drops));
  for (const auto& sw : switches_)
    check(sw.used <= sw.buffer_bytes || sw.mode == topo::BufferMode::kPerPort,
          fmt::format("shared buffer holds {} > {} bytes", sw.used, sw.buffer_bytes));
  for (std::uint32_t p = 0; p < ports_.size(); ++p) {
    const Port& pt = ports_[p];
    if (is_switch(pt.node) && switches_[switch_of_[pt.node]].mode == topo::BufferMode::kPerPort &&
        !cfg_.credit_based())
      check(pt.queue_bytes[0] + pt.queue_bytes[1] <= switches_[switch_of_[pt.node]].buffer_bytes,
            fmt::format("port {} queue exceeds its buffer", port_names_[p]));
    if (cfg_.credit_based())
      for (int c = 0; c < kClasses; ++c)
        check(pt.credits[c] >= 0 && pt.credits[c] <= pt.credit_limit[c],
              fmt::format("port {} class {} credits {} outside [0, {}]", port_names_[p], c, pt.credits[c],
                          pt.credit_limit[c]));
    if (cfg_.credit_based())  // a switch's ingress, or a slow NIC's receive buffer
      for (int c = 0; c < kClasses; ++c)
        check(static_cast<std::int64_t>(ingress_[p].bytes[c]) <= ports_[p ^ 1u].credit_limit[c],
              fmt::format("port {} holds {} ingress bytes, more than the {} it granted", port_names_[p],
                          ingress_[p].bytes[c], ports_[p ^ 1u].credit_limit[c]));
  }
  check_armed_ = false;
  arm_periodic();
}

ByteLedger Simulation::ledger() const {
  ByteLedger l = ledger_;
  auto count = [&](std::uint32_t id) {
    const Packet& p = pool_[id];
    if (p.kind == PacketKind::kData) l.in_flight += p.payload;
  };
  for (const Port& pt : ports_) {
    for (int c = 0; c < kClasses; ++c)
      for (std::uint32_t i = 0; i < pt.queue[c].size(); ++i) count(pt.queue[c].at(i));
    for (std::uint32_t i = 0; i < pt.pipe.size(); ++i) count(pt.pipe.at(i).packet);
    if (pt.busy) count(pt.tx_packet);
  }
  for (const Host& h : hosts_)
    for (std::uint32_t i = 0; i < h.rx.size(); ++i) count(h.rx.at(i));
  return l;
}

std::vector<FlowResult> Simulation::flow_results() const {
  AIFABRIC_ASSERT(!recycle_, "flow results asked of a simulation that recycles flow records");
  std::vector<FlowResult> out;
  out.reserve(flows_.size());
  for (std::uint32_t i = 0; i < flows_.size(); ++i) {
    const Flow& f = flows_[i];
    out.push_back({i, f.spec.src, f.spec.dst, f.spec.size_bytes, f.spec.start_ps, f.finish_ps, f.ideal_ps,
                   f.retransmitted, f.cnps, f.delivered_bytes});
  }
  return out;
}

std::vector<PortReport> Simulation::port_reports() const {
  std::vector<PortReport> out;
  out.reserve(ports_.size());
  const double t = end_ps_ > 0 ? static_cast<double>(end_ps_) : 1.0;
  for (std::uint32_t p = 0; p < ports_.size(); ++p) {
    const Port& pt = ports_[p];
    PortReport r;
    r.name = port_names_[p];
    r.from = spec_.nodes[pt.node].name;
    r.to = spec_.nodes[pt.peer].name;
    r.rate_gbps = static_cast<double>(pt.rate_bps) / 1e9;
    r.counters = ports_[p].k;
    for (int c = 0; c < kClasses; ++c)
      r.counters.queue_byte_ps[c] +=
          static_cast<double>(pt.queue_bytes[c]) * static_cast<double>(end_ps_ - r.counters.queue_changed[c]);
    if (r.counters.pause_started >= 0) r.counters.paused_ps += end_ps_ - r.counters.pause_started;
    r.utilization =
        static_cast<double>(ports_[p].k.tx_bytes) * 8.0 / (static_cast<double>(pt.rate_bps) * t / 1e12);
    for (int c = 0; c < kClasses; ++c) r.mean_queue_bytes[c] = r.counters.queue_byte_ps[c] / t;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Simulation::BufferPeak> Simulation::buffer_peaks() const {
  std::vector<BufferPeak> out;
  for (std::uint32_t v = 0; v < spec_.nodes.size(); ++v)
    if (is_switch(v)) {
      const Switch& sw = switches_[switch_of_[v]];
      out.push_back({spec_.nodes[v].name, sw.peak, sw.buffer_bytes});
    }
  return out;
}

}  // namespace aifabric::net
