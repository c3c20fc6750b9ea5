#include "report/trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

namespace aifabric::report {
namespace {

std::string us(core::TimePs ps) {
  return fmt::format("{}.{:06d}", ps / 1'000'000, ps % 1'000'000);
}

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump();
}

}  // namespace

std::string chrome_trace(const api::Timeline& t, const std::string& command) {
  // Ops in order of (owner, GPU, tag, start, finish, index); each goes to the first lane of its (owner, GPU,
  // tag) that is free by its start.
  std::vector<std::size_t> order(t.ops.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto key = [&](std::size_t i) {
    const auto& o = t.ops[i];
    return std::tuple(o.owner, o.gpu, t.tags[o.tag] == "compute" ? 0u : o.tag + 1, o.start_ps, o.finish_ps,
                      i);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  std::vector<std::uint32_t> lane(t.ops.size());
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::vector<core::TimePs>> lanes;
  for (auto i : order) {
    const auto& o = t.ops[i];
    auto& ends = lanes[{o.owner, o.gpu, o.tag}];
    std::uint32_t l = 0;
    while (l < ends.size() && ends[l] > o.start_ps) ++l;
    if (l == ends.size()) ends.push_back(0);
    ends[l] = o.finish_ps;
    lane[i] = l;
  }
  // Tracks numbered per process in (GPU, compute first, tag, lane) order.
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::uint32_t>, std::uint32_t> tid;
  for (auto i : order) {
    const auto& o = t.ops[i];
    tid.emplace(std::tuple(o.owner, o.gpu, t.tags[o.tag] == "compute" ? 0u : o.tag + 1, lane[i]), 0);
  }
  std::map<std::uint32_t, std::uint32_t> next;
  for (auto& [k, v] : tid) v = ++next[std::get<0>(k)];
  std::string s = fmt::format(
      "{{\"displayTimeUnit\":\"ns\",\"otherData\":{{\"tool\":\"aifabric\",\"command\":{},\"ops\":{}}},\n"
      "\"traceEvents\":[\n",
      quoted(command), t.ops.size());
  bool first = true;
  const auto event = [&](const std::string& e) {
    s += first ? "" : ",\n";
    s += e;
    first = false;
  };
  for (std::size_t p = 0; p < t.owners.size(); ++p) {
    event(fmt::format(
        "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{},\"tid\":0,\"args\":{{\"name\":{}}}}}", p + 1,
        quoted(t.owners[p])));
    event(fmt::format(
        "{{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":{},\"tid\":0,\"args\":{{\"sort_index\":{}"
        "}}}}",
        p + 1, p));
  }
  for (const auto& [k, id] : tid) {
    const auto [owner, gpu, tag_key, l] = k;
    const std::string kind = tag_key == 0 ? "compute" : t.tags[tag_key - 1];
    const std::string name =
        l == 0 ? fmt::format("GPU {} {}", gpu, kind) : fmt::format("GPU {} {} {}", gpu, kind, l + 1);
    event(fmt::format(
        "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{},\"tid\":{},\"args\":{{\"name\":{}}}}}", owner + 1,
        id, quoted(name)));
    event(fmt::format(
        "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{},\"tid\":{},\"args\":{{\"sort_index\":{}"
        "}}}}",
        owner + 1, id, id));
  }
  for (auto i : order) {
    const auto& o = t.ops[i];
    const bool compute = t.tags[o.tag] == "compute";
    const auto id = tid.at(std::tuple(o.owner, o.gpu, compute ? 0u : o.tag + 1, lane[i]));
    const std::string args =
        o.bytes > 0 ? fmt::format("{{\"bytes\":{},\"peer_gpu\":{}}}", o.bytes, o.peer) : "{}";
    event(
        fmt::format("{{\"ph\":\"X\",\"name\":{},\"cat\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{},"
                    "\"args\":{}}}",
                    quoted(t.tags[o.tag]), compute ? "compute" : "communication", o.owner + 1, id,
                    us(o.start_ps), us(o.finish_ps - o.start_ps), args));
  }
  return s + "\n]}\n";
}

}  // namespace aifabric::report
