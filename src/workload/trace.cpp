#include "workload/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <unordered_map>

namespace aifabric::workload {
namespace {

constexpr std::uint32_t kNone = Program::kNone;

// A node, a matched send/receive pair, or one call of a collective on every rank of its communicator:
// what becomes one op (or one collective) of the program.
struct Unit {
  TraceNodeKind kind;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> members;  // (rank, node index); calls: group order
  std::uint32_t group = 0;
};

struct Matching {
  std::vector<Unit> units;
  std::vector<std::vector<std::uint32_t>> unit_of;                      // [rank][node]
  std::vector<std::unordered_map<std::uint64_t, std::uint32_t>> index;  // [rank]: id -> node
};

std::string where(std::uint32_t rank, std::uint32_t node) {
  return fmt::format("rank[{}].node[{}]", rank, node);
}

std::string describe(const TraceNode& n) {
  return fmt::format("{} node {}{}", name(n.kind), n.id, n.name.empty() ? "" : " ('" + n.name + "')");
}

std::vector<std::uint32_t> group_ranks(const TraceWorkload& t, std::uint32_t group) {
  if (group == 0) {
    std::vector<std::uint32_t> all(t.ranks.size());
    for (std::uint32_t r = 0; r < all.size(); ++r) all[r] = r;
    return all;
  }
  return t.groups.at(group);
}

std::optional<core::InputError> match(const TraceWorkload& t, Matching& m) {
  const auto nranks = static_cast<std::uint32_t>(t.ranks.size());
  for (const auto& [id, ranks] : t.groups) {
    const std::string f = fmt::format("groups.{}", id);
    if (id == 0) return core::field_error(f, "communicator 0 means every rank and cannot be redefined");
    if (ranks.empty()) return core::field_error(f, "expected at least one rank");
    std::vector<char> seen(nranks, 0);
    for (auto r : ranks) {
      if (r >= nranks)
        return core::field_error(f, fmt::format("rank {} is not in the trace (it has {} ranks)", r, nranks));
      if (seen[r]) return core::field_error(f, fmt::format("rank {} appears twice", r));
      seen[r] = 1;
    }
  }
  m.unit_of.assign(nranks, {});
  m.index.assign(nranks, {});
  // Per communicator and rank: its collective nodes in id order; per (source, destination, tag): sends and
  // receives in id order.
  std::map<std::uint32_t, std::vector<std::vector<std::pair<std::uint64_t, std::uint32_t>>>> calls;
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::int64_t>,
           std::pair<std::vector<std::pair<std::uint64_t, std::uint32_t>>,
                     std::vector<std::pair<std::uint64_t, std::uint32_t>>>>
      p2p;
  for (std::uint32_t r = 0; r < nranks; ++r) {
    const auto& nodes = t.ranks[r];
    m.unit_of[r].assign(nodes.size(), kNone);
    for (std::uint32_t i = 0; i < nodes.size(); ++i)
      if (!m.index[r].emplace(nodes[i].id, i).second)
        return core::field_error(where(r, i) + ".id", fmt::format("id {} appears twice", nodes[i].id));
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
      const auto& n = nodes[i];
      for (auto d : n.deps) {
        if (d == n.id) return core::field_error(where(r, i) + ".deps", describe(n) + " depends on itself");
        if (!m.index[r].count(d))
          return core::field_error(
              where(r, i) + ".deps",
              fmt::format("{} depends on node {}, which rank {} does not have", describe(n), d, r));
      }
      if (n.kind == TraceNodeKind::kCollective) {
        if (n.group != 0 && !t.groups.count(n.group))
          return core::field_error(
              where(r, i) + ".pg_name",
              fmt::format("{} uses communicator {}, which the trace does not define", describe(n), n.group));
        const auto ranks = group_ranks(t, n.group);
        const auto pos = std::find(ranks.begin(), ranks.end(), r);
        if (pos == ranks.end())
          return core::field_error(
              where(r, i) + ".pg_name",
              fmt::format("{} uses communicator {}, which rank {} is not part of", describe(n), n.group, r));
        auto& per = calls[n.group];
        per.resize(ranks.size());
        per[static_cast<std::size_t>(pos - ranks.begin())].emplace_back(n.id, i);
      } else if (n.kind == TraceNodeKind::kSend || n.kind == TraceNodeKind::kRecv) {
        if (n.peer >= nranks || n.peer == r)
          return core::field_error(where(r, i) + (n.kind == TraceNodeKind::kSend ? ".comm_dst" : ".comm_src"),
                                   fmt::format("{}: expected a rank other than {} below {}, got {}",
                                               describe(n), r, nranks, n.peer));
        if (n.kind == TraceNodeKind::kSend) {
          p2p[{r, n.peer, n.comm_tag}].first.emplace_back(n.id, i);
        } else {
          p2p[{n.peer, r, n.comm_tag}].second.emplace_back(n.id, i);
        }
      } else {
        m.unit_of[r][i] = static_cast<std::uint32_t>(m.units.size());
        m.units.push_back(Unit{n.kind, {{r, i}}, 0});
      }
    }
  }
  for (auto& [key, sr] : p2p) {
    auto& [sends, recvs] = sr;
    const auto [src, dst, tag] = key;
    std::sort(sends.begin(), sends.end());
    std::sort(recvs.begin(), recvs.end());
    if (sends.size() != recvs.size()) {
      const bool more_sends = sends.size() > recvs.size();
      const std::uint32_t r = more_sends ? src : dst;
      const std::uint32_t i = (more_sends ? sends : recvs)[std::min(sends.size(), recvs.size())].second;
      return core::field_error(
          where(r, i), fmt::format("{} from rank {} to rank {} (tag {}) has no matching {} on rank {}",
                                   describe(t.ranks[r][i]), src, dst, tag, more_sends ? "receive" : "send",
                                   more_sends ? dst : src));
    }
    for (std::size_t k = 0; k < sends.size(); ++k) {
      const auto& s = t.ranks[src][sends[k].second];
      const auto& v = t.ranks[dst][recvs[k].second];
      if (s.bytes != v.bytes)
        return core::field_error(
            where(dst, recvs[k].second) + ".comm_size",
            fmt::format("{} expects {} bytes; the matching send (rank {}, node {}) sends {}", describe(v),
                        v.bytes, src, s.id, s.bytes));
      const auto u = static_cast<std::uint32_t>(m.units.size());
      m.unit_of[src][sends[k].second] = m.unit_of[dst][recvs[k].second] = u;
      m.units.push_back(Unit{TraceNodeKind::kSend, {{src, sends[k].second}, {dst, recvs[k].second}}, 0});
    }
  }
  for (auto& [group, per] : calls) {
    const auto ranks = group_ranks(t, group);
    per.resize(ranks.size());
    for (auto& list : per) std::sort(list.begin(), list.end());
    for (std::size_t j = 0; j < ranks.size(); ++j)
      if (per[j].size() != per[0].size()) {
        const bool fewer = per[j].size() < per[0].size();
        const std::uint32_t r = fewer ? ranks[0] : ranks[j];
        const std::uint32_t i = fewer ? per[0][per[j].size()].second : per[j][per[0].size()].second;
        return core::field_error(
            where(r, i),
            fmt::format("{} is call {} on communicator {}, but rank {} makes only {} calls "
                        "on it",
                        describe(t.ranks[r][i]), std::min(per[0].size(), per[j].size()) + 1, group,
                        fewer ? ranks[j] : ranks[0], std::min(per[0].size(), per[j].size())));
      }
    for (std::size_t k = 0; k < per[0].size(); ++k) {
      Unit u{TraceNodeKind::kCollective, {}, group};
      const auto& first = t.ranks[ranks[0]][per[0][k].second];
      for (std::size_t j = 0; j < ranks.size(); ++j) {
        const auto& n = t.ranks[ranks[j]][per[j][k].second];
        if (n.collective != first.collective || n.bytes != first.bytes)
          return core::field_error(
              where(ranks[j], per[j][k].second),
              fmt::format("call {} on communicator {} is {} of {} bytes here but {} of {} bytes on rank {}",
                          k + 1, group, name(n.collective), n.bytes, name(first.collective), first.bytes,
                          ranks[0]));
        m.unit_of[ranks[j]][per[j][k].second] = static_cast<std::uint32_t>(m.units.size());
        u.members.emplace_back(ranks[j], per[j][k].second);
      }
      m.units.push_back(std::move(u));
    }
  }
  // Kahn's order over the units: a unit starts when every dependency of every member has finished.
  std::vector<std::vector<std::uint32_t>> next(m.units.size());
  std::vector<std::uint32_t> waiting(m.units.size(), 0);
  for (std::uint32_t u = 0; u < m.units.size(); ++u)
    for (const auto& [r, i] : m.units[u].members)
      for (auto d : t.ranks[r][i].deps) {
        next[m.unit_of[r][m.index[r].at(d)]].push_back(u);
        ++waiting[u];
      }
  std::deque<std::uint32_t> ready;
  for (std::uint32_t u = 0; u < m.units.size(); ++u)
    if (waiting[u] == 0) ready.push_back(u);
  std::size_t done = 0;
  while (!ready.empty()) {
    const auto u = ready.front();
    ready.pop_front();
    ++done;
    for (auto v : next[u])
      if (--waiting[v] == 0) ready.push_back(v);
  }
  if (done < m.units.size())
    for (std::uint32_t r = 0; r < nranks; ++r)
      for (std::uint32_t i = 0; i < t.ranks[r].size(); ++i)
        if (waiting[m.unit_of[r][i]] > 0)
          return core::field_error(where(r, i),
                                   describe(t.ranks[r][i]) +
                                       " never starts: it waits on a dependency cycle (through "
                                       "its dependencies or a matching collective, send or receive)");
  return std::nullopt;
}

CollectiveSpec spec_of(const TraceNode& n, std::vector<std::uint32_t> gpus, const TraceLayout& layout) {
  CollectiveSpec spec;
  spec.op = n.collective;
  spec.algorithm =
      n.collective == Collective::kAllReduce ? layout.allreduce : algorithms_for(n.collective).front();
  spec.ranks = std::move(gpus);
  spec.bytes = n.bytes;
  spec.launch_ps = layout.iteration.collective_launch_ps;
  spec.aggregate = layout.iteration.aggregate_collectives;
  return spec;
}

bool one_server(const std::vector<std::uint32_t>& gpus, const std::vector<std::uint32_t>& server_of) {
  return std::all_of(gpus.begin(), gpus.end(),
                     [&](std::uint32_t g) { return server_of[g] == server_of[gpus[0]]; });
}

}  // namespace

const char* name(TraceNodeKind kind) {
  switch (kind) {
    case TraceNodeKind::kMetadata:
      return "metadata";
    case TraceNodeKind::kMemLoad:
      return "memory load";
    case TraceNodeKind::kMemStore:
      return "memory store";
    case TraceNodeKind::kCompute:
      return "compute";
    case TraceNodeKind::kSend:
      return "send";
    case TraceNodeKind::kRecv:
      return "receive";
    case TraceNodeKind::kCollective:
      return "collective";
  }
  return "?";
}

std::optional<core::InputError> check(const TraceWorkload& trace, const std::vector<std::uint32_t>& gpus,
                                      const std::vector<std::uint32_t>& server_of, Algorithm allreduce) {
  if (trace.ranks.size() != gpus.size())
    return core::field_error("gpus", fmt::format("the trace has {} ranks but the job has {} GPUs",
                                                 trace.ranks.size(), gpus.size()));
  Matching m;
  if (auto problem = match(trace, m)) return problem;
  TraceLayout layout;
  layout.allreduce = allreduce;
  for (const auto& u : m.units) {
    if (u.kind != TraceNodeKind::kCollective) continue;
    std::vector<std::uint32_t> g;
    for (const auto& [r, i] : u.members) g.push_back(gpus[r]);
    const auto& n = trace.ranks[u.members[0].first][u.members[0].second];
    if (n.collective == Collective::kAllReduce && one_server(g, server_of)) continue;
    if (auto problem = check(spec_of(n, g, layout), server_of, server_of.size()))
      return core::field_error(
          where(u.members[0].first, u.members[0].second),
          fmt::format("{} on communicator {}: {}", describe(n), u.group, problem->expected()));
  }
  return std::nullopt;
}

std::vector<std::uint32_t> append_trace_iteration(Program& program, const TraceWorkload& trace,
                                                  const std::vector<std::uint32_t>& gpus, const GpuSpec& gpu,
                                                  const std::vector<std::uint32_t>& server_of,
                                                  const TraceLayout& layout, std::uint32_t compute_tag) {
  Matching m;
  AIFABRIC_ASSERT(!match(trace, m), "append_trace_iteration needs a checked trace");
  const std::uint32_t collective_tag = program.tag("collective"), p2p_tag = program.tag("p2p");
  auto tag_of = [&](const TraceNode& n, std::uint32_t fallback) {
    return n.tag.empty() ? fallback : program.tag(n.tag);
  };
  const double flops_per_ps = gpu.peak_tflops * layout.gpu_efficiency;  // TFLOP/s = FLOP/ps
  const double bytes_per_ps = gpu.memory_tbytes_per_s;                  // TB/s = B/ps
  auto compute_ps = [&](const TraceNode& n) -> core::TimePs {
    if (n.duration_ps > 0 || n.kind == TraceNodeKind::kMetadata) return n.duration_ps;
    const double flops = n.kind == TraceNodeKind::kCompute ? n.flops / flops_per_ps : 0;
    return static_cast<core::TimePs>(std::ceil(std::max(flops, static_cast<double>(n.bytes) / bytes_per_ps)));
  };
  std::vector<std::vector<std::uint32_t>> entry(trace.ranks.size()), exit(trace.ranks.size());
  for (std::size_t r = 0; r < trace.ranks.size(); ++r) {
    entry[r].assign(trace.ranks[r].size(), kNone);
    exit[r].assign(trace.ranks[r].size(), kNone);
  }
  for (const auto& u : m.units) {
    const auto [r0, i0] = u.members[0];
    const TraceNode& n = trace.ranks[r0][i0];
    if (u.kind == TraceNodeKind::kSend) {
      const auto [r1, i1] = u.members[1];
      const std::uint32_t op = program.add_transfer(gpus[r0], gpus[r1], n.bytes, tag_of(n, p2p_tag));
      entry[r0][i0] = exit[r0][i0] = entry[r1][i1] = exit[r1][i1] = op;
    } else if (u.kind == TraceNodeKind::kCollective) {
      std::vector<std::uint32_t> g;
      for (const auto& [r, i] : u.members) g.push_back(gpus[r]);
      const std::uint32_t tag = tag_of(n, collective_tag);
      if (n.collective == Collective::kAllReduce && one_server(g, server_of)) {
        const core::TimePs ps =
            nvlink_ring_allreduce_ps(n.bytes, static_cast<std::uint32_t>(g.size()), layout.iteration);
        for (std::size_t j = 0; j < g.size(); ++j) {
          const auto [r, i] = u.members[j];
          entry[r][i] = exit[r][i] = program.add_compute(g[j], ps, tag);
        }
        continue;
      }
      std::vector<std::uint32_t> start(g.size());
      for (std::size_t j = 0; j < g.size(); ++j) {
        const auto [r, i] = u.members[j];
        start[j] = entry[r][i] = program.add_compute(g[j], 0, compute_tag);
      }
      const auto out = append_collective(program, spec_of(n, g, layout), server_of, start, tag);
      for (std::size_t j = 0; j < g.size(); ++j) exit[u.members[j].first][u.members[j].second] = out[j];
    } else {
      entry[r0][i0] = exit[r0][i0] = program.add_compute(gpus[r0], compute_ps(n), tag_of(n, compute_tag));
    }
  }
  std::vector<std::uint32_t> finish;
  for (std::uint32_t r = 0; r < trace.ranks.size(); ++r) {
    const auto& nodes = trace.ranks[r];
    std::vector<char> needed(nodes.size(), 0);
    for (std::uint32_t i = 0; i < nodes.size(); ++i)
      for (auto d : nodes[i].deps) {
        const std::uint32_t before = m.index[r].at(d);
        needed[before] = 1;
        if (exit[r][before] != entry[r][i]) program.depend(exit[r][before], entry[r][i]);
      }
    for (std::uint32_t i = 0; i < nodes.size(); ++i)
      if (!needed[i]) finish.push_back(exit[r][i]);
  }
  std::sort(finish.begin(), finish.end());
  finish.erase(std::unique(finish.begin(), finish.end()), finish.end());
  return finish;
}

TraceWorkload trace_of(const Program& program, std::uint32_t first_op, std::uint32_t end_op,
                       const std::vector<std::uint32_t>& gpus) {
  const auto& ops = program.ops();
  std::unordered_map<std::uint32_t, std::uint32_t> rank_of;
  for (std::uint32_t r = 0; r < gpus.size(); ++r) rank_of.emplace(gpus[r], r);
  auto rank = [&](std::uint32_t gpu, std::uint32_t op) {
    const auto it = rank_of.find(gpu);
    if (it == rank_of.end())
      throw core::InputError(core::Location{"", 0, 0, "gpus"},
                             fmt::format("op {} runs on GPU {}, which is not one of the job's", op, gpu));
    return it->second;
  };
  // Each op's place in the trace: per GPU it touches, the node it starts with and the node it ends with.
  struct Presence {
    std::uint32_t gpu;
    std::uint32_t rank;
    std::uint32_t entry, exit;  // node indices on that rank
  };
  const std::uint32_t count = end_op - first_op;
  std::vector<std::uint32_t> call_of(count, kNone);
  for (std::uint32_t c = 0; c < program.calls().size(); ++c) {
    const auto& call = program.calls()[c];
    const bool inside =
        (call.first_op == call.end_op || (call.first_op >= first_op && call.end_op <= end_op)) &&
        std::all_of(call.done.begin(), call.done.end(),
                    [&](std::uint32_t op) { return op >= first_op && op < end_op; });
    if (!inside) continue;
    for (std::uint32_t op = call.first_op; op < call.end_op; ++op) call_of[op - first_op] = c;
    for (auto op : call.done) call_of[op - first_op] = c;
  }
  TraceWorkload t;
  t.ranks.resize(gpus.size());
  std::map<std::vector<std::uint32_t>, std::uint32_t> group_ids;
  std::unordered_map<std::uint32_t, std::vector<Presence>> call_presence;
  std::vector<std::vector<Presence>> presence(count);
  auto add = [&](std::uint32_t r, TraceNode n) {
    n.id = t.ranks[r].size();
    t.ranks[r].push_back(std::move(n));
    return static_cast<std::uint32_t>(t.ranks[r].size() - 1);
  };
  auto tag_name = [&](std::uint32_t tag) { return program.tag_names()[tag]; };
  auto pair = [&](std::uint32_t src, std::uint32_t dst, std::uint64_t bytes, std::uint32_t tag,
                  std::uint32_t op, std::vector<Presence>& at) {
    const std::uint32_t rs = rank(src, op), rd = rank(dst, op);
    TraceNode s;
    s.kind = TraceNodeKind::kSend;
    s.name = tag_name(tag) + ":send";
    s.bytes = bytes;
    s.peer = rd;
    s.comm_tag = op;
    s.tag = tag_name(tag);
    TraceNode v = s;
    v.kind = TraceNodeKind::kRecv;
    v.name = tag_name(tag) + ":recv";
    v.peer = rs;
    const std::uint32_t a = add(rs, std::move(s)), b = add(rd, std::move(v));
    at.push_back({src, rs, a, a});
    at.push_back({dst, rd, b, b});
  };
  for (std::uint32_t i = first_op; i < end_op; ++i) {
    const Op& o = ops[i];
    auto& at = presence[i - first_op];
    if (const std::uint32_t c = call_of[i - first_op]; c != kNone) {
      if (call_presence.count(c)) continue;
      const auto& call = program.calls()[c];
      std::vector<std::uint32_t> ranks;
      for (auto g : call.ranks) ranks.push_back(rank(g, i));
      const auto id =
          group_ids.emplace(ranks, static_cast<std::uint32_t>(group_ids.size() + 1)).first->second;
      t.groups[id] = ranks;
      auto& cp = call_presence[c];
      for (std::size_t j = 0; j < ranks.size(); ++j) {
        TraceNode n;
        n.kind = TraceNodeKind::kCollective;
        n.name = tag_name(call.tag) + ":" + name(call.op);
        n.collective = call.op;
        n.bytes = call.bytes;
        n.group = id;
        n.tag = tag_name(call.tag);
        std::uint32_t first = kNone, last = kNone;
        for (std::uint32_t k = 0; k < call.repeat; ++k) {
          TraceNode each = n;
          if (last != kNone) each.deps.push_back(t.ranks[ranks[j]][last].id);
          last = add(ranks[j], std::move(each));
          if (first == kNone) first = last;
        }
        cp.push_back({call.ranks[j], ranks[j], first, last});
      }
      continue;
    }
    switch (o.kind) {
      case OpKind::kCompute: {
        TraceNode n;
        n.kind = TraceNodeKind::kCompute;
        n.name = tag_name(o.tag);
        n.duration_ps = o.duration;
        if (n.name != "compute") n.tag = n.name;
        const std::uint32_t r = rank(o.src, i);
        const std::uint32_t a = add(r, std::move(n));
        at.push_back({o.src, r, a, a});
        break;
      }
      case OpKind::kTransfer:
        pair(o.src, o.dst, o.bytes, o.tag, i, at);
        break;
      case OpKind::kGroup:
        if (o.rounds == 1) {
          for (const auto& [src, dst] : program.members(o)) pair(src, dst, o.bytes, o.tag, i, at);
          break;
        }
        [[fallthrough]];
      case OpKind::kRingEntry:
      case OpKind::kRingExit:
        throw core::InputError(
            core::Location{"", 0, 0, "program"},
            fmt::format("op {} ({}) is part of a collective the program did not record", i, tag_name(o.tag)));
    }
  }
  auto presence_of = [&](std::uint32_t op) -> const std::vector<Presence>& {
    const std::uint32_t c = call_of[op - first_op];
    return c == kNone ? presence[op - first_op] : call_presence.at(c);
  };
  for (std::uint32_t a = first_op; a < end_op; ++a) {
    const Op& o = ops[a];
    for (std::uint32_t k = 0; k < o.successors; ++k) {
      const std::uint32_t b = program.successor(o.first_successor + k);
      if (b < first_op || b >= end_op) continue;
      if (call_of[a - first_op] != kNone && call_of[a - first_op] == call_of[b - first_op]) continue;
      const auto& from = presence_of(a);
      const auto& to = presence_of(b);
      bool carried = false;
      for (const auto& p : to)
        for (const auto& q : from)
          if (p.gpu == q.gpu) {
            t.ranks[p.rank][p.entry].deps.push_back(t.ranks[q.rank][q.exit].id);
            carried = true;
          }
      if (!carried)
        throw core::InputError(
            core::Location{"", 0, 0, "program"},
            fmt::format("op {} on GPU {} waits for op {} on GPU {}, a dependency between ranks "
                        "that no communication carries",
                        b, ops[b].src, a, o.src));
    }
  }
  for (auto& nodes : t.ranks)
    for (auto& n : nodes) {
      std::sort(n.deps.begin(), n.deps.end());
      n.deps.erase(std::unique(n.deps.begin(), n.deps.end()), n.deps.end());
    }
  return t;
}

}  // namespace aifabric::workload
