#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "core/time.hpp"

namespace aifabric::flow {

// Fluid flows over shared links with max-min fair rates (docs/models/flow.md), by progressive filling as
// SimGrid's lmm solves it, made incremental:
//  - starts and ends only record the links they touch; flush() re-solves once for everything that changed
//    at that instant (synchronized collectives start thousands of flows at one time);
//  - the re-solve covers the new flows and the flows of saturated links an ended flow left, and grows only
//    through saturated links: a flow crossing a link with spare capacity is not constrained by it, so the
//    flows beyond keep their rates. When the new rates saturate a link shared with flows left out, those
//    join and the solve repeats; the result is the exact max-min allocation (tests/flow/max_min_test.cpp
//    checks it against a full water-filling);
//  - only flows whose rate changed get a new completion timer;
//  - a link only one flow crosses (a solo link: most of a big ring's NIC and leaf ports) never joins a
//    solve: each flow keeps the tightest of its solo links as one private constraint, its solo cap, so
//    a solve visits the links flows share and not the thousands a gang crosses alone. A link turns solo
//    when the last other flow leaves it and shared when another flow starts on it; a solo link's bytes
//    are its flow's bytes moved while it was solo, counted when that ends.
// A flow's path may list a link several times: a gang of transfers that move in lockstep (the members of
// a ring, the tensor-parallel ranks of a pipeline send) is one flow whose rate is charged once per member
// on every link a member crosses, and `bytes` is what each member moves.
class MaxMinFluid {
 public:
  // `set_timer(at, key)` must later call on_timer(key) at time `at`. Keys use the low 56 bits.
  MaxMinFluid(std::vector<double> capacity_bytes_per_ps,
              std::function<void(core::TimePs, std::uint64_t)> set_timer);

  // Starts moving `bytes` over the links of `path` (indices into the capacities). Rates are set by flush().
  void start(core::TimePs now, std::vector<std::uint32_t> path, double bytes, std::uint64_t user);
  // Returns true and sets `user` when the timer completes a flow; call flush() before time moves on.
  bool on_timer(core::TimePs now, std::uint64_t key, std::uint64_t& user);
  // Re-solves the rates after the starts and ends at `now`, and sets the timers that changed.
  void flush(core::TimePs now);

  std::size_t active() const { return active_; }
  double rate(std::uint64_t user) const;  // current rate of the live flow with this user tag (tests)
  // Bytes carried by the link up to its last change of load (all of them once no flow is left).
  double carried_bytes(std::uint32_t link) const;
  std::size_t flows_on(std::uint32_t link) const { return link_[link].flows.size(); }
  std::uint64_t solves() const { return solves_; }
  std::uint64_t solved_flows() const { return solved_flows_; }  // flows visited by all solves
  std::uint64_t solved_links() const { return solved_links_; }  // links (and solo caps) visited by all solves

 private:
  struct Flow {
    // Its links, once per crossing: those other flows cross too first (`shared` of them), then its solo
    // links; `limit` beside each: the link's capacity over this flow's crossings of it.
    std::vector<std::uint32_t> path;
    std::vector<double> limit;
    std::uint32_t shared = 0;
    double solo_cap = 0;      // the smallest limit of its solo links (infinity without any)
    bool solo_stale = false;  // a solo link that may have been the smallest turned shared
    double bytes = 0;
    double remaining = 0;
    double rate = 0;
    double old_rate = 0;
    core::TimePs since = 0;
    std::uint32_t generation = 0;
    bool live = false;
    bool frozen = false;
    bool fresh = false;  // started since the last flush: needs its first timer
    std::uint64_t user = 0;
    std::uint32_t first_position = 0;  // during a solve: where its path starts in positions_
    std::uint32_t positions = 0;       // during a solve: its shared crossings, plus one for its solo cap
  };
  static constexpr std::uint32_t kNoFlow = 0xffffffff;   // Link::owner of a link nobody crosses
  static constexpr std::uint32_t kShared = 0xfffffffe;   // Link::owner of a link several flows cross
  static constexpr std::uint32_t kSoloCap = 0x80000000;  // links_ entry: a flow's solo cap, not a link
  double moved(core::TimePs now, const Flow& f) const;
  void make_shared(core::TimePs now, std::uint32_t link);
  void make_solo(core::TimePs now, std::uint32_t link, std::uint32_t owner);
  void refresh_solo_cap(Flow& f) const;
  void settle(core::TimePs now, Flow& f);
  void account(std::uint32_t link, core::TimePs now);
  static bool saturated(double capacity, double load);
  std::uint32_t add_link(std::uint32_t link);  // returns its position in links_
  void expand(std::uint32_t link, std::uint32_t position, std::vector<std::uint32_t>& stack);
  void admit(core::TimePs now, std::uint32_t flow, std::vector<std::uint32_t>& stack);
  void gather(core::TimePs now, std::vector<std::uint32_t>& stack);
  void fill();

  std::function<void(core::TimePs, std::uint64_t)> set_timer_;
  std::vector<Flow> flows_;
  std::vector<std::uint32_t> free_;
  // What a solve reads of a link, kept together (one or two cache lines per link visited).
  struct Link {
    std::vector<std::uint32_t> flows;  // live flows, once per crossing
    double capacity = 0;
    double load = 0;  // sum of the rates crossing it
    // Bytes moved up to `since`: the integral of the load, brought up to date whenever the load changes
    // (so, once every flow has ended, the bytes moved plus at most one picosecond of each flow's rate,
    // from rounding completion times up).
    double carried = 0;
    core::TimePs since = 0;
    // During a solve: whether it is in (mark == epoch_), its position in links_, whether all its flows
    // are in (expanded == epoch_).
    std::uint32_t mark = 0, pos = 0, expanded = 0;
    // The one flow crossing it (kNoFlow, kShared otherwise) and, while solo, how many bytes that flow had
    // moved when the link turned solo (its load, `carried` and `since` wait until it turns shared or
    // empty).
    std::uint32_t owner = kNoFlow;
    double solo_from = 0;
  };
  std::vector<Link> link_;
  std::vector<std::uint32_t> fresh_;  // flows started since the last flush
  std::vector<std::uint32_t> freed_;  // saturated links a flow left since the last flush
  // Scratch for the solve, reused: the links and flows of the current solve; per position in links_, the
  // link's capacity, load, live flows and whether all of them are in, copied when the link joins (so the
  // solve reads links in order, not scattered over the fabric), and the rates of the flows left out, the
  // residual capacity and the members not yet frozen; each flow's path as positions.
  std::vector<double> at_capacity_, at_load_;
  std::vector<std::uint32_t> at_flows_;
  std::vector<std::uint8_t> at_expanded_;
  std::vector<std::uint32_t> flow_mark_;
  std::vector<std::uint32_t> crossings_;  // scratch for start(), per link: zero between calls
  std::vector<std::uint32_t> links_, flows_in_;
  std::vector<double> outside_, residual_;
  std::vector<std::uint32_t> unfrozen_, inside_count_, positions_;
  std::vector<std::pair<double, std::uint32_t>> heap_;  // (fair share, link position), a min-heap
  std::uint32_t epoch_ = 0;
  std::size_t active_ = 0;
  std::uint64_t solves_ = 0, solved_flows_ = 0, solved_links_ = 0;
};

}  // namespace aifabric::flow
