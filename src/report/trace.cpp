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

std::string flow_trace(const api::Result& r, const std::string& command, std::size_t ports,
                       std::size_t max_flows) {
  const std::size_t flows = std::min(r.flows.size(), max_flows);
  std::string s = fmt::format(
      "{{\"displayTimeUnit\":\"ns\",\"otherData\":{{\"tool\":\"aifabric\",\"command\":{},\"flows\":{},"
      "\"flows_shown\":{}}},\n\"traceEvents\":[\n"
      "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{{\"name\":\"flows\"}}}},\n"
      "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":2,\"tid\":0,\"args\":{{\"name\":\"ports\"}}}}",
      quoted(command), r.flows.size(), flows);
  for (std::size_t i = 0; i < flows; ++i) {
    const auto& f = r.flows[i];
    const bool done = f.completed();
    const std::string name = fmt::format("host{}->host{}", f.src, f.dst);
    s += fmt::format(
        ",\n{{\"ph\":\"b\",\"cat\":\"flow\",\"id\":{},\"name\":\"{}\",\"pid\":1,\"tid\":1,\"ts\":{},\"args\":"
        "{{"
        "\"flow\":{},\"bytes\":{},\"completed\":{},\"fct_us\":{},\"slowdown\":{}}}}}",
        f.id, name, us(f.start_ps), f.id, f.size_bytes, done ? "true" : "false",
        done ? fmt::format("{}", f.fct_us()) : "null", done ? fmt::format("{}", f.slowdown()) : "null");
    s += fmt::format(
        ",\n{{\"ph\":\"e\",\"cat\":\"flow\",\"id\":{},\"name\":\"{}\",\"pid\":1,\"tid\":1,\"ts\":{}}}", f.id,
        name, us(done ? f.finish_ps : std::max(r.stats.end_ps, f.start_ps)));
  }
  // The deepest ports of the sampled series (highest peak, ties in port order), each a counter track.
  std::map<std::uint32_t, std::uint64_t> peak;
  for (const auto& row : r.series) peak[row.port] = std::max(peak[row.port], row.queue_bytes);
  std::vector<std::pair<std::uint32_t, std::uint64_t>> order(peak.begin(), peak.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::map<std::uint32_t, bool> shown;
  for (std::size_t i = 0; i < order.size() && i < ports; ++i)
    if (order[i].second > 0) shown[order[i].first] = true;
  for (const auto& row : r.series)
    if (shown.count(row.port))
      s += fmt::format(
          ",\n{{\"ph\":\"C\",\"name\":{},\"pid\":2,\"tid\":0,\"ts\":{},\"args\":{{\"bytes\":{}}}}}",
          quoted("queue " + r.ports[row.port].name), us(row.time_ps), row.queue_bytes);
  return s + "\n]}\n";
}

}  // namespace aifabric::report
