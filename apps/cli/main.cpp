// aifabric command line: parse -> api -> render. No simulation logic lives here.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "api/collective_sweep.hpp"
#include "api/parallel.hpp"
#include "api/run.hpp"
#include "core/error.hpp"
#include "io/examples.hpp"
#include "io/scenario_loader.hpp"
#include "io/scenario_schemas.hpp"
#include "io/writers.hpp"
#include "whatif/variants.hpp"

namespace {

constexpr int kInputErrorExit = 2;

void make_folder(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw aifabric::core::InputError(aifabric::core::Location{dir, 0, 0, "--out"},
                                     "cannot create output folder: " + ec.message());
}

// A long run shows it is alive: a line on stderr at most every 10 s of wall time, from the first 10 s on.
// The runs of one command share the clock (they run one after another).
void show_progress(aifabric::api::Scenario& sc) {
  struct State {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now(), last = start;
  };
  auto state = std::make_shared<State>();
  sc.run.progress = [state](aifabric::core::TimePs simulated_ps, std::uint64_t events) {
    const auto now = std::chrono::steady_clock::now();
    if (now - state->last < std::chrono::seconds(10)) return;
    state->last = now;
    std::cerr << fmt::format("running      {:.3f} ms simulated, {} events, {:.0f} s\n",
                             aifabric::core::ps_to_us(simulated_ps) / 1e3, events,
                             std::chrono::duration<double>(now - state->start).count());
  };
}

int simulate(const std::string& scenario, const std::string& out, std::int64_t seed,
             const std::string& fidelity) {
  auto sc = aifabric::io::load_scenario(scenario, seed);
  show_progress(sc);
  if (fidelity == "flow") sc.fidelity = aifabric::api::NetworkModel::kFlow;
  if (fidelity == "packet") sc.fidelity = aifabric::api::NetworkModel::kPacket;
  if (sc.flows.empty())
    throw aifabric::core::InputError(
        aifabric::core::Location{sc.source, 0, 0, "traffic"},
        "this scenario has no traffic to simulate; `aifabric collective` runs its collective");
  const auto result = aifabric::api::run(sc);
  aifabric::io::write_results(out, sc, result);
  std::cout << aifabric::io::human_summary(sc, result);
  std::cout << "results      " << out << "/summary.json, flows.csv, ports.csv"
            << (sc.run.sample_interval_ps > 0 ? ", timeseries.csv" : "") << "\n";
  return 0;
}

int collective(const std::string& scenario, const std::string& out, const std::string& network) {
  auto sc = aifabric::io::load_scenario(scenario);
  show_progress(sc);
  if (!sc.collective.present)
    throw aifabric::core::InputError(aifabric::core::Location{sc.source, 0, 0, "collective"},
                                     "this scenario has no collective section (see `aifabric params`)");
  if (network == "ideal") sc.collective.network = aifabric::api::NetworkModel::kIdeal;
  if (network == "packet") sc.collective.network = aifabric::api::NetworkModel::kPacket;
  if (network == "flow") sc.collective.network = aifabric::api::NetworkModel::kFlow;
  const auto rows = aifabric::api::run_collective_sweep(sc, sc.collective.network);
  std::cout << aifabric::io::collective_table(sc, rows);
  if (!out.empty()) {
    make_folder(out);
    aifabric::io::write_file_atomic(out + "/collective.csv", aifabric::io::collective_csv(sc, rows));
    std::cout << "results      " << out << "/collective.csv\n";
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

int assess(const std::string& scenario, const std::string& out, const std::string& fidelity) {
  auto sc = aifabric::io::load_scenario(scenario);
  show_progress(sc);
  if (fidelity == "flow") sc.fidelity = aifabric::api::NetworkModel::kFlow;
  if (fidelity == "packet") sc.fidelity = aifabric::api::NetworkModel::kPacket;
  if (sc.jobs.empty() && sc.services.empty())
    throw aifabric::core::InputError(
        aifabric::core::Location{sc.source, 0, 0, "jobs"},
        "this scenario has no jobs or services to assess (see `aifabric params`)");
  const auto a = aifabric::api::assess(sc);
  std::cout << aifabric::io::assess_text(sc, a);
  if (!out.empty()) {
    make_folder(out);
    aifabric::io::write_file_atomic(out + "/assess.json", aifabric::io::assess_json(sc, a));
    std::cout << "results      " << out << "/assess.json\n";
  }
  return 0;
}

int sweep(const std::string& scenario, const std::vector<std::string>& vary, const std::string& out,
          unsigned threads) {
  const auto variants = aifabric::whatif::variants(aifabric::io::scenario_document(scenario), vary);
  std::vector<aifabric::api::Scenario> scenarios;
  for (const auto& v : variants)
    scenarios.push_back(aifabric::io::load_scenario_document(v.document, scenario + " [" + v.label + "]"));
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = aifabric::api::run_all(scenarios, threads);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double serial = 0;
  for (const auto& r : results) serial += r.cost.wall_seconds;
  std::cout << fmt::format("{:<48} {:>9} {:>11} {:>11} {:>11} {:>8} {:>8} {:>10}\n", "variant", "flows",
                           "FCT p50 us", "FCT p99 us", "FCT max us", "drops", "pauses", "p99 vs base");
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    std::cout << fmt::format("{:<48} {:>4}/{:<4} {:>11.2f} {:>11.2f} {:>11.2f} {:>8} {:>8} {:>+9.1f}%\n",
                             variants[i].label, r.flows_completed, r.flows.size(), r.fct_us.p50, r.fct_us.p99,
                             r.fct_us.max, r.drops, r.pause_frames,
                             100.0 * (r.fct_us.p99 / results[0].fct_us.p99 - 1.0));
    if (!out.empty()) aifabric::io::write_results(out + "/" + std::to_string(i), scenarios[i], r);
  }
  std::cout << fmt::format(
      "run cost     {} variants in {:.2f} s wall ({:.2f} s if run one after another: {:.2f}x)\n",
      results.size(), wall, serial, serial > 0 ? wall / serial : 0.0);
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

  auto* sw = app.add_subcommand("sweep",
                                "What-if: run the scenario and its variants in parallel and compare each "
                                "with the baseline. Each --vary PATH=V1,V2,... multiplies the variants.");
  std::vector<std::string> vary;
  std::string sweep_out;
  unsigned threads = 0;
  sw->add_option("scenario", scenario, "Scenario YAML file with traffic, or example:NAME")->required();
  sw->add_option("--vary", vary, "PATH=VALUE[,VALUE...], PATH as in error messages (fabric.load_balancing)")
      ->required();
  sw->add_option("--out", sweep_out, "Folder: one sub-folder of results per variant, numbered as printed");
  sw->add_option("--threads", threads, "Parallel runs (0 = one per core)")->capture_default_str();

  auto* params =
      app.add_subcommand("params", "Print every scenario parameter: type, unit, default, range, meaning.");
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
    if (*sim) return simulate(scenario, out, seed, sim_fidelity);
    if (*val) return validate(scenario);
    if (*coll) return collective(scenario, coll_out, network);
    if (*as) return assess(scenario, assess_out, fidelity);
    if (*sw) return sweep(scenario, vary, sweep_out, threads);
    if (*params) {
      std::cout << aifabric::io::parameter_reference_markdown();
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
  }
  return 0;
}
