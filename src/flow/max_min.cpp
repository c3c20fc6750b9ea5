#include "flow/max_min.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace aifabric::flow {
namespace {
constexpr std::uint32_t kGenerationMask = 0xffffff;
constexpr double kSaturated = 1 - 1e-9;  // a link this full is a bottleneck
constexpr double kSameRate = 1e-12;      // relative change below which a flow keeps its timer
constexpr std::size_t kScanFlows = 32;   // solves with at most this many flows find bottlenecks by scans
}  // namespace

MaxMinFluid::MaxMinFluid(std::vector<double> capacity,
                         std::function<void(core::TimePs, std::uint64_t)> set_timer)
    : set_timer_(std::move(set_timer)), link_(capacity.size()) {
  AIFABRIC_ASSERT(capacity.size() < kSoloCap, "too many links for the max-min solver");
  for (std::size_t l = 0; l < capacity.size(); ++l) link_[l].capacity = capacity[l];
}

void MaxMinFluid::settle(core::TimePs now, Flow& f) {
  f.remaining -= std::min(f.remaining, f.rate * static_cast<double>(now - f.since));
  f.since = now;
}

double MaxMinFluid::moved(core::TimePs now, const Flow& f) const {
  return f.bytes - std::max(0.0, f.remaining - f.rate * static_cast<double>(now - f.since));
}

void MaxMinFluid::account(std::uint32_t link, core::TimePs now) {
  link_[link].carried += link_[link].load * static_cast<double>(now - link_[link].since);
  link_[link].since = now;
}

bool MaxMinFluid::saturated(double capacity, double load) {
  return load >= capacity * kSaturated;
}

double MaxMinFluid::carried_bytes(std::uint32_t link) const {
  const Link& k = link_[link];
  if (k.owner == kNoFlow || k.owner == kShared) return k.carried;
  const Flow& f = flows_[k.owner];
  return k.carried + static_cast<double>(k.flows.size()) * (moved(f.since, f) - k.solo_from);
}

void MaxMinFluid::refresh_solo_cap(Flow& f) const {
  f.solo_cap = std::numeric_limits<double>::infinity();
  for (std::size_t j = f.shared; j < f.path.size(); ++j) f.solo_cap = std::min(f.solo_cap, f.limit[j]);
  f.solo_stale = false;
}

void MaxMinFluid::make_shared(core::TimePs now, std::uint32_t l) {
  // The owner's bytes since the link turned solo are what it carried; from now on it has a load.
  Link& k = link_[l];
  Flow& o = flows_[k.owner];
  const auto crossings = static_cast<double>(k.flows.size());
  k.carried += crossings * (moved(now, o) - k.solo_from);
  k.since = now;
  k.load = o.rate * crossings;
  k.owner = kShared;
  // The owner's crossings of the link move to its shared part (entries before j are not the link).
  for (std::size_t j = o.shared; j < o.path.size(); ++j)
    if (o.path[j] == l) {
      if (o.limit[j] <= o.solo_cap) o.solo_stale = true;
      std::swap(o.path[j], o.path[o.shared]);
      std::swap(o.limit[j], o.limit[o.shared]);
      ++o.shared;
    }
}

void MaxMinFluid::make_solo(core::TimePs now, std::uint32_t l, std::uint32_t owner) {
  Link& k = link_[l];
  Flow& o = flows_[owner];
  k.owner = owner;
  k.solo_from = moved(now, o);
  // Its crossings of the link leave its shared part (entries after j are not the link).
  for (std::size_t j = o.shared; j-- > 0;)
    if (o.path[j] == l) {
      --o.shared;
      std::swap(o.path[j], o.path[o.shared]);
      std::swap(o.limit[j], o.limit[o.shared]);
      o.solo_cap = std::min(o.solo_cap, o.limit[o.shared]);
    }
}

void MaxMinFluid::start(core::TimePs now, std::vector<std::uint32_t> path, double bytes, std::uint64_t user) {
  std::uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(flows_.size());
    AIFABRIC_ASSERT(id < kShared, "too many flows for the max-min solver");
    flows_.emplace_back();
    flow_mark_.push_back(0);
  }
  Flow& f = flows_[id];
  const std::uint32_t generation = f.generation;
  f = Flow{};
  f.path = std::move(path);
  f.bytes = f.remaining = bytes;
  f.since = now;
  f.generation = generation;
  f.live = f.fresh = true;
  f.user = user;
  if (crossings_.empty()) crossings_.assign(link_.size(), 0);
  for (auto l : f.path) ++crossings_[l];
  f.limit.resize(f.path.size());
  for (std::size_t j = 0; j < f.path.size(); ++j)
    f.limit[j] = link_[f.path[j]].capacity / crossings_[f.path[j]];
  for (auto l : f.path) crossings_[l] = 0;
  for (auto l : f.path) {
    Link& k = link_[l];
    if (k.owner == kNoFlow) {
      k.owner = id;
      k.solo_from = 0;
    } else if (k.owner != id && k.owner != kShared) {
      make_shared(now, l);
    }
    k.flows.push_back(id);
  }
  // Shared crossings first, in the path's order.
  for (std::size_t j = 0; j < f.path.size(); ++j)
    if (link_[f.path[j]].owner != id) {
      std::swap(f.path[j], f.path[f.shared]);
      std::swap(f.limit[j], f.limit[f.shared]);
      ++f.shared;
    }
  refresh_solo_cap(f);
  fresh_.push_back(id);
  ++active_;
}

bool MaxMinFluid::on_timer(core::TimePs now, std::uint64_t key, std::uint64_t& user) {
  const auto id = static_cast<std::uint32_t>(key & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(key >> 32) & kGenerationMask;
  if (id >= flows_.size()) return false;
  Flow& f = flows_[id];
  if (!f.live || (f.generation & kGenerationMask) != generation) return false;  // superseded by a re-solve
  settle(now, f);
  f.live = false;
  ++f.generation;
  user = f.user;
  const double done = moved(now, f);
  for (auto l : f.path) {
    Link& k = link_[l];
    auto& v = k.flows;
    if (k.owner == id) {
      // A solo link carried this flow's bytes since it turned solo, once per crossing (counted at the
      // first of them).
      k.carried += static_cast<double>(v.size()) * (done - k.solo_from);
      k.solo_from = done;
      v.pop_back();  // every entry is this flow
      if (v.empty()) {
        k.owner = kNoFlow;
        k.load = 0;
      }
      continue;
    }
    account(l, now);
    v.erase(std::find(v.begin(), v.end(), id));
    // Flows on a link that had spare capacity were not held back by it: only a saturated link's flows
    // may speed up.
    if (saturated(k.capacity, k.load) && !v.empty()) freed_.push_back(l);
    k.load = v.empty() ? 0.0 : std::max(0.0, k.load - f.rate);
    if (v.empty()) {
      k.owner = kNoFlow;
    } else if (v.front() != id &&
               std::all_of(v.begin(), v.end(), [&](std::uint32_t o) { return o == v.front(); })) {
      make_solo(now, l, v.front());
    }
  }
  f.path.clear();
  f.limit.clear();
  f.rate = 0;
  --active_;
  free_.push_back(id);
  return true;
}

double MaxMinFluid::rate(std::uint64_t user) const {
  for (const auto& f : flows_)
    if (f.live && f.user == user) return f.rate;
  return 0;
}

std::uint32_t MaxMinFluid::add_link(std::uint32_t l) {
  Link& k = link_[l];
  if (k.mark == epoch_) return k.pos;
  k.mark = epoch_;
  k.pos = static_cast<std::uint32_t>(links_.size());
  links_.push_back(l);
  at_capacity_.push_back(k.capacity);
  at_load_.push_back(k.load);
  at_flows_.push_back(static_cast<std::uint32_t>(k.flows.size()));
  at_expanded_.push_back(k.expanded == epoch_ ? 1 : 0);
  return k.pos;
}

void MaxMinFluid::expand(std::uint32_t l, std::uint32_t i, std::vector<std::uint32_t>& stack) {
  link_[l].expanded = epoch_;
  at_expanded_[i] = 1;
  stack.push_back(l);
}

void MaxMinFluid::admit(core::TimePs now, std::uint32_t id, std::vector<std::uint32_t>& stack) {
  // The flow joins the solve with its path as positions in links_; every saturated link it crosses is
  // expanded (all its flows join too).
  flow_mark_[id] = epoch_;
  flows_in_.push_back(id);
  Flow& f = flows_[id];
  settle(now, f);
  f.old_rate = f.rate;  // 0 for a flow started since the last solve
  f.first_position = static_cast<std::uint32_t>(positions_.size());
  for (std::size_t j = 0; j < f.shared; ++j) {
    const std::uint32_t l = f.path[j];
    const std::uint32_t i = add_link(l);
    positions_.push_back(i);
    if (!at_expanded_[i] && saturated(at_capacity_[i], at_load_[i])) expand(l, i, stack);
  }
  f.positions = f.shared;
  if (f.shared == f.path.size()) return;
  // Its solo links enter as one private link: capacity the solo cap, nothing else on it.
  if (f.solo_stale) refresh_solo_cap(f);
  positions_.push_back(static_cast<std::uint32_t>(links_.size()));
  ++f.positions;
  links_.push_back(kSoloCap | id);
  at_capacity_.push_back(f.solo_cap);
  at_load_.push_back(f.old_rate);
  at_flows_.push_back(1);
  at_expanded_.push_back(1);
}

void MaxMinFluid::gather(core::TimePs now, std::vector<std::uint32_t>& stack) {
  while (!stack.empty()) {
    const std::uint32_t l = stack.back();
    stack.pop_back();
    for (auto id : link_[l].flows)
      if (flow_mark_[id] != epoch_) admit(now, id, stack);
  }
}

void MaxMinFluid::fill() {
  // Progressive filling of the flows in the solve, on what the flows left out leave of each link: the
  // link with the smallest fair share (residual / members not yet frozen) fixes the rate of its members;
  // their rates come off every link they cross; repeat. Everything is by position in links_.
  const std::size_t n = links_.size();
  outside_.assign(at_load_.begin(), at_load_.end());
  unfrozen_.assign(n, 0);
  for (auto id : flows_in_) {
    Flow& f = flows_[id];
    f.frozen = false;
    const std::uint32_t* position = positions_.data() + f.first_position;
    for (std::size_t k = 0; k < f.positions; ++k) {
      outside_[position[k]] -= f.old_rate;
      ++unfrozen_[position[k]];
    }
  }
  inside_count_ = unfrozen_;
  residual_.resize(n);
  for (std::size_t i = 0; i < n; ++i) residual_[i] = at_capacity_[i] - std::max(0.0, outside_[i]);
  auto share_of = [&](std::uint32_t i) { return std::max(residual_[i], 0.0) / unfrozen_[i]; };
  // Flows left to freeze (one with an empty path crosses no link: nothing limits it, and it moves no bytes).
  std::size_t left = 0;
  for (auto id : flows_in_) left += flows_[id].positions == 0 ? 0 : 1;
  // Fixes the rate of the unfrozen members of the link at position i, its share.
  std::size_t open = n;  // links with members not yet frozen (the heap's live entries)
  auto freeze_flow = [&](std::uint32_t id, double share) {
    Flow& f = flows_[id];
    if (flow_mark_[id] != epoch_ || f.frozen) return;
    f.frozen = true;
    --left;
    f.rate = std::max(share, 0.0);
    const std::uint32_t* position = positions_.data() + f.first_position;
    for (std::size_t k = 0; k < f.positions; ++k) {
      residual_[position[k]] -= f.rate;
      if (--unfrozen_[position[k]] == 0) --open;
    }
  };
  auto freeze = [&](std::uint32_t i, double share) {
    if (links_[i] & kSoloCap) return freeze_flow(links_[i] & ~kSoloCap, share);
    for (auto id : link_[links_[i]].flows) freeze_flow(id, share);
  };
  // Both ways below take the link of smallest (share, position) each time (the heap up to rounding: a
  // share that rounding lowered is refreshed late). Few flows freeze in few rounds, and then a scan over
  // the links per round beats keeping a heap.
  if (flows_in_.size() <= kScanFlows) {
    while (left > 0) {
      double best = std::numeric_limits<double>::infinity();
      std::uint32_t at = 0;
      for (std::uint32_t i = 0; i < n; ++i)
        if (unfrozen_[i] > 0 && share_of(i) < best) {
          best = share_of(i);
          at = i;
        }
      AIFABRIC_ASSERT(best < std::numeric_limits<double>::infinity(),
                      "max-min fill ran out of links with unfrozen flows");
      freeze(at, best);
    }
    return;
  }
  heap_.clear();
  for (std::uint32_t i = 0; i < n; ++i)
    if (unfrozen_[i] > 0) heap_.emplace_back(share_of(i), i);
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});
  open = heap_.size();
  while (left > 0) {
    AIFABRIC_ASSERT(!heap_.empty(), "max-min fill ran out of links with unfrozen flows");
    // A link whose members are all frozen stays in the heap until popped. A big gang freezing closes
    // hundreds of links at once: once closed ones are most of the heap it is rebuilt from the open ones
    // at their current shares (each rebuild at least halves it).
    if (heap_.size() > 2 * open + kScanFlows) {
      std::size_t kept = 0;
      for (const auto& entry : heap_)
        if (unfrozen_[entry.second] > 0) heap_[kept++] = {share_of(entry.second), entry.second};
      heap_.resize(kept);
      std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});
    }
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
    const auto [share, i] = heap_.back();
    heap_.pop_back();
    if (unfrozen_[i] == 0) continue;
    // Freezing flows elsewhere only raises a link's share ((r - x) / (u - 1) >= r / u when x <= r / u), so
    // entries are refreshed lazily: one that fell behind goes back with its current share.
    const double current = share_of(i);
    if (share != current) {
      heap_.emplace_back(current, i);
      std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
      continue;
    }
    freeze(i, share);
  }
}

void MaxMinFluid::flush(core::TimePs now) {
  if (fresh_.empty() && freed_.empty()) return;
  ++solves_;
  ++epoch_;
  links_.clear();
  at_capacity_.clear();
  at_load_.clear();
  at_flows_.clear();
  at_expanded_.clear();
  flows_in_.clear();
  positions_.clear();
  std::vector<std::uint32_t> stack;
  for (auto l : freed_) {
    // A freed link that turned solo since frees its one flow; one nobody crosses any more frees nobody.
    const std::uint32_t owner = link_[l].owner;
    if (owner == kNoFlow) continue;
    if (owner != kShared) {
      if (flow_mark_[owner] != epoch_) admit(now, owner, stack);
      continue;
    }
    const std::uint32_t i = add_link(l);
    if (!at_expanded_[i]) expand(l, i, stack);
  }
  for (auto id : fresh_)
    if (flows_[id].live && flow_mark_[id] != epoch_) admit(now, id, stack);
  freed_.clear();
  fresh_.clear();
  gather(now, stack);
  for (;;) {
    if (flows_in_.empty()) break;
    fill();
    // A link the new rates fill, shared with flows left out: they must join, and the solve repeats.
    for (std::uint32_t i = 0; i < links_.size(); ++i) {
      if (at_expanded_[i] || inside_count_[i] == at_flows_[i]) continue;
      if (saturated(at_capacity_[i], at_capacity_[i] - residual_[i])) expand(links_[i], i, stack);
    }
    if (stack.empty()) break;
    gather(now, stack);
  }
  solved_flows_ += flows_in_.size();
  solved_links_ += links_.size();
  for (std::size_t i = 0; i < links_.size(); ++i) {
    if (links_[i] & kSoloCap) continue;
    account(links_[i], now);
    link_[links_[i]].load = at_flows_[i] == 0 ? 0.0 : at_capacity_[i] - residual_[i];
  }
  for (auto id : flows_in_) {
    Flow& f = flows_[id];
    if (!f.fresh && std::fabs(f.rate - f.old_rate) <= kSameRate * f.old_rate) {
      f.rate = f.old_rate;  // its completion timer still holds
      continue;
    }
    f.fresh = false;
    ++f.generation;
    AIFABRIC_ASSERT(f.rate > 0 || f.remaining <= 0, "fluid flow without a rate");
    const double t = f.remaining > 0 ? f.remaining / f.rate : 0;
    set_timer_(now + static_cast<core::TimePs>(std::ceil(t)),
               (static_cast<std::uint64_t>(f.generation & kGenerationMask) << 32) | id);
  }
}

}  // namespace aifabric::flow
