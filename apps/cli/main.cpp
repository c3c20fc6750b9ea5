// aifabric command line: parse -> api -> render. No simulation logic lives here.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "api/run.hpp"
#include "core/error.hpp"
#include "io/examples.hpp"
#include "io/scenario_loader.hpp"
#include "io/writers.hpp"

namespace {

constexpr int kInputErrorExit = 2;

void make_folder(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw aifabric::core::InputError(aifabric::core::Location{dir, 0, 0, "--out"},
                                     "cannot create output folder: " + ec.message());
}

int simulate(const std::string& scenario, const std::string& out, std::int64_t seed) {
  const auto sc = aifabric::io::load_scenario(scenario, seed);
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
  if (!sc.collective.present)
    throw aifabric::core::InputError(aifabric::core::Location{sc.source, 0, 0, "collective"},
                                     "this scenario has no collective section (see `aifabric params`)");
  if (network == "ideal") sc.collective.network = aifabric::api::NetworkModel::kIdeal;
  if (network == "packet") sc.collective.network = aifabric::api::NetworkModel::kPacket;
  std::vector<aifabric::api::CollectiveRow> rows;
  for (std::uint64_t bytes = sc.collective.min_bytes; bytes <= sc.collective.max_bytes;
       bytes *= sc.collective.step_factor) {
    auto spec = sc.collective.spec;
    spec.bytes = bytes;
    rows.push_back(aifabric::api::run_collective(sc, spec, sc.collective.network));
  }
  std::cout << aifabric::io::collective_table(sc, rows);
  if (!out.empty()) {
    make_folder(out);
    aifabric::io::write_file_atomic(out + "/collective.csv", aifabric::io::collective_csv(sc, rows));
    std::cout << "results      " << out << "/collective.csv\n";
  }
  return 0;
}

int assess(const std::string& scenario, const std::string& out) {
  const auto sc = aifabric::io::load_scenario(scenario);
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
                   "packet (every packet on the fabric) or ideal (non-blocking, congestion-free)")
      ->check(CLI::IsMember({"packet", "ideal"}));
  coll->add_option("--out", coll_out, "Folder for collective.csv");

  auto* as = app.add_subcommand("assess",
                                "Readiness of the cluster for its jobs: each training job's iteration time, "
                                "breakdown, GPU utilization and cost against the same job on an ideal "
                                "network, and the bottleneck links.");
  std::string assess_out;
  as->add_option("scenario", scenario, "Scenario YAML file with jobs, or example:NAME")->required();
  as->add_option("--out", assess_out, "Folder for assess.json");

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
    if (*sim) return simulate(scenario, out, seed);
    if (*val) return validate(scenario);
    if (*coll) return collective(scenario, coll_out, network);
    if (*as) return assess(scenario, assess_out);
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
