#pragma once
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "backend/flow_spec.hpp"
#include "cc/dcqcn.hpp"
#include "core/event_queue.hpp"
#include "core/ring.hpp"
#include "core/rng.hpp"
#include "net/config.hpp"
#include "net/packet.hpp"
#include "net/results.hpp"
#include "routing/routing.hpp"
#include "topo/topology_spec.hpp"

namespace aifabric::net {

// The packet-level engine. One Simulation owns everything of one run: the event queue, the packet pool,
// ports, switches, NICs, flows, random streams and counters. Nothing is global, so many simulations can run
// in one process at once. The models are derived in docs/models/; the data flow is in docs/ARCHITECTURE.md.
// Port names: port 2i is link i a->b, 2i+1 is b->a, named "a->b" ("a->b#k" for parallel links).
std::vector<std::string> port_names(const topo::TopologySpec& spec);

// Told when a flow finishes and when a timer set through Simulation::set_timer fires. A workload that adds
// flows as earlier ones finish (collectives, training steps) drives the engine through it.
class FlowListener {
 public:
  virtual ~FlowListener() = default;
  virtual void flow_done(std::uint32_t flow) = 0;
  virtual void timer(std::uint32_t id) = 0;
};

class Simulation {
 public:
  Simulation(const topo::TopologySpec& spec, const FabricConfig& fabric, std::vector<backend::FlowSpec> flows,
             const RunOptions& options);
  // The switches' routing points into the simulation itself.
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Flows and timers added while running. Flow ids count up from the flows given to the constructor.
  std::uint32_t add_flow(const backend::FlowSpec& spec);
  void set_timer(core::TimePs at, std::uint32_t id);
  void set_listener(FlowListener* listener) { listener_ = listener; }
  // From now on, a flow's record is reused for a later add_flow once the flow has finished and nothing in
  // flight refers to it, so memory follows the flows in flight rather than all flows ever added (a
  // collective of millions of transfers). flow_results() is then unavailable; the listener has been told
  // of every completion.
  void recycle_finished_flows() { recycle_ = true; }
  std::size_t flow_records() const { return flows_.size(); }
  core::TimePs now() const { return events_.now(); }

  // Runs until every flow completes (with a listener: until nothing is pending), the stop time passes, or
  // the deadlock watchdog fires.
  RunStats run();
  // Processes the events at or before `limit` (and stops early once every flow has completed). Results read
  // afterwards describe the network at `limit`; run() or run_until() may continue from there.
  void run_until(core::TimePs limit);

  // Results, valid after run().
  std::vector<FlowResult> flow_results() const;
  std::vector<PortReport> port_reports() const;
  const std::vector<SeriesRow>& series() const { return series_; }
  const std::vector<PortSample>& port_samples() const { return port_samples_; }
  ByteLedger ledger() const;
  const InvariantReport& invariants() const { return invariants_; }
  // Highest buffer occupancy each switch reached, and its buffer size (bytes), by switch node order.
  struct BufferPeak {
    std::string name;
    std::uint64_t peak_bytes;
    std::uint64_t buffer_bytes;
  };
  std::vector<BufferPeak> buffer_peaks() const;
  std::size_t port_count() const { return ports_.size(); }
  std::size_t packet_pool_size() const { return pool_.size(); }
  std::size_t host_count() const { return hosts_.size(); }
  const std::string& port_name(std::uint32_t port) const { return port_names_[port]; }

 private:
  static constexpr std::uint32_t kNoPacket = 0xffffffffu;
  enum EventKind : std::uint32_t {
    kTxDone,
    kArrive,
    kNicWake,
    kFlowStart,
    kFlowTimer,
    kRto,
    kSample,
    kCheck,
    kPfcStorm,
    kExternal,
    kLinkChange,  // a batch of timed link events, target = its index in link_batches_
    kConverge,    // the routing of a batch's state takes effect, target = that batch
    kNicSlow,     // a NIC starts draining below line rate, target = its index in RunOptions::slow_nics
    kNicDrain,    // a slow NIC has drained the frame at the head of its receive buffer, target = host
    kWatchdog,    // the PFC watchdog looks at a switch port (detection or restoration), target = port
    kPfcStormEnd  // a storming NIC drains again, target = host
  };

  struct InFlight {
    core::TimePs arrival;
    std::uint32_t packet;
    std::uint32_t epoch;  // the port's epoch when it was sent: a link down since then lost it
  };
  // Fields are grouped by use: the first cache line moves a packet along the link, the next ones queue it,
  // the counters follow, and set-up-only fields come last.
  struct Port {
    std::uint32_t owner;       // switch index or host index of the node this port leaves from
    std::uint32_t peer_owner;  // switch index or host index of the node it leads to
    bool owner_is_switch;
    bool peer_is_switch;
    bool busy = false;
    bool paused[kClasses] = {false, false};
    bool down = false;     // the link is down (timed faults): nothing is sent
    bool tx_lost = false;  // the link went down while tx_packet was being serialized
    std::uint32_t tx_packet = 0;
    std::uint32_t credit_frame = kNoPacket;  // queued flow-control frame, accumulating returned credit
    std::uint32_t lossy = kNoPacket;         // index into lossy_ when the link corrupts frames
    std::uint32_t epoch = 0;                 // times the link went down
    // The PFC watchdog (FabricConfig::pfc): a look at this port is scheduled; the port is in a storm (its
    // pauses ignored, its data packets dropped); the last XOFF it received.
    bool wd_armed = false, wd_storm = false;
    core::TimePs wd_last_xoff_ps = -1;
    std::uint64_t ps_per_byte;  // exact serialization time per byte, 0 when the rate does not divide 8e12
    core::TimePs latency_ps;
    core::Ring<InFlight> pipe;  // packets propagating on the link
    std::uint64_t queue_bytes[kClasses] = {0, 0};
    core::Ring<std::uint32_t> queue[kClasses];
    core::Ring<std::uint32_t> link_frames;    // PFC / flow-control frames: sent first, never paused
    std::int64_t credits[kClasses] = {0, 0};  // InfiniBand: bytes the peer has granted
    PortCounters k;
    std::int64_t credit_limit[kClasses] = {0, 0};
    std::int32_t deficit[kClasses] = {0, 0};
    std::uint8_t dwrr_next = 0;
    bool dwrr_granted = false;
    std::uint32_t node;
    std::uint32_t peer;
    std::uint64_t rate_bps;
  };
  // The ingress side of a port: what its node holds of the packets that arrived over the port's link. Kept
  // apart from Port so that a switch reaches it, for the other port of every hop, in a small array.
  struct Ingress {
    std::uint64_t bytes[kClasses] = {0, 0};
    std::uint64_t xoff_bytes = 0, xon_bytes = 0, headroom_bytes = 0;
    bool xoff_sent[kClasses] = {false, false};  // XOFF sent upstream and not yet resumed
  };
  // A link direction that corrupts frames (LinkParams::ber): log(1 - ber), and the draws of its own stream,
  // so that one link's losses do not depend on what happens elsewhere.
  struct LossyLink {
    double log_keep_per_bit;
    core::Rng rng;
  };
  struct Switch {
    std::uint64_t buffer_bytes;
    topo::BufferMode mode;
    std::uint64_t used = 0;
    std::uint64_t peak = 0;
    std::uint64_t salt;
    std::uint64_t spray_counter = 0;
    core::Rng rng;
  };
  struct Host {
    std::uint32_t port;
    std::vector<std::uint32_t> active;  // flows with packets to send
    std::uint32_t rr = 0;
    core::TimePs wake_ps = cc::kNever;
    // A slow receiver (RunOptions::slow_nics): the rate it drains at (0 = line rate, no buffer), the
    // frames waiting in its receive buffer (their bytes are ingress_[port]'s; the head's drain is under
    // way while it is not empty) and whether it has sent XOFF.
    std::uint64_t rx_rate_bps = 0;
    core::Ring<std::uint32_t> rx;
    bool rx_xoff = false;
    bool storm_over = false;  // its PFC storm has ended (RunOptions::PfcStorm::end_ps)
  };
  struct Flow {
    backend::FlowSpec spec;
    std::uint32_t packets;
    std::uint32_t payload_last;
    std::uint32_t tuple_hash[2];  // ECMP hash of the flow's 5-tuple: data direction, reverse direction
    // sender
    std::uint32_t snd_nxt = 0, snd_una = 0;
    core::TimePs next_send_ps = 0, last_tx_ps = 0, last_progress_ps = 0;
    std::uint32_t last_wire = 0;
    bool active = false;
    core::TimePs timer_ps = cc::kNever;  // pending DCQCN timer event
    core::TimePs rto_ps = cc::kNever;    // pending retransmission timeout event
    cc::DcqcnReactionPoint rp;
    std::uint64_t retransmitted = 0;
    std::uint64_t cnps = 0;
    // receiver
    std::uint32_t expected = 0;
    std::uint32_t acked_upto = 0;
    bool nack_sent = false;
    core::TimePs last_cnp_ps = -1;
    std::vector<std::uint64_t> received;  // out-of-order receivers: bitmap of received packets
    core::TimePs finish_ps = -1;
    core::TimePs ideal_ps = 0;
    std::uint64_t delivered_bytes = 0;  // distinct payload bytes accepted by the receiver
    // Packets in flight for this flow, and its start event. Its timer events need no hold: each checks
    // that it is the one the flow armed, so a stale one finds a recycled record's own time instead.
    std::uint32_t holds = 0;
  };
  // packet pool
  std::uint32_t alloc_packet();
  void free_packet(std::uint32_t p) { free_.push_back(p); }

  void dispatch(const core::Event& e);
  void try_send(std::uint32_t port);
  void start_tx(std::uint32_t port, std::uint32_t pkt);
  void on_tx_done(std::uint32_t port);
  void on_arrive(std::uint32_t port);
  void switch_receive(std::uint32_t sw_index, std::uint32_t pkt, std::uint32_t in_port);
  void host_receive(std::uint32_t host, std::uint32_t pkt);
  int pick_class(std::uint32_t port);
  std::uint32_t dequeue(std::uint32_t port, int cls);
  std::uint32_t nic_next_data(std::uint32_t host);
  void nic_schedule_wake(std::uint32_t host, core::TimePs at);
  void kick_flow(std::uint32_t flow);
  std::uint32_t route(std::uint32_t sw_index, const Packet& pkt);
  std::uint32_t pick(std::uint32_t sw_index, const Packet& pkt, std::span<const std::uint32_t> hops);
  std::uint32_t failover(std::uint32_t sw_index, std::uint32_t pkt, std::uint32_t chosen);
  void release_ingress(std::uint32_t pkt, int cls, std::uint32_t wire);
  // A flow's packet that goes no further: freed, its payload (data) added to `ledger_bytes`.
  void discard(std::uint32_t id, std::uint64_t& ledger_bytes);
  void lose(std::uint32_t port, std::uint32_t pkt);
  void on_link_change(std::uint32_t batch);
  void set_link(std::uint32_t link, bool up);
  void build_link_states();
  void send_control(std::uint32_t from_host, std::uint32_t flow, PacketKind kind, std::uint32_t psn);
  void maybe_mark(std::uint32_t port, Packet& p, std::uint64_t queue_bytes, core::Rng& rng);
  void send_pause(std::uint32_t port, bool xoff);
  void return_credit(std::uint32_t port, int cls, std::uint32_t bytes);
  void record_queue(std::uint32_t port, int cls, core::TimePs now);
  bool class_ready(const Port& pt, int cls) const;
  core::TimePs ser_ps(const Port& pt, std::uint64_t bytes) const;
  std::uint32_t ecmp_port(std::uint32_t sw_index, const Packet& p) const;
  void activate(std::uint32_t flow);
  void arm_rto(std::uint32_t flow, core::TimePs at);
  void unhold(std::uint32_t flow);
  void arm_rate_timer(std::uint32_t flow);
  void on_flow_start(std::uint32_t flow);
  void on_flow_timer(std::uint32_t flow);
  void on_rto(std::uint32_t flow);
  void on_sample();
  void on_pfc_storm(std::uint32_t host);
  void nic_buffer(std::uint32_t host, std::uint32_t id);  // a slow NIC takes a frame into its buffer
  void on_nic_drain(std::uint32_t host);
  void on_watchdog(std::uint32_t port);
  void watchdog_drop(std::uint32_t port, std::uint32_t id);
  void on_check();
  void arm_periodic();
  void receive_data(Flow& f, std::uint32_t flow_id, const Packet& pkt);
  core::TimePs pacing_gap(const Flow& f, std::uint32_t wire) const;
  std::uint32_t flow_payload(const Flow& f, std::uint32_t psn) const;
  void compute_ideal(Flow& f);
  bool is_switch(std::uint32_t node) const { return switch_of_[node] != kNoPacket; }
  void check(bool ok, const std::string& what);

  FabricConfig cfg_;
  RunOptions opt_;
  topo::TopologySpec spec_;
  routing::Routing routing_;  // the healthy fabric's
  // Timed link faults: the events grouped by time, and per batch the state its routing converges to.
  struct LinkBatch {
    std::uint32_t first, last;  // [first, last) of opt_.link_events: one time
    std::uint32_t state;        // index into states_; 0 = every link up (routing_)
  };
  std::vector<LinkBatch> link_batches_;
  std::deque<routing::Routing> states_;         // the routing of each other state (states_[i - 1] is state i)
  const routing::Routing* active_ = nullptr;    // what the switches route by now
  std::vector<std::uint32_t> link_down_count_;  // per link: faults holding it down now
  std::uint32_t next_batch_ = 0;                // the next link batch to happen
  std::uint32_t pending_converge_ = 0;          // link batches whose routing has not converged yet
  std::vector<std::pair<std::uint32_t, bool>> batch_links_;  // on_link_change: links, down before
  std::vector<std::uint32_t> scratch_ports_;                 // failover: the equal-cost ports still up
  core::EventQueue events_;
  std::vector<Packet> pool_;
  std::vector<std::uint32_t> free_;
  std::vector<Port> ports_;
  std::vector<LossyLink> lossy_;
  std::vector<Ingress> ingress_;  // by port
  std::vector<std::string> port_names_;
  std::vector<std::uint32_t> switch_of_;  // node -> switch index, or kNoPacket for hosts
  std::vector<std::uint32_t> host_of_;    // node -> host index
  std::vector<Switch> switches_;
  std::vector<Host> hosts_;
  std::deque<Flow> flows_;                 // a deque: flows added while running must not move the others
  std::vector<std::uint32_t> free_flows_;  // records to reuse (recycle_finished_flows)
  std::uint64_t added_ = 0;                // flows added in all
  bool recycle_ = false;
  std::uint32_t payload_mtu_ = 0;
  std::uint32_t max_wire_ = 0;  // wire bytes of a full data packet
  std::uint64_t completed_ = 0;
  std::uint64_t events_processed_ = 0;
  core::TimePs last_delivery_ps_ = 0;  // last data packet delivered anywhere (deadlock watchdog)
  bool stalled_ = false;
  bool sample_armed_ = false;
  bool check_armed_ = false;
  FlowListener* listener_ = nullptr;
  core::TimePs stall_after_ps_ = 0;
  std::uint64_t fingerprint_ = 0xcbf29ce484222325ull;
  ByteLedger ledger_;
  InvariantReport invariants_;
  std::vector<SeriesRow> series_;
  std::vector<PortSample> port_samples_;
  std::vector<std::uint64_t> series_last_tx_;
  core::TimePs end_ps_ = 0;
};

}  // namespace aifabric::net
