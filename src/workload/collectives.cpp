#include "workload/collectives.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "workload/nccl.hpp"

namespace aifabric::workload {
namespace {

constexpr std::uint32_t kNone = Program::kNone;

// Splits `total` into `parts` near-equal pieces; piece i.
std::uint64_t piece(std::uint64_t total, std::uint64_t parts, std::uint64_t i) {
  return total * (i + 1) / parts - total * i / parts;
}

struct Builder {
  Program& p;
  const CollectiveSpec& s;
  const std::vector<std::uint32_t>& server_of;
  std::uint32_t tag;
  std::uint8_t cost = 0;            // the protocol's step cost (Program::add_step_cost)
  std::uint8_t pipelined_cost = 0;  // the same for the second and later chunks of a pipeline
  std::uint32_t n() const { return static_cast<std::uint32_t>(s.ranks.size()); }
  std::uint32_t send(std::uint32_t from, std::uint32_t to, std::uint64_t bytes,
                     std::initializer_list<std::uint32_t> deps) {
    const std::uint32_t op = p.add_transfer(s.ranks[from], s.ranks[to], bytes, tag);
    p.set_cost(op, cost);
    for (auto d : deps) p.depend(d, op);
    return op;
  }
  std::uint32_t join(std::uint32_t rank, const std::vector<std::uint32_t>& deps) {
    const std::uint32_t op = p.add_compute(s.ranks[rank], 0, tag);
    for (auto d : deps) p.depend(d, op);
    return op;
  }
};

// The GPU's rail: its index among the GPUs of its server (servers hold consecutive GPUs, each GPU's NIC on
// the rail of its index).
std::uint32_t rail_of(std::uint32_t gpu, const std::vector<std::uint32_t>& server_of) {
  std::uint32_t first = gpu;
  while (first > 0 && server_of[first - 1] == server_of[gpu]) --first;
  return gpu - first;
}

// PXN (NCCL's PCI x NVLink, on by default since 2.12): a GPU sending to another server sends through the
// NIC of the GPU of its own server that is on the receiver's rail, which it reaches over NVLink, so the
// message crosses the fabric from rail to rail (src/transport/net.cc, ncclTopoGetIntermediateRank;
// docs/models/collectives.md). Per ring position: that GPU, or its own when no rank of its server is on
// that rail.
std::vector<std::uint32_t> pxn_carriers(const std::vector<std::uint32_t>& gpus,
                                        const std::vector<std::uint32_t>& server_of) {
  const auto m = static_cast<std::uint32_t>(gpus.size());
  std::vector<std::uint32_t> via(gpus);
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> on_rail;  // (server, rail) -> GPU
  for (std::uint32_t i = 0; i < m; ++i) on_rail[{server_of[gpus[i]], rail_of(gpus[i], server_of)}] = gpus[i];
  for (std::uint32_t i = 0; i < m; ++i) {
    const std::uint32_t dst = gpus[(i + 1) % m];
    if (server_of[dst] == server_of[gpus[i]]) continue;
    const auto it = on_rail.find({server_of[gpus[i]], rail_of(dst, server_of)});
    if (it != on_rail.end()) via[i] = it->second;
  }
  return via;
}

// Ring over `order` (indices into ranks) for `steps` steps over `data` (Program::add_ring), through PXN
// carriers; position i joins when op `start[i]` has finished. Returns, per position, the op after which
// its last send and last receive are done.
std::vector<std::uint32_t> ring(Builder& b, const std::vector<std::uint32_t>& order, std::uint32_t steps,
                                std::uint64_t data, const std::vector<std::uint32_t>& start) {
  const auto m = static_cast<std::uint32_t>(order.size());
  if (m < 2 || steps == 0) return start;
  std::vector<std::uint32_t> gpus(m);
  for (std::uint32_t i = 0; i < m; ++i) gpus[i] = b.s.ranks[order[i]];
  const std::uint32_t r =
      b.p.add_ring(gpus, steps, data, b.tag,
                   b.s.pxn ? pxn_carriers(gpus, b.server_of) : std::vector<std::uint32_t>{}, b.cost);
  std::vector<std::uint32_t> out(m);
  for (std::uint32_t i = 0; i < m; ++i) {
    b.p.depend(start[i], b.p.ring_entry(r, i));
    out[i] = b.p.ring_exit(r, i);
  }
  return out;
}

// A ring (as ring() runs it) as one group op (CollectiveSpec::aggregate): every edge streams the `steps`
// blocks it carries at once, at the rate its link gives it, the network edges through their PXN carriers
// (an NVLink leg to the carrier, then the carrier's NIC). It pays the step latencies of the chain of `steps`
// consecutive edges that crosses the network most often. With one rank per server every edge is a network
// edge and this is the ring's lockstep run exactly; with several ranks per server the expanded ring moves
// whole blocks step by step and queues them at the network edges, where the group streams them as NCCL's
// slices do (docs/models/collectives.md compares the two).
std::uint32_t aggregated_ring(Builder& b, const std::vector<std::uint32_t>& order, std::uint32_t steps,
                              std::uint64_t data) {
  const auto m = static_cast<std::uint32_t>(order.size());
  std::vector<std::uint32_t> gpus(m);
  for (std::uint32_t i = 0; i < m; ++i) gpus[i] = b.s.ranks[order[i]];
  const auto via = b.s.pxn ? pxn_carriers(gpus, b.server_of) : gpus;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> members;
  std::vector<std::uint8_t> crosses(m, 0);
  for (std::uint32_t i = 0; i < m; ++i) {
    const std::uint32_t dst = gpus[(i + 1) % m];
    if (b.server_of[gpus[i]] == b.server_of[dst]) {
      members.emplace_back(gpus[i], dst);
      continue;
    }
    crosses[i] = 1;
    if (via[i] != gpus[i]) members.emplace_back(gpus[i], via[i]);
    members.emplace_back(via[i], dst);
  }
  // Each edge carries `steps` blocks: all m blocks of the channel's data in every full lap.
  std::uint64_t per_edge = 0;
  for (std::uint32_t k = 0; k < steps; ++k) per_edge += piece(data, m, (m - k % m) % m);
  // Network crossings of the chain of `steps` edges from position i, the most over i: full laps, and a
  // window of the remaining edges slid round the ring.
  const std::uint32_t per_lap = static_cast<std::uint32_t>(std::count(crosses.begin(), crosses.end(), 1));
  const std::uint32_t rest = steps % m;
  std::uint32_t window = 0;
  for (std::uint32_t i = 0; i < rest; ++i) window += crosses[i];
  std::uint32_t most = window;
  for (std::uint32_t i = 1; i < m; ++i) {
    window = window - crosses[i - 1] + crosses[(i + rest - 1) % m];
    most = std::max(most, window);
  }
  const std::uint32_t crossings = steps / m * per_lap + most;
  const std::uint32_t group = b.p.add_group(members, per_edge, crossings, b.tag, steps - crossings);
  b.p.set_cost(group, b.cost);
  return group;
}

// Pipelined chain from order[0] to order.back(): chunk j leaves position i after it arrived and after chunk
// j-1 left. Returns per position the last op touching it.
std::vector<std::uint32_t> chain(Builder& b, const std::vector<std::uint32_t>& order, std::uint64_t bytes,
                                 std::uint64_t chunks, const std::vector<std::uint32_t>& start) {
  const auto m = static_cast<std::uint32_t>(order.size());
  std::vector<std::uint32_t> last(m, kNone), arrived(m, kNone);
  for (std::uint64_t j = 0; j < chunks; ++j) {
    const std::uint64_t c = piece(bytes, chunks, j);
    for (std::uint32_t i = 0; i + 1 < m; ++i) {
      const std::uint32_t op = b.send(order[i], order[i + 1], c, {last[i], i == 0 ? kNone : arrived[i]});
      if (j > 0) b.p.set_cost(op, b.pipelined_cost);
      if (j == 0) {
        b.p.depend(start[order[i]], op);
        b.p.depend(start[order[i + 1]], op);
      }
      last[i] = op;
      arrived[i + 1] = op;
    }
  }
  for (std::uint32_t i = 0; i < m; ++i)
    if (last[i] == kNone) last[i] = arrived[i] == kNone ? start[order[i]] : arrived[i];
  return last;
}

// A tree over positions 0..m-1 mapped to ranks through `order`; every position's parent comes before it
// (position 0 is the root).
struct Tree {
  std::vector<std::uint32_t> order;
  std::vector<std::uint32_t> parent;  // per position; parent[0] unused
};

// NCCL's tree for one channel (src/graph/trees.cc, connect.cc): a binary tree over the servers in heap
// layout (server q's parent is (q - 1) / 2; `mirror` reverses the servers, the second tree of the double
// binary tree), and inside each server a chain from its head, the rank on the channel's rail, through its
// other ranks in rail order. A server's head links to its parent server's head, both on that rail, so the
// tree crosses the fabric within a rail. With one rank per server this is the heap over the ranks.
Tree nccl_tree(const std::vector<std::uint32_t>& servers,
               const std::map<std::uint32_t, std::vector<std::uint32_t>>& members, std::uint32_t channel,
               bool mirror) {
  Tree t;
  const auto ns = static_cast<std::uint32_t>(servers.size());
  std::vector<std::uint32_t> head(ns);
  for (std::uint32_t q = 0; q < ns; ++q) {
    const auto& m = members.at(servers[mirror ? ns - 1 - q : q]);
    head[q] = static_cast<std::uint32_t>(t.order.size());
    for (std::size_t j = 0; j < m.size(); ++j) {
      t.order.push_back(m[(j + channel) % m.size()]);
      t.parent.push_back(j > 0   ? static_cast<std::uint32_t>(t.order.size() - 2)
                         : q > 0 ? head[(q - 1) / 2]
                                 : 0);
    }
  }
  return t;
}

// A tree's pipelined reduce and broadcast (tree_allreduce) as one group op (CollectiveSpec::aggregate):
// every edge streams `bytes` up and `bytes` down at once at the rate its links give it, after the step
// latencies of the deepest path, up and back down (the network hops and the NVLink hops of the position
// with the most network hops, then the most NVLink hops), as NCCL's cost model charges a tree.
std::uint32_t aggregated_tree(Builder& b, const Tree& t, std::uint64_t bytes) {
  const auto m = static_cast<std::uint32_t>(t.order.size());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> members;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> depth(m, {0, 0});  // (network, NVLink) hops
  std::pair<std::uint32_t, std::uint32_t> deepest{0, 0};
  for (std::uint32_t pos = 1; pos < m; ++pos) {
    const std::uint32_t child = b.s.ranks[t.order[pos]];
    const std::uint32_t parent = b.s.ranks[t.order[t.parent[pos]]];
    members.emplace_back(child, parent);
    members.emplace_back(parent, child);
    depth[pos] = depth[t.parent[pos]];
    ++(b.server_of[child] == b.server_of[parent] ? depth[pos].second : depth[pos].first);
    deepest = std::max(deepest, depth[pos]);
  }
  if (members.empty()) members.emplace_back(b.s.ranks[t.order[0]], b.s.ranks[t.order[0]]);
  const std::uint32_t group = b.p.add_group(members, bytes, 2 * deepest.first, b.tag, 2 * deepest.second);
  b.p.set_cost(group, b.cost);
  return group;
}

// Pipelined reduce up then broadcast down one tree; returns per rank index the last op.
std::vector<std::uint32_t> tree_allreduce(Builder& b, const Tree& t, std::uint64_t bytes,
                                          std::uint64_t chunks, const std::vector<std::uint32_t>& start) {
  const auto m = static_cast<std::uint32_t>(t.order.size());
  std::vector<std::vector<std::uint32_t>> children(m);
  for (std::uint32_t pos = 1; pos < m; ++pos) children[t.parent[pos]].push_back(pos);
  std::vector<std::uint32_t> up_last(m, kNone), down_last(m, kNone), last(b.n(), kNone);
  for (std::uint64_t j = 0; j < chunks; ++j) {
    const std::uint64_t c = piece(bytes, chunks, j);
    auto transfer = [&](std::uint32_t from, std::uint32_t to, std::uint64_t size) {
      const std::uint32_t op =
          b.p.add_transfer(b.s.ranks[t.order[from]], b.s.ranks[t.order[to]], size, b.tag);
      b.p.set_cost(op, j == 0 ? b.cost : b.pipelined_cost);
      return op;
    };
    // Up: deepest positions first so children's sends exist before the parent's.
    std::vector<std::vector<std::uint32_t>> got(m);
    for (std::uint32_t pos = m; pos-- > 1;) {
      const std::uint32_t parent = t.parent[pos];
      const std::uint32_t op = transfer(pos, parent, c);
      for (auto d : got[pos]) b.p.depend(d, op);
      b.p.depend(up_last[pos], op);
      if (j == 0) {
        b.p.depend(start[t.order[pos]], op);
        b.p.depend(start[t.order[parent]], op);
      }
      up_last[pos] = op;
      got[parent].push_back(op);
    }
    // Down: the root has chunk j once its children's chunk j arrived.
    std::vector<std::uint32_t> have(m, kNone);
    have[0] = got[0].empty() ? start[t.order[0]] : b.join(t.order[0], got[0]);
    for (std::uint32_t pos = 1; pos < m; ++pos) {
      const std::uint32_t op = transfer(t.parent[pos], pos, c);
      b.p.depend(have[t.parent[pos]], op);
      b.p.depend(down_last[pos],
                 op);  // chunks reach each child in order; the children are served concurrently
      down_last[pos] = op;
      have[pos] = op;
    }
    for (std::uint32_t pos = 0; pos < m; ++pos) last[t.order[pos]] = have[pos];
  }
  // A rank is done when it has the last chunk and has passed it on to its children.
  for (std::uint32_t pos = 0; pos < m; ++pos) {
    std::vector<std::uint32_t> deps = {last[t.order[pos]]};
    for (const std::uint32_t child : children[pos]) deps.push_back(down_last[child]);
    if (deps.size() > 1) last[t.order[pos]] = b.join(t.order[pos], deps);
  }
  return last;
}

}  // namespace

const char* name(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return "all_reduce";
    case Collective::kAllGather:
      return "all_gather";
    case Collective::kReduceScatter:
      return "reduce_scatter";
    case Collective::kBroadcast:
      return "broadcast";
    case Collective::kReduce:
      return "reduce";
    case Collective::kAllToAll:
      return "alltoall";
    case Collective::kSendRecv:
      return "sendrecv";
  }
  return "?";
}

const char* name(Algorithm a) {
  switch (a) {
    case Algorithm::kRing:
      return "ring";
    case Algorithm::kTree:
      return "tree";
    case Algorithm::kHalvingDoubling:
      return "halving_doubling";
    case Algorithm::kHierarchical:
      return "hierarchical";
    case Algorithm::kPipeline:
      return "pipeline";
    case Algorithm::kDirect:
      return "direct";
    case Algorithm::kPairwise:
      return "pairwise";
  }
  return "?";
}

const char* name(Protocol p) {
  switch (p) {
    case Protocol::kDefault:
      return "default";
    case Protocol::kLL:
      return "LL";
    case Protocol::kLL128:
      return "LL128";
    case Protocol::kSimple:
      return "Simple";
  }
  return "?";
}

std::vector<Algorithm> algorithms_for(Collective c) {
  switch (c) {
    case Collective::kAllReduce:
      return {Algorithm::kRing, Algorithm::kTree, Algorithm::kHalvingDoubling, Algorithm::kHierarchical};
    case Collective::kAllGather:
    case Collective::kReduceScatter:
      return {Algorithm::kRing, Algorithm::kHierarchical};
    case Collective::kBroadcast:
    case Collective::kReduce:
      return {Algorithm::kPipeline};
    case Collective::kAllToAll:
      return {Algorithm::kPairwise, Algorithm::kDirect};
    case Collective::kSendRecv:
      return {Algorithm::kDirect};
  }
  return {};
}

double bus_factor(Collective c, std::uint32_t n) {
  const double r = static_cast<double>(n);
  switch (c) {
    case Collective::kAllReduce:
      return 2.0 * (r - 1) / r;
    case Collective::kAllGather:
    case Collective::kReduceScatter:
    case Collective::kAllToAll:
      return (r - 1) / r;
    case Collective::kBroadcast:
    case Collective::kReduce:
    case Collective::kSendRecv:
      return 1.0;
  }
  return 1.0;
}

std::optional<core::InputError> check(const CollectiveSpec& s, const std::vector<std::uint32_t>& server_of,
                                      std::size_t gpus) {
  if (s.ranks.size() < 2)
    return core::field_error("",
                             fmt::format("a communicator needs at least 2 ranks, got {}", s.ranks.size()));
  std::vector<char> seen(gpus, 0);
  for (auto r : s.ranks) {
    if (r >= gpus)
      return core::field_error("", fmt::format("rank {} is not a GPU of the cluster (it has {})", r, gpus));
    if (seen[r]) return core::field_error("", fmt::format("GPU {} appears twice in the communicator", r));
    seen[r] = 1;
  }
  const auto algos = algorithms_for(s.op);
  if (std::find(algos.begin(), algos.end(), s.algorithm) == algos.end()) {
    std::string names;
    for (auto a : algos) names += (names.empty() ? "" : ", ") + std::string(name(a));
    return core::field_error(
        "", fmt::format("{} has no {} algorithm; expected one of: {}", name(s.op), name(s.algorithm), names));
  }
  if (s.channels == 0) return core::field_error("", "channels must be >= 1");
  if (s.root >= s.ranks.size())
    return core::field_error("", fmt::format("root {} is not a rank index (the communicator has {} ranks)",
                                             s.root, s.ranks.size()));
  const auto n = s.ranks.size();
  if (s.algorithm == Algorithm::kHalvingDoubling && (n & (n - 1)) != 0)
    return core::field_error("",
                             fmt::format("halving_doubling needs a power-of-two number of ranks, got {}", n));
  if (s.algorithm == Algorithm::kHierarchical && s.group_ranks > 0) {
    if (n % s.group_ranks != 0 || n / s.group_ranks < 2 || s.group_ranks < 2)
      return core::field_error("",
                               fmt::format("hierarchical needs at least 2 groups of the same size, each of "
                                           "at least 2 ranks; {} ranks do not divide into groups of {}",
                                           n, s.group_ranks));
  } else if (s.algorithm == Algorithm::kHierarchical) {
    std::map<std::uint32_t, std::uint32_t> per_server;
    for (auto r : s.ranks) ++per_server[server_of[r]];
    const std::uint32_t g = per_server.begin()->second;
    for (const auto& [srv, count] : per_server)
      if (count != g)
        return core::field_error("", fmt::format("hierarchical needs the same number of ranks on every "
                                                 "server; server {} has {}, server {} has {}",
                                                 per_server.begin()->first, g, srv, count));
    if (per_server.size() < 2 || g < 2)
      return core::field_error("", "hierarchical needs at least 2 servers with at least 2 ranks each");
  }
  return std::nullopt;
}

std::vector<std::uint32_t> append_collective(Program& program, const CollectiveSpec& s,
                                             const std::vector<std::uint32_t>& server_of,
                                             const std::vector<std::uint32_t>& start_in, std::uint32_t tag) {
  Builder b{program, s, server_of, tag};
  const auto first_op = static_cast<std::uint32_t>(program.size());
  const std::uint32_t n = b.n();
  std::vector<std::uint32_t> servers;
  std::map<std::uint32_t, std::vector<std::uint32_t>> members;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t srv = server_of[s.ranks[i]];
    if (!members.count(srv)) servers.push_back(srv);
    members[srv].push_back(i);
  }
  // The protocol's step latencies and bandwidth. A pipeline's later chunks follow the first one through
  // each hop without a step latency of their own: NCCL keeps NCCL_STEPS slices in flight per connection,
  // so a hop's latency is paid once per pipeline, not once per chunk.
  StepCost step;
  if (s.protocol != Protocol::kDefault) {
    step = nccl_step_cost(s.op, s.algorithm, s.protocol, static_cast<std::uint32_t>(servers.size()));
    b.cost = program.add_step_cost(step);
  }
  b.pipelined_cost = program.add_step_cost(StepCost{0, 0, step.payload_fraction});
  std::vector<std::uint32_t> start = start_in;
  start.resize(n, kNone);
  if (s.launch_ps > 0)
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t launch = program.add_compute(s.ranks[i], s.launch_ps, tag);
      program.depend(start[i], launch);
      start[i] = launch;
    }
  // Ring order per channel, as NCCL builds rings: servers in turn, and inside each server its ranks rotated
  // by the channel number, so that each channel enters every server on its own rail (and, through PXN,
  // leaves it on the same rail).
  auto ring_order = [&](std::uint32_t ch) {
    std::vector<std::uint32_t> order;
    order.reserve(n);
    for (auto srv : servers) {
      const auto& m = members[srv];
      for (std::size_t j = 0; j < m.size(); ++j) order.push_back(m[(j + ch) % m.size()]);
    }
    return order;
  };
  std::vector<std::vector<std::uint32_t>> done(n);
  // An aggregated op (one group for the whole ring or tree) starts with every rank and ends every rank's
  // part.
  auto every_rank = [&](std::uint32_t group) {
    for (std::uint32_t i = 0; i < n; ++i) {
      program.depend(start[i], group);
      done[i].push_back(group);
    }
  };
  for (std::uint32_t ch = 0; ch < s.channels; ++ch) {
    const std::uint64_t data = piece(s.bytes, s.channels, ch);
    const std::uint64_t chunks =
        s.chunk_bytes == 0 ? 1 : std::max<std::uint64_t>(1, (data + s.chunk_bytes - 1) / s.chunk_bytes);
    if (s.op == Collective::kSendRecv) {
      for (std::uint32_t i = 0; i < n; ++i) {
        const std::uint32_t op = b.send(i, (i + 1) % n, data, {start[i], start[(i + 1) % n]});
        done[i].push_back(op);
        done[(i + 1) % n].push_back(op);
      }
    } else if (s.algorithm == Algorithm::kRing) {
      {
        std::uint32_t steps = n - 1;
        if (s.op == Collective::kAllReduce) steps = 2 * (n - 1);
        // Block of step k sent by position i: in all-reduce and reduce-scatter it is block (i - k) mod n,
        // in all-gather block (i - k) mod n of the output; sizes differ only by rounding.
        const auto order = ring_order(ch);
        if (s.aggregate && n > 1) {
          every_rank(aggregated_ring(b, order, steps, data));
          continue;
        }
        std::vector<std::uint32_t> ring_start(n);
        for (std::uint32_t i = 0; i < n; ++i) ring_start[i] = start[order[i]];
        const auto ends = ring(b, order, steps, data, ring_start);
        for (std::uint32_t i = 0; i < n; ++i) done[order[i]].push_back(ends[i]);
      }
    } else if (s.algorithm == Algorithm::kTree && s.aggregate) {
      for (const bool mirror : {false, true})
        every_rank(
            aggregated_tree(b, nccl_tree(servers, members, ch, mirror), piece(data, 2, mirror ? 1 : 0)));
    } else if (s.algorithm == Algorithm::kTree) {
      // Double binary tree: two trees, each reducing then broadcasting half of the data; a server that is
      // a leaf of one tree is interior in the other (the second tree is the mirror image of the first).
      const auto first = tree_allreduce(b, nccl_tree(servers, members, ch, false), piece(data, 2, 0),
                                        (chunks + 1) / 2, start);
      const auto second = tree_allreduce(b, nccl_tree(servers, members, ch, true), piece(data, 2, 1),
                                         (chunks + 1) / 2, start);
      for (std::uint32_t i = 0; i < n; ++i) {
        done[i].push_back(first[i]);
        done[i].push_back(second[i]);
      }
    } else if (s.algorithm == Algorithm::kHalvingDoubling) {
      // Rabenseifner: recursive-halving reduce-scatter, then recursive-doubling all-gather.
      std::uint32_t levels = 0;
      while ((1u << levels) < n) ++levels;
      std::vector<std::uint32_t> last(n);
      for (std::uint32_t i = 0; i < n; ++i) last[i] = start[i];
      auto exchange = [&](std::uint32_t distance, std::uint64_t bytes) {
        std::vector<std::uint32_t> next(n);
        for (std::uint32_t i = 0; i < n; ++i) {
          const std::uint32_t partner = i ^ distance;
          next[i] = b.send(i, partner, bytes, {last[i], last[partner]});
        }
        // A rank moves on when its own send and its partner's send (what it receives) are done.
        std::vector<std::uint32_t> joined(n);
        for (std::uint32_t i = 0; i < n; ++i) joined[i] = b.join(i, {next[i], next[i ^ distance]});
        last = joined;
      };
      for (std::uint32_t l = 0; l < levels; ++l) exchange(n >> (l + 1), data >> (l + 1));
      for (std::uint32_t l = levels; l-- > 0;) exchange(n >> (l + 1), data >> (l + 1));
      for (std::uint32_t i = 0; i < n; ++i) done[i].push_back(last[i]);
    } else if (s.algorithm == Algorithm::kHierarchical) {
      // First-level groups: servers in order of first appearance, or consecutive blocks of group_ranks
      // (sites); local ranks in communicator order. All-reduce: reduce-scatter inside each group, an
      // all-reduce of each shard across the groups between the ranks of the same local index, all-gather
      // inside each group. Reduce-scatter: the first two phases, the second a reduce-scatter of the shard;
      // all-gather: the mirror image (an all-gather of the shard across the groups, then inside each).
      std::vector<std::vector<std::uint32_t>> local;
      if (s.group_ranks > 0) {
        for (std::uint32_t i = 0; i < n; ++i) {
          if (i % s.group_ranks == 0) local.emplace_back();
          local.back().push_back(i);
        }
      } else {
        for (auto srv : servers) local.push_back(members[srv]);
      }
      const auto g = static_cast<std::uint32_t>(local[0].size());
      const auto ns = static_cast<std::uint32_t>(local.size());
      std::vector<std::uint32_t> at(start);
      auto inside = [&](std::uint32_t steps) {
        for (const auto& order : local) {
          std::vector<std::uint32_t> st(g);
          for (std::uint32_t j = 0; j < g; ++j) st[j] = at[order[j]];
          const auto ends = ring(b, order, steps, data, st);
          for (std::uint32_t j = 0; j < g; ++j) at[order[j]] = ends[j];
        }
      };
      auto across = [&](std::uint32_t steps) {  // per local index j (a rail), over shard j
        if (s.across_tag != kNone) b.tag = s.across_tag;
        for (std::uint32_t j = 0; j < g; ++j) {
          std::vector<std::uint32_t> order(ns), st(ns);
          for (std::uint32_t v = 0; v < ns; ++v) {
            order[v] = local[v][j];
            st[v] = at[order[v]];
          }
          const auto ends = ring(b, order, steps, piece(data, g, j), st);
          for (std::uint32_t v = 0; v < ns; ++v) at[order[v]] = ends[v];
        }
        b.tag = tag;
      };
      if (s.op == Collective::kAllGather) {
        across(ns - 1);
        inside(g - 1);
      } else {
        inside(g - 1);
        across(s.op == Collective::kAllReduce ? 2 * (ns - 1) : ns - 1);
        if (s.op == Collective::kAllReduce) inside(g - 1);
      }
      for (std::uint32_t i = 0; i < n; ++i) done[i].push_back(at[i]);
    } else if (s.algorithm == Algorithm::kPipeline) {
      // Broadcast: a chain from the root through the channel's ring order (so that channels cross between
      // servers through different GPUs and NICs, as NCCL's rings do); reduce: the same chain towards the
      // root.
      std::vector<std::uint32_t> order = ring_order(ch);
      std::rotate(order.begin(), std::find(order.begin(), order.end(), s.root), order.end());
      if (s.op == Collective::kReduce) std::reverse(order.begin(), order.end());
      const auto last = chain(b, order, data, chunks, start);
      for (std::uint32_t i = 0; i < n; ++i) done[order[i]].push_back(last[i]);
    } else if (s.op == Collective::kAllToAll && s.algorithm == Algorithm::kPairwise) {
      std::vector<std::uint32_t> sent(n), received(n);
      for (std::uint32_t i = 0; i < n; ++i) sent[i] = received[i] = start[i];
      for (std::uint32_t k = 1; k < n; ++k) {
        std::vector<std::uint32_t> ns(n), nr(n);
        for (std::uint32_t i = 0; i < n; ++i) {
          const std::uint32_t to = (i + k) % n;
          ns[i] = b.send(i, to, piece(data, n, to), {sent[i], received[i], sent[to], received[to]});
          nr[to] = ns[i];
        }
        sent = ns;
        received = nr;
      }
      for (std::uint32_t i = 0; i < n; ++i) {
        done[i].push_back(sent[i]);
        done[i].push_back(received[i]);
      }
    } else if (s.op == Collective::kAllToAll) {
      for (std::uint32_t i = 0; i < n; ++i)
        for (std::uint32_t k = 1; k < n; ++k) {
          const std::uint32_t to = (i + k) % n;
          const std::uint32_t op = b.send(i, to, piece(data, n, to), {start[i], start[to]});
          done[i].push_back(op);
          done[to].push_back(op);
        }
    }
  }
  std::vector<std::uint32_t> out(n);
  for (std::uint32_t i = 0; i < n; ++i) out[i] = b.join(i, done[i]);
  program.record(CollectiveCall{s.op, s.ranks, s.bytes, 1, tag, first_op,
                                static_cast<std::uint32_t>(program.size()), out});
  return out;
}

}  // namespace aifabric::workload
