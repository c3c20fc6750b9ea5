#include "api/timeline.hpp"

#include <algorithm>

namespace aifabric::api {

void append_timeline(Timeline& t, const workload::Program& p, const workload::ExecutionResult& r,
                     std::uint32_t first, std::uint32_t last, const std::string& owner,
                     std::uint32_t max_gpus) {
  const auto owner_index = static_cast<std::uint32_t>(t.owners.size());
  t.owners.push_back(owner);
  std::vector<std::uint32_t> tag_of(p.tag_names().size());
  for (std::size_t i = 0; i < tag_of.size(); ++i) {
    const auto& name = p.tag_names()[i];
    const auto at = std::find(t.tags.begin(), t.tags.end(), name);
    tag_of[i] = static_cast<std::uint32_t>(at - t.tags.begin());
    if (at == t.tags.end()) t.tags.push_back(name);
  }
  const std::size_t begin = t.ops.size();
  const auto add = [&](std::uint32_t gpu, std::uint32_t peer, std::uint32_t tag, core::TimePs start,
                       core::TimePs finish, std::uint64_t bytes) {
    if (finish >= start && start >= 0)
      t.ops.push_back({owner_index, gpu, peer, tag_of[tag], start, finish, bytes});
  };
  for (std::uint32_t i = first; i < last && i < p.size(); ++i) {
    const auto& o = p.ops()[i];
    const core::TimePs done = r.finish_ps[i];
    if (done < 0) continue;
    switch (o.kind) {
      case workload::OpKind::kCompute:
        if (o.duration > 0) add(o.src, o.src, o.tag, done - o.duration, done, 0);
        break;
      case workload::OpKind::kTransfer:
        add(o.src, o.dst, o.tag, r.start_ps[i], done, o.bytes);
        break;
      case workload::OpKind::kGroup:
        for (const auto& [src, dst] : p.members(o)) add(src, dst, o.tag, r.start_ps[i], done, o.bytes);
        break;
      case workload::OpKind::kRingEntry: {
        const auto& ring = p.ring(o.ring);
        const std::uint32_t exit = p.ring_exit(o.ring, o.position);
        if (r.finish_ps[exit] >= 0)
          add(p.ring_gpu(ring, o.position), p.ring_gpu(ring, (o.position + 1) % ring.size), ring.tag, done,
              r.finish_ps[exit], ring.data);
        break;
      }
      case workload::OpKind::kRingExit:
        break;
    }
  }
  // Only the owner's `max_gpus` lowest-numbered GPUs.
  std::vector<std::uint32_t> gpus;
  for (std::size_t i = begin; i < t.ops.size(); ++i) gpus.push_back(t.ops[i].gpu);
  std::sort(gpus.begin(), gpus.end());
  gpus.erase(std::unique(gpus.begin(), gpus.end()), gpus.end());
  if (max_gpus == 0 || gpus.size() <= max_gpus) return;
  const std::uint32_t last_kept = gpus[max_gpus - 1];
  t.ops.erase(std::remove_if(t.ops.begin() + static_cast<std::ptrdiff_t>(begin), t.ops.end(),
                             [&](const TimelineOp& o) { return o.gpu > last_kept; }),
              t.ops.end());
}

}  // namespace aifabric::api
