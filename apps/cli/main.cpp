// aifabric command line: parse -> api -> render. No simulation logic lives here.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "api/collective_sweep.hpp"
#include "api/parallel.hpp"
#include "api/run.hpp"
#include "chakra/et.hpp"
#include "core/error.hpp"
#include "io/examples.hpp"
#include "io/result_folder.hpp"
#include "io/scenario_loader.hpp"
#include "io/scenario_schemas.hpp"
#include "io/writers.hpp"
#include "io/yaml_reader.hpp"
#include "ops/diagnose.hpp"
#include "ops/mitigate.hpp"
#include "plan/planner.hpp"
#include "plan/render.hpp"
#include "plan/request.hpp"
#include "report/html.hpp"
#include "report/trace.hpp"
#include "service.hpp"
#include "telemetry/export.hpp"
#include "telemetry/ingest.hpp"
#include "validate/measurements.hpp"
#include "whatif/changes.hpp"
#include "whatif/shards.hpp"
#include "whatif/study.hpp"
#include "whatif/variants.hpp"
#ifdef AIFABRIC_WITH_MPI
#include "dist/mpi_study.hpp"
#endif

namespace {

constexpr int kInputErrorExit = 2;

#ifdef AIFABRIC_WITH_MPI
using World = aifabric::dist::World;
#else
// Built without MPI, a launch is this process alone.
struct World {
  World(int&, char**&) {}
  int rank() const { return 0; }
  int size() const { return 1; }
};
#endif

// A bar with the time left on stderr while a known number of runs goes by, redrawn at most 5 times a second;
// nothing when stderr is not a terminal (a log or a pipe gets no control characters).
aifabric::api::TasksDone progress_bar(std::string_view what) {
  if (::isatty(STDERR_FILENO) == 0) return {};
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto last = std::make_shared<clock::time_point>(start - std::chrono::seconds(1));
  return [start, last, label = std::string(what)](std::size_t done, std::size_t total) {
    const auto now = clock::now();
    if (done < total && now - *last < std::chrono::milliseconds(200)) return;
    *last = now;
    const double elapsed = std::chrono::duration<double>(now - start).count();
    const double left =
        done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total - done) : 0;
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total > 0 ? kWidth * done / total : kWidth;
    std::cerr << fmt::format("\r{} [{}{}] {}/{}  {:.0f} s, about {:.0f} s left  ", label,
                             std::string(filled, '#'), std::string(kWidth - filled, '.'), done, total,
                             elapsed, left)
              << (done == total ? "\n" : "") << std::flush;
  };
}

// A study run by this process, or spread over the processes of `mpirun` (gathered on process 0).
aifabric::whatif::Study study_over(const World& world, const std::vector<aifabric::whatif::Variant>& variants,
                                   const std::string& source,
                                   std::optional<aifabric::api::NetworkModel> model, unsigned threads) {
#ifdef AIFABRIC_WITH_MPI
  return aifabric::dist::run_study(world, variants, source, model, threads, progress_bar("variants"));
#else
  (void)world;
  return aifabric::whatif::run_study(variants, source, model, threads, {}, progress_bar("variants"));
#endif
}

// A plan made by this process, or spread over the processes of `mpirun` (complete on process 0).
aifabric::plan::Plan plan_over(const World& world, const aifabric::io::Node& root,
                               const std::string& source) {
#ifdef AIFABRIC_WITH_MPI
  return aifabric::dist::run_plan(world, root, source, progress_bar("designs"));
#else
  (void)world;
  return aifabric::plan::run_plan(root, source, progress_bar("designs"));
#endif
}

// A long run shows it is alive: a line on stderr at most every 10 s of wall time, from the first 10 s on.
// The runs of one command share the clock (they run one after another).
void show_progress(aifabric::api::Scenario& sc) {
  struct State {
    std::mutex mutex;  // runs in parallel (assess) share the display
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last = start;
  };
  auto state = std::make_shared<State>();
  sc.run.progress = [state](aifabric::core::TimePs simulated_ps, std::uint64_t events) {
    const auto now = std::chrono::steady_clock::now();
    const std::lock_guard lock(state->mutex);
    if (now - state->last < std::chrono::seconds(10)) return;
    state->last = now;
    std::cerr << fmt::format("running      {:.3f} ms simulated, {} events, {:.0f} s\n",
                             aifabric::core::ps_to_us(simulated_ps) / 1e3, events,
                             std::chrono::duration<double>(now - state->start).count());
  };
}

// `--trace FILE`: a command's timeline as Chrome trace-event JSON (Perfetto).
struct TraceRequest {
  std::string path;
  std::uint32_t gpus = 64;
};

void write_trace(const TraceRequest& trace, const aifabric::api::Timeline& timeline,
                 const std::string& command) {
  aifabric::io::write_file_atomic(trace.path, aifabric::report::chrome_trace(timeline, command));
  std::cout << "trace        " << trace.path << " (" << timeline.ops.size()
            << " slices; open in ui.perfetto.dev)\n";
}

// `aifabric report`, and `--report` (into the finished --out folder as report.html).
int report(const std::string& dir, const std::string& path) {
  const std::string target = path.empty() ? dir + "/report.html" : path;
  aifabric::io::write_file_atomic(target, aifabric::report::render_report(dir));
  std::cout << "report       " << target << "\n";
  return 0;
}

int simulate(const std::string& scenario, const std::string& out, std::int64_t seed,
             const std::string& fidelity, bool with_report, const std::string& trace) {
  auto sc = aifabric::io::load_scenario(scenario, seed);
  show_progress(sc);
  if (fidelity == "flow") sc.fidelity = aifabric::api::NetworkModel::kFlow;
  if (fidelity == "packet") sc.fidelity = aifabric::api::NetworkModel::kPacket;
  if (sc.flows.empty())
    throw aifabric::core::InputError(
        aifabric::core::Location{sc.source, 0, 0, "traffic"},
        "this scenario has no traffic to simulate; `aifabric collective` runs its collective");
  aifabric::io::ResultFolder folder(out, "simulate " + scenario);
  const auto result = aifabric::api::run(sc);
  aifabric::io::write_results(folder.staging(), sc, result);
  const bool telemetry =
      aifabric::telemetry::write_telemetry_files(folder.staging(), aifabric::telemetry::from_run(sc, result));
  folder.commit();
  std::cout << aifabric::io::human_summary(sc, result);
  if (!trace.empty()) {
    aifabric::io::write_file_atomic(trace, aifabric::report::flow_trace(result, "simulate " + scenario));
    std::cout << "trace        " << trace << " (" << result.flows.size()
              << " flows; open in ui.perfetto.dev)\n";
  }
  std::cout << "results      " << out << "/summary.json, flows.csv, ports.csv"
            << (sc.run.sample_interval_ps > 0 ? ", timeseries.csv" : "")
            << (telemetry ? ", metrics.om, telemetry.csv" : "") << "\n";
  if (with_report) report(out, "");
  return 0;
}

int diagnose(const std::string& path, const std::string& format, const std::string& map,
             const std::string& scenario, const std::string& out, unsigned threads, bool with_report) {
  const auto mapping = map.empty() ? aifabric::telemetry::Mapping{} : aifabric::telemetry::load_mapping(map);
  auto fmt_of = aifabric::telemetry::Format::kAuto;
  if (format == "openmetrics") fmt_of = aifabric::telemetry::Format::kOpenMetrics;
  if (format == "prometheus") fmt_of = aifabric::telemetry::Format::kPrometheus;
  if (format == "csv") fmt_of = aifabric::telemetry::Format::kCsv;
  std::optional<aifabric::io::ResultFolder> folder;
  if (!out.empty()) folder.emplace(out, "diagnose " + path);
  const auto data = aifabric::telemetry::read_telemetry_file(path, fmt_of, mapping);
  if (data.series.empty())
    throw aifabric::core::InputError(
        aifabric::core::Location{path, 0, 0, "TELEMETRY"},
        "no aifabric port metric in the file (a mapping file, --map, names other "
        "fabrics' counters; docs/telemetry.md)");
  const auto d = aifabric::ops::diagnose(data);
  std::string text = aifabric::ops::diagnosis_text(d);
  if (!scenario.empty())
    text += aifabric::ops::mitigation_text(
        aifabric::ops::verify_mitigations(aifabric::io::scenario_document(scenario), scenario, d, threads));
  std::cout << text;
  if (folder) {
    aifabric::io::write_file_atomic(folder->staging() + "/diagnosis.json", aifabric::ops::diagnosis_json(d));
    aifabric::io::write_file_atomic(folder->staging() + "/summary.txt", text);
    folder->commit();
    std::cout << "results      " << out << "/diagnosis.json, summary.txt\n";
    if (with_report) report(out, "");
  }
  return 0;
}

int collective(const std::string& scenario, const std::string& out, const std::string& network,
               bool with_report, const TraceRequest& trace) {
  auto sc = aifabric::io::load_scenario(scenario);
  show_progress(sc);
  if (!sc.collective.present)
    throw aifabric::core::InputError(aifabric::core::Location{sc.source, 0, 0, "collective"},
                                     "this scenario has no collective section (see `aifabric params`)");
  if (network == "ideal") sc.collective.network = aifabric::api::NetworkModel::kIdeal;
  if (network == "packet") sc.collective.network = aifabric::api::NetworkModel::kPacket;
  if (network == "flow") sc.collective.network = aifabric::api::NetworkModel::kFlow;
  std::optional<aifabric::io::ResultFolder> folder;
  if (!out.empty()) folder.emplace(out, "collective " + scenario);
  aifabric::api::Timeline timeline;
  const auto rows = aifabric::api::run_collective_sweep(sc, sc.collective.network,
                                                        trace.path.empty() ? nullptr : &timeline, trace.gpus);
  std::cout << aifabric::io::collective_table(sc, rows);
  if (!trace.path.empty()) write_trace(trace, timeline, "collective " + scenario);
  if (folder) {
    aifabric::io::write_file_atomic(folder->staging() + "/collective.csv",
                                    aifabric::io::collective_csv(sc, rows));
    folder->commit();
    std::cout << "results      " << out << "/collective.csv\n";
    if (with_report) report(out, "");
  }
  for (const auto& row : rows)
    if (!row.complete) {
      std::cerr << "error: the " << row.bytes
                << "-byte collective did not complete: the run reached stop_time_us or the fabric "
                   "deadlocked; its time is a floor\n";
      return 1;
    }
  return 0;
}

int assess(const std::string& scenario, const std::string& out, const std::string& fidelity, bool with_report,
           const TraceRequest& trace, unsigned threads) {
  auto sc = aifabric::io::load_scenario(scenario);
  show_progress(sc);
  if (fidelity == "flow") sc.fidelity = aifabric::api::NetworkModel::kFlow;
  if (fidelity == "packet") sc.fidelity = aifabric::api::NetworkModel::kPacket;
  if (sc.jobs.empty() && sc.services.empty())
    throw aifabric::core::InputError(
        aifabric::core::Location{sc.source, 0, 0, "jobs"},
        "this scenario has no jobs or services to assess (see `aifabric params`)");
  std::optional<aifabric::io::ResultFolder> folder;
  if (!out.empty()) folder.emplace(out, "assess " + scenario);
  aifabric::api::Timeline timeline;
  const auto a = aifabric::api::assess(sc, trace.path.empty() ? nullptr : &timeline, trace.gpus, threads);
  std::cout << aifabric::io::assess_text(sc, a);
  if (!trace.path.empty()) write_trace(trace, timeline, "assess " + scenario);
  if (folder) {
    aifabric::io::write_file_atomic(folder->staging() + "/assess.json", aifabric::io::assess_json(sc, a));
    folder->commit();
    std::cout << "results      " << out << "/assess.json\n";
    if (with_report) report(out, "");
  }
  return 0;
}

int export_chakra(const std::string& scenario, const std::string& job_name, const std::string& out) {
  const auto sc = aifabric::io::load_scenario(scenario);
  std::size_t job = sc.jobs.size();
  for (std::size_t j = 0; j < sc.jobs.size(); ++j)
    if (sc.jobs[j].name == job_name || (job_name.empty() && j == 0)) job = j;
  if (job == sc.jobs.size())
    throw aifabric::core::InputError(
        aifabric::core::Location{sc.source, 0, 0, "jobs"},
        job_name.empty() ? "this scenario has no jobs to export" : "no job named '" + job_name + "'");
  const auto trace = aifabric::api::job_trace(sc, job);
  std::filesystem::create_directories(out);
  const std::string prefix = out + "/" + sc.jobs[job].name;
  aifabric::chakra::write_trace(trace, prefix);
  std::size_t nodes = 0;
  for (const auto& r : trace.ranks) nodes += r.size();
  std::cout << fmt::format(
      "chakra       job {}: {} ranks, {} nodes, {} communicators\n"
      "results      {}.0.et ... {}.{}.et, {}.comm_groups.json\n"
      "             run it as a job {{kind: chakra, trace: {}}} on the same GPUs\n",
      sc.jobs[job].name, trace.ranks.size(), nodes, trace.groups.size(), prefix, prefix,
      trace.ranks.size() - 1, prefix, prefix);
  return 0;
}

// A --fidelity value as the network model that overrides every variant's; empty: none.
std::optional<aifabric::api::NetworkModel> fidelity_override(const std::string& fidelity) {
  if (fidelity == "flow") return aifabric::api::NetworkModel::kFlow;
  if (fidelity == "packet") return aifabric::api::NetworkModel::kPacket;
  return std::nullopt;
}

// How a study's variants are run: here (or over mpirun's processes), one shard of them, or not at all: the
// shards' folders merged.
struct Split {
  std::string shard;               // --shard I/N
  std::vector<std::string> merge;  // --merge DIR,...
};

// The study, complete; or, with --shard, only the shard's variants.
aifabric::whatif::Study obtain_study(const World& world,
                                     const std::vector<aifabric::whatif::Variant>& variants,
                                     const std::string& source,
                                     std::optional<aifabric::api::NetworkModel> model, unsigned threads,
                                     const Split& split) {
  if (!split.shard.empty())
    return aifabric::whatif::run_study(variants, source, model, threads,
                                       aifabric::whatif::parse_shard(split.shard), progress_bar("variants"));
  if (split.merge.empty()) return study_over(world, variants, source, model, threads);
  auto study = aifabric::whatif::run_study(variants, source, model, threads, aifabric::whatif::Shard{0, 0});
  for (const auto& dir : split.merge) aifabric::whatif::merge_shard(study, dir);
  aifabric::whatif::finish_merge(study);
  return study;
}

// --shard: the shard's variant folders and shard.json, for a later --merge.
int write_shard(aifabric::io::ResultFolder& folder, const aifabric::whatif::Study& study,
                const std::string& shard, const std::string& out) {
  aifabric::whatif::write_variant_folders(folder.staging(), study);
  aifabric::io::write_file_atomic(folder.staging() + "/shard.json",
                                  aifabric::whatif::shard_json(study, aifabric::whatif::parse_shard(shard)));
  folder.commit();
  std::cout << fmt::format(
      "shard {}: ran {} of {} variants\nresults      {}/shard.json, one folder per variant "
      "run; complete the study with the same command and --merge DIR,DIR,...\n",
      shard, std::count(study.ran.begin(), study.ran.end(), true), study.ran.size(), out);
  return 0;
}

int sweep(const World& world, const std::string& scenario, const std::vector<std::string>& vary,
          const std::string& out, unsigned threads, const std::string& fidelity, bool with_report,
          const Split& split) {
  const auto model = fidelity_override(fidelity);
  std::optional<aifabric::io::ResultFolder> folder;
  if (!out.empty() && world.rank() == 0) folder.emplace(out, "sweep " + scenario);
  const auto study =
      obtain_study(world, aifabric::whatif::variants(aifabric::io::scenario_document(scenario), vary),
                   scenario, model, threads, split);
  if (world.rank() != 0) return 0;
  if (!split.shard.empty()) return write_shard(*folder, study, split.shard, out);
  std::cout << aifabric::whatif::study_text(study);
  if (folder) {
    aifabric::whatif::write_variant_folders(folder->staging(), study);
    aifabric::io::write_file_atomic(folder->staging() + "/sweep.csv", aifabric::whatif::study_csv(study));
    folder->commit();
    std::cout << "results      " << out << "/sweep.csv, one folder per variant\n";
    if (with_report) report(out, "");
  }
  return 0;
}

int whatif(const World& world, const std::string& scenario, const aifabric::whatif::Changes& changes,
           const std::string& out, unsigned threads, const std::string& fidelity, std::size_t top,
           bool with_report, const Split& split) {
  if (changes.empty())
    throw aifabric::core::InputError(
        aifabric::core::Location{"whatif", 0, 0, "--fail"},
        "nothing to ask: give --fail, --degrade, --straggler, --fault, --load, --set or --n-minus-1");
  const auto model = fidelity_override(fidelity);
  std::optional<aifabric::io::ResultFolder> folder;
  if (!out.empty() && world.rank() == 0) folder.emplace(out, "whatif " + scenario);
  const auto document = aifabric::io::scenario_document(scenario);
  const auto base = aifabric::io::load_scenario_document(document, scenario);
  const auto study = obtain_study(world, aifabric::whatif::change_variants(document, base, changes), scenario,
                                  model, threads, split);
  if (world.rank() != 0) return 0;
  if (!split.shard.empty()) return write_shard(*folder, study, split.shard, out);
  const std::string text = aifabric::whatif::whatif_text(study, top);
  std::cout << text << aifabric::whatif::run_cost_text(study);
  if (folder) {
    aifabric::whatif::write_variant_folders(folder->staging(), study);
    aifabric::io::write_file_atomic(folder->staging() + "/whatif.csv", aifabric::whatif::study_csv(study));
    aifabric::io::write_file_atomic(folder->staging() + "/links.csv", aifabric::whatif::links_csv(study));
    aifabric::io::write_file_atomic(folder->staging() + "/summary.txt", text);
    folder->commit();
    std::cout << "results      " << out << "/whatif.csv, links.csv, summary.txt, one folder per variant\n";
    if (with_report) report(out, "");
  }
  return 0;
}

int plan(const World& world, const std::string& scenario, const std::string& out, unsigned threads,
         bool with_report) {
  auto root = aifabric::io::scenario_document(scenario);
  if (threads > 0 && root.is_map() && root["plan"].is_map())
    root.find("plan")->set("threads", aifabric::io::Node::scalar(std::to_string(threads)));
  std::optional<aifabric::io::ResultFolder> folder;
  if (!out.empty() && world.rank() == 0) folder.emplace(out, "plan " + scenario);
  const auto p = plan_over(world, root, scenario);
  if (world.rank() != 0) return 0;
  const std::string text = aifabric::plan::plan_text(p);
  std::cout << text << aifabric::plan::plan_cost_text(p);
  if (folder) {
    aifabric::plan::write_plan_files(folder->staging(), p, out);
    folder->commit();
    std::cout << "results      " << out
              << "/plan.json, summary.txt, bom.csv and cabling.csv (the recommended design), "
                 "designs/ID/phaseN.yaml "
                 "(+ .bom.csv, .cabling.csv)\n";
    if (with_report) report(out, "");
  }
  return 0;
}

int serve(const aifabric::service::Config& config) {
  aifabric::service::Service service(config);
  if (!service.bind())
    throw aifabric::core::InputError(aifabric::core::Location{"serve", 0, 0, "--port"},
                                     fmt::format("cannot listen on {}:{} (in use, or not an address of this "
                                                 "machine)",
                                                 config.bind, config.port));
  std::cout << fmt::format("serving on http://{}:{} (runs in {}); GET /v1/openapi.json lists the routes\n",
                           config.bind, service.port(), config.data_dir)
            << std::flush;
  service.run();
  return 0;
}

int validate(const std::string& scenario) {
  const auto sc = aifabric::io::load_scenario(scenario);
  std::cout << fmt::format("{}: valid: {} topology, {} hosts, {} switches, {} links, {} flows\n", sc.source,
                           sc.topology.kind, sc.topology.hosts.size(), sc.topology.switch_count(),
                           sc.topology.links.size(), sc.flows.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Under mpirun every process parses the same command; sweep and whatif spread their variants, and plan
  // its designs, over the processes; every other command runs on process 0 alone. Only process 0 prints and
  // writes.
  const World world(argc, argv);
  if (world.rank() != 0) {
    std::cout.rdbuf(nullptr);
    std::cerr.rdbuf(nullptr);
  }
  CLI::App app{
      "aifabric: a digital twin for the networks of AI clusters.\n"
      "Packet-level simulation of RoCEv2 (PFC, ECN, DCQCN), InfiniBand (credits, adaptive routing) and "
      "lossy Ethernet fabrics, driven by a YAML scenario."};
  app.require_subcommand(1);
  std::string scenario, out = "out";
  std::int64_t seed = -1;

  auto* sim = app.add_subcommand("simulate",
                                 "Run a scenario and write summary.json, flows.csv, ports.csv "
                                 "(and timeseries.csv when sampled) to --out; print a short summary.");
  sim->add_option("scenario", scenario, "Scenario YAML file, or example:NAME for a built-in example")
      ->required();
  sim->add_option("--out", out, "Output folder (created if missing)")->capture_default_str();
  sim->add_option("--seed", seed, "Seed overriding the scenario's seed")->check(CLI::NonNegativeNumber);
  std::string sim_fidelity;
  sim->add_option("--fidelity", sim_fidelity,
                  "packet (every packet) or flow (fluid flows, max-min): overrides the scenario's")
      ->check(CLI::IsMember({"packet", "flow"}));

  auto* val =
      app.add_subcommand("validate", "Check a scenario (schema, topology, traffic) without running it.");
  val->add_option("scenario", scenario, "Scenario YAML file, or example:NAME")->required();

  auto* coll = app.add_subcommand("collective",
                                  "Run the scenario's collective over its size sweep and print the "
                                  "nccl-tests table (size, count, type, redop, root, time, algbw, busbw).");
  std::string network, coll_out;
  coll->add_option("scenario", scenario, "Scenario YAML file with a collective section, or example:NAME")
      ->required();
  coll->add_option("--network", network,
                   "packet (every packet on the fabric), flow (fluid, max-min) or ideal (non-blocking, "
                   "congestion-free)")
      ->check(CLI::IsMember({"packet", "flow", "ideal"}));
  coll->add_option("--out", coll_out, "Folder for collective.csv");

  auto* as = app.add_subcommand("assess",
                                "Readiness of the cluster for its jobs: each training job's iteration time, "
                                "breakdown, GPU utilization and cost against the same job on an ideal "
                                "network, and the bottleneck links.");
  std::string assess_out;
  as->add_option("scenario", scenario, "Scenario YAML file with jobs, or example:NAME")->required();
  as->add_option("--out", assess_out, "Folder for assess.json");
  std::string fidelity;
  as->add_option("--fidelity", fidelity,
                 "packet (every packet) or flow (fluid flows, max-min): overrides the scenario's")
      ->check(CLI::IsMember({"packet", "flow"}));
  unsigned threads = 0;
  as->add_option("--threads", threads,
                 "Parallel runs: the shared run and each job's runs alone (0 = one per core; results do "
                 "not depend on it)")
      ->capture_default_str();

  auto* sw = app.add_subcommand("sweep",
                                "What-if: run the scenario and its variants in parallel and compare each "
                                "with the baseline (jobs and services are assessed, traffic simulated). Each "
                                "--vary PATH=V1,V2,... multiplies the variants.");
  std::vector<std::string> vary;
  std::string sweep_out;
  sw->add_option("scenario", scenario, "Scenario YAML file with jobs, services or traffic, or example:NAME")
      ->required();
  sw->add_option("--vary", vary, "PATH=VALUE[,VALUE...], PATH as in error messages (fabric.load_balancing)")
      ->required();
  sw->add_option("--out", sweep_out, "Folder: one sub-folder of results per variant, numbered as printed");
  sw->add_option("--threads", threads, "Parallel runs (0 = one per core)")->capture_default_str();
  std::string sweep_fidelity;
  sw->add_option("--fidelity", sweep_fidelity,
                 "packet (every packet) or flow (fluid flows, max-min): overrides every variant's")
      ->check(CLI::IsMember({"packet", "flow"}));

  auto* wi = app.add_subcommand(
      "whatif",
      "Ask what a failure or change costs: the baseline and one variant per --fail, --degrade, --straggler, "
      "--fault, --load and --set (and every single link or switch failure with --n-minus-1), run in "
      "parallel; each "
      "job's iteration time, tokens/s and GPU time lost per hour and each service's latency, as a "
      "difference from the baseline, ranked by damage, with the links whose load changed most.");
  aifabric::whatif::Changes changes;
  std::string whatif_out, whatif_fidelity;
  std::size_t whatif_top = 20;
  wi->add_option("scenario", scenario, "Scenario YAML file with jobs, services or traffic, or example:NAME")
      ->required();
  wi->add_option("--fail", changes.fail,
                 "NODE (a switch fails, or a host's NIC) or A-B (the link between nodes A and B)");
  wi->add_option("--degrade", changes.degrade,
                 "A-B=RATE: the link between A and B runs at RATE Gbit/s; A-B=ber:BER: it corrupts frames at "
                 "that bit error rate (packet level)");
  wi->add_option("--straggler", changes.straggler,
                 "GPU=FACTOR, HOST=FACTOR or server:N=FACTOR: its compute takes FACTOR times longer");
  wi->add_option("--fault", changes.fault,
                 "A fault as the scenario's faults list takes it, in YAML: '{kind: nic_slow, node: host8, "
                 "rate_gbps: 25}', '{kind: link_down, a: leaf0, b: spine1, at_us: 200}' (any kind, timed "
                 "ones included; docs/models/faults.md)");
  wi->add_option("--load", changes.load,
                 "FACTOR: inference request rates and Poisson traffic load multiplied by FACTOR");
  wi->add_option("--set", changes.set, "PATH=VALUE: any scenario value (as --vary takes it), one variant");
  wi->add_option("--n-minus-1", changes.n_minus_1,
                 "links (every switch-to-switch link) or switches: every single failure of that kind");
  wi->add_option("--out", whatif_out,
                 "Folder for whatif.csv, links.csv, summary.txt and one sub-folder of results per variant");
  wi->add_option("--threads", threads, "Parallel runs (0 = one per core)")->capture_default_str();
  wi->add_option("--top", whatif_top, "Variants printed, worst first (0 = all)")->capture_default_str();
  wi->add_option("--fidelity", whatif_fidelity,
                 "packet (every packet) or flow (fluid flows, max-min): overrides every variant's")
      ->check(CLI::IsMember({"packet", "flow"}));

  auto* dg = app.add_subcommand(
      "diagnose",
      "Find what is wrong in a fabric's port telemetry (the twin's metrics.om or telemetry.csv, or a real "
      "fabric's OpenMetrics, Prometheus or CSV dump): links, switches and NICs down, links below their "
      "group's speed, congestion hot spots and incast, ECMP imbalance; each finding with its location, "
      "evidence and first time seen.");
  std::string telemetry_path, telemetry_format, telemetry_map, diagnose_out;
  dg->add_option("telemetry", telemetry_path, "Telemetry file (.om OpenMetrics, .prom Prometheus text, .csv)")
      ->required();
  dg->add_option("--format", telemetry_format, "openmetrics, prometheus or csv (default: by the file name)")
      ->check(CLI::IsMember({"openmetrics", "prometheus", "csv"}));
  dg->add_option("--map", telemetry_map,
                 "YAML mapping of other counter names onto aifabric's (docs/telemetry.md)");
  std::string diagnose_scenario;
  dg->add_option("--scenario", diagnose_scenario,
                 "The fabric and workloads as designed: each finding becomes a fault of it, and candidate "
                 "mitigations are re-simulated and ranked by what they recover");
  dg->add_option("--threads", threads, "Parallel runs for the mitigations (0 = one per core)");
  dg->add_option("--out", diagnose_out, "Folder for diagnosis.json and summary.txt");

  auto* pl =
      app.add_subcommand("plan",
                         "Design the fabric for the scenario's plan section and portfolio: every "
                         "candidate (fabric, speed, switch, ratio) sized by the reference-design rules, "
                         "its bill of materials, cables, power and cost, its growth phases, and the "
                         "portfolio assessed on it at flow level; a Pareto table and a recommendation.");
  std::string plan_out;
  unsigned plan_threads = 0;
  pl->add_option("scenario", scenario, "Scenario YAML file with a plan section, or example:NAME")->required();
  pl->add_option("--out", plan_out,
                 "Folder for plan.json, summary.txt, bom.csv, cabling.csv and one scenario per design");
  pl->add_option("--threads", plan_threads, "Designs assessed at once (0 = plan.threads, else one per core)");

  auto* rp = app.add_subcommand(
      "report",
      "Render the HTML report of a result folder (any command's --out): one self-contained file with charts "
      "(iteration-time breakdown, link heat map, queues and PFC over time, FCT CDF, busbw against size, "
      "what-if diffs, plan Pareto set).");
  std::string report_dir, report_path;
  rp->add_option("results", report_dir, "Result folder written by an aifabric command")->required();
  rp->add_option("-o,--output", report_path, "HTML file to write (default: RESULTS/report.html)");
  bool with_report = false;
  const std::string report_help = "Also write report.html (see `aifabric report`) into the --out folder";
  for (auto* c : {sim, coll, as, sw, wi, dg, pl}) {
    auto* flag = c->add_flag("--report", with_report, report_help);
    if (c != sim) flag->needs(c->get_option("--out"));
  }

  Split split;
  for (auto* c : {sw, wi}) {
    auto* shard =
        c->add_option("--shard", split.shard,
                      "I/N: run only the variants whose number modulo N is I (a batch job of N), and "
                      "write them with shard.json to --out");
    shard->needs(c->get_option("--out"));
    c->add_option("--merge", split.merge,
                  "DIR,...: run nothing; complete the study from the --shard folders of the same command")
        ->delimiter(',')
        ->excludes(shard);
  }
  TraceRequest trace;
  sim->add_option("--trace", trace.path,
                  "Write the flows (and, when sampled, the deepest ports' queues) as Chrome trace-event JSON "
                  "(open in ui.perfetto.dev)");
  for (auto* c : {coll, as}) {
    c->add_option(
        "--trace", trace.path,
        "Write the timeline as Chrome trace-event JSON (open in ui.perfetto.dev): per GPU, compute and "
        "each kind of communication on its own track");
    c->add_option("--trace-gpus", trace.gpus, "GPUs in the trace, from GPU 0 (0 = all)")
        ->capture_default_str();
  }

  auto* ch = app.add_subcommand(
      "export-chakra",
      "Write a job's iteration as MLCommons Chakra execution traces, one file per rank, and ASTRA-sim's "
      "comm-group file (docs/chakra.md): the input of a `kind: chakra` job, ASTRA-sim and its peers.");
  std::string chakra_job, chakra_out = "trace";
  ch->add_option("scenario", scenario, "Scenario YAML file with jobs, or example:NAME")->required();
  ch->add_option("--job", chakra_job, "Name of the job to export (default: the first)");
  ch->add_option("--out", chakra_out, "Folder for JOB.RANK.et and JOB.comm_groups.json")
      ->capture_default_str();

  auto* sv =
      app.add_subcommand("serve",
                         "Serve the HTTP API (docs/service.md): validate scenarios, start runs (simulate, "
                         "assess, collective), poll them, fetch their files and reports.");
  aifabric::service::Config service_config;
  sv->add_option("--port", service_config.port, "TCP port (0 = any free port)")->capture_default_str();
  sv->add_option("--bind", service_config.bind, "Address to listen on")->capture_default_str();
  sv->add_option(
      "--token-file", service_config.token_file,
      "File of bearer tokens, one per line: requests must carry one; each token sees only its runs");
  sv->add_option("--data-dir", service_config.data_dir, "Folder for the runs' results")
      ->capture_default_str();
  sv->add_option("--max-body-bytes", service_config.max_body_bytes, "Larger request bodies: 413")
      ->capture_default_str();
  sv->add_option("--max-running", service_config.max_running, "Runs at once; more: 429")
      ->capture_default_str();
  sv->add_option("--max-run-seconds", service_config.max_run_seconds, "Longer runs fail")
      ->capture_default_str();
  sv->add_option("--max-hosts", service_config.max_hosts, "Larger scenarios: 422")->capture_default_str();
  sv->add_option("--max-events", service_config.max_events,
                 "Runs that pass this many engine events fail (checked every 2^20 events)")
      ->capture_default_str();
  sv->add_option("--max-memory-gbytes", service_config.max_memory_gbytes,
                 "Scenarios the loader estimates to need more memory: 422")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  auto* vm = app.add_subcommand(
      "validate-model",
      "Run the model against published measurements of real clusters (nccl-tests tables) and print each "
      "prediction beside its measurement (docs/validation.md).");
  std::string validate_network = "flow";
  bool validate_check = false;
  vm->add_option("--network", validate_network, "packet, flow or ideal")
      ->check(CLI::IsMember({"packet", "flow", "ideal"}))
      ->capture_default_str();
  vm->add_flag("--check", validate_check,
               "Exit 1 when a row is outside its tolerance (calibration rows and known gaps aside)");
  vm->add_option("--threads", threads, "Rows run in parallel (0 = one per core)")->capture_default_str();

  auto* params =
      app.add_subcommand("params", "Print every scenario parameter: type, unit, default, range, meaning.");
  auto* metrics = app.add_subcommand(
      "metrics",
      "Print the telemetry metrics aifabric writes and reads, with their SONiC/SAI, OpenConfig, "
      "InfiniBand and NIC counterparts (docs/telemetry.md).");
  auto* examples = app.add_subcommand("examples", "List the built-in example scenarios.");
  auto* show = app.add_subcommand("show-example", "Print a built-in example's YAML.");
  std::string example_name;
  show->add_option("name", example_name, "Example name")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (world.rank() != 0 && !*sw && !*wi && !*pl) return 0;
    if (*sim) return simulate(scenario, out, seed, sim_fidelity, with_report, trace.path);
    if (*val) return validate(scenario);
    if (*coll) return collective(scenario, coll_out, network, with_report, trace);
    if (*as) return assess(scenario, assess_out, fidelity, with_report, trace, threads);
    if (*sw) return sweep(world, scenario, vary, sweep_out, threads, sweep_fidelity, with_report, split);
    if (*wi)
      return whatif(world, scenario, changes, whatif_out, threads, whatif_fidelity, whatif_top, with_report,
                    split);
    if (*pl) return plan(world, scenario, plan_out, plan_threads, with_report);
    if (*dg)
      return diagnose(telemetry_path, telemetry_format, telemetry_map, diagnose_scenario, diagnose_out,
                      threads, with_report);
    if (*rp) return report(report_dir, report_path);
    if (*ch) return export_chakra(scenario, chakra_job, chakra_out);
    if (*sv) return serve(service_config);
    if (*vm) {
      const auto checks = aifabric::validate::run_measurements(
          validate_network == "packet"  ? aifabric::api::NetworkModel::kPacket
          : validate_network == "ideal" ? aifabric::api::NetworkModel::kIdeal
                                        : aifabric::api::NetworkModel::kFlow,
          threads);
      std::cout << aifabric::validate::checks_markdown(checks);
      if (validate_check)
        for (const auto& c : checks)
          if (c.counted() && c.measurement->known_gap.empty() && !c.within()) return 1;
      return 0;
    }
    if (*params) {
      std::cout << aifabric::plan::parameter_reference_markdown();
      return 0;
    }
    if (*metrics) {
      std::cout << aifabric::telemetry::metric_reference_markdown();
      return 0;
    }
    if (*examples) {
      for (const auto& ex : aifabric::io::builtin_examples()) std::cout << "example:" << ex.name << "\n";
      return 0;
    }
    if (*show) {
      for (const auto& ex : aifabric::io::builtin_examples())
        if (ex.name == example_name) {
          std::cout << ex.yaml;
          return 0;
        }
      std::cerr << "error: no built-in example named '" << example_name << "' (see `aifabric examples`)\n";
      return kInputErrorExit;
    }
  } catch (const aifabric::core::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kInputErrorExit;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory; the scenario is larger than this machine holds (lower "
                 "limits.max_memory_gbytes to have such scenarios refused before they run)\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "aifabric internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
