#include "io/writers.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aifabric::io {
namespace {

nlohmann::ordered_json percentiles(const api::Percentiles& p) {
  return {{"p50", p.p50}, {"p99", p.p99}, {"max", p.max}, {"mean", p.mean}};
}

}  // namespace

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw core::InputError(core::Location{path, 0, 0, ""},
                           std::string("cannot write: ") + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw core::InputError(core::Location{path, 0, 0, ""},
                             std::string("cannot write: ") + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw core::InputError(core::Location{path, 0, 0, ""},
                           std::string("cannot write: ") + std::strerror(errno));
  }
}

std::string summary_json(const api::Scenario& sc, const api::Result& r) {
  nlohmann::ordered_json j;
  j["scenario"] = sc.name;
  j["source"] = sc.source;
  j["seed"] = r.seed;
  j["fabric"] = {{"kind", net::name(sc.fabric.kind)},
                 {"load_balancing", routing::name(sc.fabric.load_balancing)},
                 {"congestion_control", net::name(sc.fabric.cc)},
                 {"pfc", sc.fabric.pfc.enabled},
                 {"ecn", sc.fabric.ecn.enabled},
                 {"lossless", sc.fabric.lossless()},
                 {"fidelity", sc.fidelity == api::NetworkModel::kFlow ? "flow" : "packet"}};
  j["topology"] = {
      {"kind", sc.topology.kind}, {"hosts", r.hosts}, {"switches", r.switches}, {"links", r.links}};
  j["simulated_time_us"] = core::ps_to_us(r.stats.end_ps);
  j["events"] = r.stats.events;
  j["fingerprint"] = fmt::format("{:016x}", r.stats.fingerprint);
  j["all_completed"] = r.stats.all_completed;
  j["stopped_early"] = r.stats.stopped_early;
  j["stalled"] = r.stats.stalled;
  j["flows"] = {{"total", r.flows.size()},
                {"completed", r.flows_completed},
                {"fct_us", percentiles(r.fct_us)},
                {"slowdown", percentiles(r.slowdown)},
                {"retransmitted_packets", r.retransmitted_packets},
                {"cnps", r.cnps}};
  j["network"] = {{"drops", r.drops},
                  {"ecn_marks", r.ecn_marks},
                  {"pause_frames", r.pause_frames},
                  {"lossless_violated", sc.fabric.lossless() && r.drops > 0},
                  {"paused_us", core::ps_to_us(r.paused_ps)}};
  j["bytes"] = {{"injected", r.ledger.injected},   {"delivered", r.ledger.delivered},
                {"dropped", r.ledger.dropped},     {"corrupted", r.ledger.corrupted},
                {"link_down", r.ledger.link_down}, {"in_flight", r.ledger.in_flight}};
  j["invariants"] = {{"checks", r.invariants.checks},
                     {"violations", r.invariants.violations},
                     {"first_violation", r.invariants.first_violation}};
  auto hot = nlohmann::ordered_json::array();
  for (auto i : r.hottest) {
    const auto& p = r.ports[i];
    hot.push_back({{"port", p.name},
                   {"utilization", p.utilization},
                   {"max_queue_bytes", p.counters.max_queue_bytes[net::kData]},
                   {"mean_queue_bytes", p.mean_queue_bytes[net::kData]},
                   {"ecn_marks", p.counters.ecn_marks},
                   {"pause_received", p.counters.pause_received},
                   {"drops", p.counters.drops[0] + p.counters.drops[1]},
                   {"fcs_errors", p.counters.fcs_errors},
                   {"link_down_drops", p.counters.link_down_drops}});
  }
  j["hottest_ports"] = hot;
  std::uint64_t peak = 0;
  std::string peak_switch;
  for (const auto& b : r.buffers)
    if (b.peak_bytes > peak) {
      peak = b.peak_bytes;
      peak_switch = b.name;
    }
  j["peak_switch_buffer"] = {{"switch", peak_switch}, {"bytes", peak}};
  return j.dump(2) + "\n";
}

std::string flows_csv(const api::Result& r) {
  std::string out =
      "id,src,dst,size_bytes,start_us,finish_us,fct_us,ideal_fct_us,slowdown,retransmitted_packets,cnps,"
      "completed\n";
  for (const auto& f : r.flows) {
    const bool done = f.completed();
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", f.id, f.src, f.dst, f.size_bytes,
                       core::ps_to_us(f.start_ps), done ? fmt::format("{}", core::ps_to_us(f.finish_ps)) : "",
                       done ? fmt::format("{}", f.fct_us()) : "", core::ps_to_us(f.ideal_ps),
                       done ? fmt::format("{}", f.slowdown()) : "", f.retransmitted_packets, f.cnps,
                       done ? 1 : 0);
  }
  return out;
}

std::string ports_csv(const api::Result& r) {
  std::string out =
      "port,from,to,rate_gbps,tx_bytes,tx_packets,tx_data_bytes,utilization,max_queue_control_bytes,"
      "max_queue_data_bytes,mean_queue_control_bytes,mean_queue_data_bytes,ecn_marks,pause_sent,resume_sent,"
      "pause_received,paused_us,drops_control,drops_data,drop_bytes,min_credits_bytes,fcs_errors,"
      "link_down_drops,link_downs,pfc_wd_storms,pfc_wd_drops\n";
  for (const auto& p : r.ports) {
    const auto& c = p.counters;
    out +=
        fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", p.name,
                    p.from, p.to, p.rate_gbps, c.tx_bytes, c.tx_packets, c.tx_data_bytes, p.utilization,
                    c.max_queue_bytes[0], c.max_queue_bytes[1], p.mean_queue_bytes[0], p.mean_queue_bytes[1],
                    c.ecn_marks, c.pause_sent, c.resume_sent, c.pause_received, core::ps_to_us(c.paused_ps),
                    c.drops[0], c.drops[1], c.drop_bytes[0] + c.drop_bytes[1], c.min_credits, c.fcs_errors,
                    c.link_down_drops, c.link_downs, c.pfc_wd_storms, c.pfc_wd_drops);
  }
  return out;
}

std::string timeseries_csv(const api::Result& r) {
  std::string out = "time_us,port,utilization,queue_bytes\n";
  for (const auto& s : r.series)
    out += fmt::format("{},{},{},{}\n", core::ps_to_us(s.time_ps), r.ports[s.port].name, s.utilization,
                       s.queue_bytes);
  return out;
}

void write_results(const std::string& dir, const api::Scenario& sc, const api::Result& r) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw core::InputError(core::Location{dir, 0, 0, "--out"},
                           "cannot create output folder: " + ec.message());
  write_file_atomic(dir + "/flows.csv", flows_csv(r));
  write_file_atomic(dir + "/ports.csv", ports_csv(r));
  if (sc.run.sample_interval_ps > 0) {
    write_file_atomic(dir + "/timeseries.csv", timeseries_csv(r));
  } else {
    std::filesystem::remove(dir + "/timeseries.csv",
                            ec);  // never leave an earlier run's series beside this one
  }
  // Written last: its presence means the whole result set is complete.
  write_file_atomic(dir + "/summary.json", summary_json(sc, r));
}

namespace {
std::string breakdown(const api::IterationReport& r) {
  std::string s = fmt::format("compute {:.1f} ms", r.compute_us / 1e3);
  for (const auto& [kind, us] : r.exposed_us) s += fmt::format(", waiting on {} {:.1f} ms", kind, us / 1e3);
  return s;
}
nlohmann::ordered_json iteration_json(const api::IterationReport& r) {
  nlohmann::ordered_json e = nlohmann::ordered_json::object();
  for (const auto& [kind, us] : r.exposed_us) e[kind] = us;
  return {{"complete", r.complete},
          {"iteration_s", core::ps_to_sec(r.iteration_ps)},
          {"compute_us_per_gpu", r.compute_us},
          {"exposed_us_per_gpu", e},
          {"gpu_utilization", r.utilization},
          {"tokens_per_s", r.tokens_per_s},
          {"mfu", r.mfu}};
}
}  // namespace

std::string assess_text(const api::Scenario& sc, const api::Assessment& a) {
  std::string s = fmt::format(
      "assess       {}: {} GPUs ({} per server, {}), {} {} fabric at {} level, {} job(s), {} service(s)\n",
      sc.name, sc.cluster.gpus, sc.cluster.gpus_per_server, sc.cluster.gpu.name, net::name(sc.fabric.kind),
      sc.topology.kind, sc.fidelity == api::NetworkModel::kFlow ? "flow" : "packet", a.jobs.size(),
      a.services.size());
  for (const auto& f : sc.faults.applied) s += fmt::format("fault        {}\n", f);
  if (sc.faults.flows_dropped > 0)
    s += fmt::format("fault        {} traffic flows from or to hosts out of service not started\n",
                     sc.faults.flows_dropped);
  for (std::size_t i = 0; i < a.jobs.size(); ++i) {
    const auto& j = a.jobs[i];
    const auto& job = sc.jobs[i];
    if (job.trace)
      s += fmt::format("job {}: {} GPUs, Chakra trace {} ({} ranks)\n", j.name, j.gpus, job.trace_source,
                       job.trace->ranks.size());
    else
      s += fmt::format(
          "job {}: {} GPUs, TP {}{} x PP {}{} x DP {}{}, {} micro-batches of {}\n", j.name, j.gpus,
          job.par.tp, job.par.cp > 1 ? fmt::format(" x CP {}", job.par.cp) : "", job.par.pp,
          job.par.virtual_stages > 1 ? fmt::format(" (x {} chunks)", job.par.virtual_stages) : "", job.par.dp,
          job.par.ep > 1 ? fmt::format(" x EP {}", job.par.ep) : "", job.par.micro_batches,
          job.par.micro_batch_size);
    if (!j.down.empty()) {
      s += fmt::format("  DOWN             {}: the job cannot run; ${:.2f} per hour of GPU time lost\n",
                       j.down, j.network_cost_usd_per_hour);
      continue;
    }
    if (!j.fabric.complete)
      s += "  INCOMPLETE       the fabric stopped (stop_time_us or a deadlock) before the iteration ended\n";
    s += fmt::format("  iteration        {:.3f} s on this fabric, {:.3f} s on an ideal network ({:+.1f}%)\n",
                     core::ps_to_sec(j.fabric.iteration_ps), core::ps_to_sec(j.ideal.iteration_ps),
                     100 * j.slowdown_vs_ideal);
    if (j.alone_computed)
      s += fmt::format(
          "  sharing          {:.3f} s alone on this fabric: other jobs, services and traffic cost it "
          "{:+.1f}%\n",
          core::ps_to_sec(j.alone.iteration_ps), 100 * j.slowdown_from_others);
    s += fmt::format("  GPU utilization  {:.1f}% (ideal network {:.1f}%), MFU {:.1f}%\n",
                     100 * j.fabric.utilization, 100 * j.ideal.utilization, 100 * j.fabric.mfu);
    s += fmt::format("  tokens/s         {:.0f} (ideal network {:.0f})\n", j.fabric.tokens_per_s,
                     j.ideal.tokens_per_s);
    s += fmt::format("  per GPU          {}\n", breakdown(j.fabric));
    s += fmt::format("  ideal network    {}\n", breakdown(j.ideal));
    s += fmt::format(
        "  network cost     ${:.2f} per hour of GPU time lost to the network ({} GPUs at ${:.2f}/h)\n",
        j.network_cost_usd_per_hour, j.gpus, sc.cluster.gpu_hour_usd);
  }
  for (const auto& svc : a.services) {
    auto line = [](const api::LatencyReport& r) {
      return fmt::format(
          "TTFT p50/p90/p99 {:.1f}/{:.1f}/{:.1f} ms, TPOT {:.2f}/{:.2f}/{:.2f} ms, {:.0f}% within objectives",
          r.ttft_ms[0], r.ttft_ms[1], r.ttft_ms[2], r.tpot_ms[0], r.tpot_ms[1], r.tpot_ms[2],
          100 * r.slo_attainment);
    };
    const auto* spec = &sc.services[static_cast<std::size_t>(&svc - a.services.data())];
    if (!svc.down.empty()) {
      s += fmt::format("service {}: {} GPUs, DOWN: {}\n", svc.name, svc.gpus, svc.down);
      continue;
    }
    s +=
        fmt::format("service {}: {} GPUs, objective p99 TTFT {} ms, p99 TPOT {} ms: {}\n", svc.name, svc.gpus,
                    spec->ttft_slo_ms, spec->tpot_slo_ms, svc.fabric.objective_met ? "MET" : "MISSED");
    s += fmt::format("  this fabric      {}\n", line(svc.fabric));
    s += fmt::format("  ideal network    {}\n", line(svc.ideal));
    for (std::size_t u = 0; u < svc.users.size(); ++u) {
      const auto& [site, r] = svc.users[u];
      s += fmt::format("  users at {:<8} {} requests, {:.2f} ms one way: {}: {}\n", site, r.requests,
                       core::ps_to_us(spec->users[u].one_way_ps) / 1e3, line(r),
                       r.objective_met ? "MET" : "MISSED");
    }
  }
  s += "bottleneck links (shared run; deepest queues first)\n";
  for (auto i : a.hottest) {
    const auto& p = a.ports[i];
    s += fmt::format("  {:<34} {:6.1f}% busy  max queue {:>9} B  {} ECN marks  {} pauses rx  {} drops\n",
                     p.name, 100.0 * p.utilization, p.counters.max_queue_bytes[net::kData],
                     p.counters.ecn_marks, p.counters.pause_received,
                     p.counters.drops[0] + p.counters.drops[1]);
  }
  s += fmt::format("run cost     {} engine events, {:.2f} s wall\n", a.events, a.wall_seconds);
  return s;
}

std::string assess_json(const api::Scenario& sc, const api::Assessment& a) {
  nlohmann::ordered_json j;
  j["scenario"] = sc.name;
  j["gpus"] = sc.cluster.gpus;
  j["gpu"] = sc.cluster.gpu.name;
  j["faults"] = sc.faults.applied;
  j["flows_dropped_by_faults"] = sc.faults.flows_dropped;
  auto jobs = nlohmann::ordered_json::array();
  for (const auto& job : a.jobs)
    jobs.push_back({{"name", job.name},
                    {"gpus", job.gpus},
                    {"down", job.down},
                    {"fabric", iteration_json(job.fabric)},
                    {"ideal_network", iteration_json(job.ideal)},
                    {"alone_on_fabric", iteration_json(job.alone)},
                    {"slowdown_vs_ideal", job.slowdown_vs_ideal},
                    {"slowdown_from_other_jobs", job.slowdown_from_others},
                    {"network_cost_usd_per_hour", job.network_cost_usd_per_hour}});
  j["jobs"] = jobs;
  auto services = nlohmann::ordered_json::array();
  auto lat = [](const api::LatencyReport& r) {
    return nlohmann::ordered_json{
        {"complete", r.complete},
        {"requests", r.requests},
        {"ttft_ms", {{"p50", r.ttft_ms[0]}, {"p90", r.ttft_ms[1]}, {"p99", r.ttft_ms[2]}}},
        {"tpot_ms", {{"p50", r.tpot_ms[0]}, {"p90", r.tpot_ms[1]}, {"p99", r.tpot_ms[2]}}},
        {"slo_attainment", r.slo_attainment},
        {"objective_met", r.objective_met}};
  };
  for (const auto& svc : a.services) {
    auto users = nlohmann::ordered_json::array();
    for (const auto& [site, r] : svc.users) {
      auto u = lat(r);
      u["site"] = site;
      users.push_back(std::move(u));
    }
    services.push_back({{"name", svc.name},
                        {"gpus", svc.gpus},
                        {"down", svc.down},
                        {"fabric", lat(svc.fabric)},
                        {"ideal_network", lat(svc.ideal)},
                        {"users", users}});
  }
  j["services"] = services;
  auto hot = nlohmann::ordered_json::array();
  for (auto i : a.hottest) {
    const auto& p = a.ports[i];
    hot.push_back({{"port", p.name},
                   {"utilization", p.utilization},
                   {"max_queue_bytes", p.counters.max_queue_bytes[net::kData]},
                   {"ecn_marks", p.counters.ecn_marks},
                   {"pause_received", p.counters.pause_received},
                   {"drops", p.counters.drops[0] + p.counters.drops[1]}});
  }
  j["bottleneck_ports"] = hot;
  return j.dump(2) + "\n";
}

std::string collective_table(const api::Scenario& sc, const std::vector<api::CollectiveRow>& rows) {
  const auto& spec = sc.collective.spec;
  const auto n = spec.ranks.size();
  const bool reduces = spec.op == workload::Collective::kAllReduce ||
                       spec.op == workload::Collective::kReduceScatter ||
                       spec.op == workload::Collective::kReduce;
  const bool rooted = spec.op == workload::Collective::kBroadcast || spec.op == workload::Collective::kReduce;
  const auto& sweep = sc.collective;
  std::string s = fmt::format(
      "# aifabric collective: {} (algorithm {}, protocol {}{}), {} GPUs = {} servers x {} {}, {} channels, "
      "network: {}\n#\n"
      "#                                                          out-of-place\n"
      "#       size         count      type   redop    root     time   algbw   busbw  #wrong  algorithm "
      "protocol\n"
      "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)\n",
      workload::name(spec.op), sweep.algorithm ? workload::name(*sweep.algorithm) : "auto",
      sweep.protocol ? workload::name(*sweep.protocol) : "auto", spec.pxn ? "" : ", PXN off", n,
      n / sc.cluster.gpus_per_server, sc.cluster.gpus_per_server, sc.cluster.gpu.name, spec.channels,
      sc.collective.network == api::NetworkModel::kPacket ? "packet"
      : sc.collective.network == api::NetworkModel::kFlow ? "flow"
                                                          : "ideal");
  double sum = 0;
  for (const auto& r : rows) {
    s += fmt::format("{:>12} {:>13} {:>9} {:>7} {:>7} {:>8.2f} {:>7.2f} {:>7.2f} {:>7}  {:>9} {:>8}\n",
                     r.bytes, r.bytes / 4, "float", reduces ? "sum" : "none",
                     rooted ? static_cast<int>(spec.root) : -1, core::ps_to_us(r.time_ps),
                     r.algbw_gbytes_per_s, r.busbw_gbytes_per_s, "N/A", workload::name(r.algorithm),
                     workload::name(r.protocol));
    sum += r.busbw_gbytes_per_s;
  }
  s += fmt::format("# Avg bus bandwidth    : {:.3f}\n",
                   rows.empty() ? 0.0 : sum / static_cast<double>(rows.size()));
  return s;
}

std::string collective_csv(const api::Scenario& sc, const std::vector<api::CollectiveRow>& rows) {
  std::string s =
      "op,algorithm,protocol,ranks,size_bytes,time_us,algbw_gbytes_per_s,busbw_gbytes_per_s,events\n";
  for (const auto& r : rows)
    s +=
        fmt::format("{},{},{},{},{},{},{},{},{}\n", workload::name(sc.collective.spec.op),
                    workload::name(r.algorithm), workload::name(r.protocol), sc.collective.spec.ranks.size(),
                    r.bytes, core::ps_to_us(r.time_ps), r.algbw_gbytes_per_s, r.busbw_gbytes_per_s, r.events);
  return s;
}

std::string human_summary(const api::Scenario& sc, const api::Result& r) {
  std::string s;
  s += fmt::format("scenario     {} ({}), seed {}\n", sc.name, sc.source, r.seed);
  s += fmt::format(
      "fabric       {} {} / {}{}{}, {} hosts, {} switches, {} links\n", net::name(sc.fabric.kind),
      sc.topology.kind, routing::name(sc.fabric.load_balancing), sc.fabric.pfc.enabled ? " / PFC" : "",
      sc.fabric.cc == net::CongestionControl::kDcqcn ? " / DCQCN" : "", r.hosts, r.switches, r.links);
  s += fmt::format("flows        {} of {} completed{}{}\n", r.flows_completed, r.flows.size(),
                   r.stats.stopped_early ? " (stopped at stop_time_us)" : "",
                   r.stats.stalled ? " (STALLED: nothing delivered for 10 timeouts: deadlock)" : "");
  s += fmt::format("FCT          p50 {:.2f} us   p99 {:.2f} us   max {:.2f} us\n", r.fct_us.p50, r.fct_us.p99,
                   r.fct_us.max);
  s += fmt::format("slowdown     p50 {:.3f}   p99 {:.3f}   worst {:.3f}  (vs. alone on an empty path)\n",
                   r.slowdown.p50, r.slowdown.p99, r.slowdown.max);
  s += fmt::format(
      "network      {} drops, {} ECN marks, {} PFC pauses ({:.1f} us paused), {} retransmitted packets, {} "
      "CNPs\n",
      r.drops, r.ecn_marks, r.pause_frames, core::ps_to_us(r.paused_ps), r.retransmitted_packets, r.cnps);
  s += "hottest links\n";
  for (auto i : r.hottest) {
    const auto& p = r.ports[i];
    s += fmt::format("  {:<34} {:6.1f}% busy  max queue {:>9} B  {} marks  {} pauses rx  {} drops\n", p.name,
                     100.0 * p.utilization, p.counters.max_queue_bytes[net::kData], p.counters.ecn_marks,
                     p.counters.pause_received, p.counters.drops[0] + p.counters.drops[1]);
  }
  s += fmt::format("simulated    {:.3f} us\n", core::ps_to_us(r.stats.end_ps));
  s += fmt::format("run cost     {} events in {:.3f} s wall = {:.2f} M events/s, peak memory {:.1f} MiB\n",
                   r.stats.events, r.cost.wall_seconds, r.cost.events_per_second / 1e6,
                   static_cast<double>(r.cost.peak_rss_bytes) / (1024.0 * 1024.0));
  return s;
}

}  // namespace aifabric::io
