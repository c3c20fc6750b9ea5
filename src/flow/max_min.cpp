#include "flow/max_min.hpp"

#include <algorithm>
#include <cmath>
#include <queue>

namespace aifabric::flow {
namespace {
constexpr std::uint32_t kGenerationMask = 0xffffff;
}

MaxMinFluid::MaxMinFluid(std::vector<double> capacity,
                         std::function<void(core::TimePs, std::uint64_t)> set_timer)
    : capacity_(std::move(capacity)),
      set_timer_(std::move(set_timer)),
      on_link_(capacity_.size()),
      carried_(capacity_.size(), 0.0),
      link_mark_(capacity_.size(), 0) {}

void MaxMinFluid::settle(core::TimePs now, Flow& f, std::uint32_t) {
  const double moved = std::min(f.remaining, f.rate * static_cast<double>(now - f.since));
  f.remaining -= moved;
  for (auto l : f.path) carried_[l] += moved;
  f.since = now;
}

void MaxMinFluid::start(core::TimePs now, std::vector<std::uint32_t> path, double bytes, std::uint64_t user) {
  std::uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(flows_.size());
    flows_.emplace_back();
    flow_mark_.push_back(0);
  }
  Flow& f = flows_[id];
  const std::uint32_t generation = f.generation;
  f = Flow{std::move(path), bytes, 0, now, generation, true, false, user};
  for (auto l : f.path) on_link_[l].push_back(id);
  ++active_;
  solve(now, flows_[id].path);
}

bool MaxMinFluid::on_timer(core::TimePs now, std::uint64_t key, std::uint64_t& user) {
  const auto id = static_cast<std::uint32_t>(key & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(key >> 32) & kGenerationMask;
  if (id >= flows_.size()) return false;
  Flow& f = flows_[id];
  if (!f.live || (f.generation & kGenerationMask) != generation) return false;  // superseded by a re-solve
  settle(now, f, id);
  f.live = false;
  ++f.generation;
  user = f.user;
  for (auto l : f.path) {
    auto& v = on_link_[l];
    v.erase(std::find(v.begin(), v.end(), id));
  }
  --active_;
  free_.push_back(id);
  const std::vector<std::uint32_t> links = std::move(f.path);
  f.path.clear();
  solve(now, links);
  return true;
}

double MaxMinFluid::rate(std::uint64_t user) const {
  for (const auto& f : flows_)
    if (f.live && f.user == user) return f.rate;
  return 0;
}

void MaxMinFluid::solve(core::TimePs now, const std::vector<std::uint32_t>& seed_links) {
  // The component: links and flows reachable from the changed links through shared links.
  ++epoch_;
  std::vector<std::uint32_t> links, flows;
  std::vector<std::uint32_t> stack;
  for (auto l : seed_links)
    if (link_mark_[l] != epoch_) {
      link_mark_[l] = epoch_;
      stack.push_back(l);
    }
  while (!stack.empty()) {
    const std::uint32_t l = stack.back();
    stack.pop_back();
    links.push_back(l);
    for (auto id : on_link_[l]) {
      if (flow_mark_[id] == epoch_) continue;
      flow_mark_[id] = epoch_;
      flows.push_back(id);
      for (auto other : flows_[id].path)
        if (link_mark_[other] != epoch_) {
          link_mark_[other] = epoch_;
          stack.push_back(other);
        }
    }
  }
  if (flows.empty()) return;
  // Progressive filling: the link with the smallest fair share (residual / unfrozen flows) fixes the rate
  // of all its unfrozen flows; their rates come off every link they cross; repeat.
  std::vector<double> residual(links.size());
  std::vector<std::uint32_t> unfrozen(links.size());
  // Position of each link in `links`, through a map held in link_mark_'s sibling: reuse a sorted copy.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> index;
  index.reserve(links.size());
  for (std::uint32_t i = 0; i < links.size(); ++i) index.emplace_back(links[i], i);
  std::sort(index.begin(), index.end());
  auto pos = [&](std::uint32_t l) {
    return std::lower_bound(index.begin(), index.end(), std::make_pair(l, 0u))->second;
  };
  for (std::uint32_t i = 0; i < links.size(); ++i) {
    residual[i] = capacity_[links[i]];
    unfrozen[i] = static_cast<std::uint32_t>(on_link_[links[i]].size());
  }
  for (auto id : flows) {
    settle(now, flows_[id], id);
    flows_[id].frozen = false;
  }
  using Entry = std::pair<double, std::uint32_t>;  // (fair share, link position)
  auto share_of = [&](std::uint32_t i) { return std::max(residual[i], 0.0) / unfrozen[i]; };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  for (std::uint32_t i = 0; i < links.size(); ++i)
    if (unfrozen[i] > 0) heap.emplace(share_of(i), i);
  while (!heap.empty()) {
    const auto [share, i] = heap.top();
    heap.pop();
    if (unfrozen[i] == 0 || share != share_of(i)) continue;  // stale entry
    for (auto id : on_link_[links[i]]) {
      Flow& f = flows_[id];
      if (f.frozen) continue;
      f.frozen = true;
      f.rate = std::max(share, 0.0);
      for (auto l : f.path) {
        const std::uint32_t j = pos(l);
        residual[j] -= f.rate;
        --unfrozen[j];
        if (unfrozen[j] > 0) heap.emplace(share_of(j), j);
      }
    }
  }
  for (auto id : flows) {
    Flow& f = flows_[id];
    ++f.generation;
    const double t = f.rate > 0 ? f.remaining / f.rate : 0;
    set_timer_(now + static_cast<core::TimePs>(std::ceil(t)),
               (static_cast<std::uint64_t>(f.generation & kGenerationMask) << 32) | id);
  }
}

}  // namespace aifabric::flow
