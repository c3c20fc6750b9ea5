// Writes the labelled fault corpus (one scenario per case and labels.csv with the ground truth), runs every
// case packet by packet, diagnoses its telemetry and prints precision, recall, top-1 localization and
// detection latency per class (the table of docs/models/diagnose.md).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "core/error.hpp"
#include "io/writers.hpp"
#include "ops/corpus.hpp"

int main(int argc, char** argv) {
  CLI::App app("fault_corpus: the labelled fault corpus for aifabric diagnose, written and scored");
  std::string out;
  std::size_t per_class = 60, healthy = 72;
  unsigned threads = 0;
  std::uint64_t seed = 1;
  bool misses = false, mitigate = false;
  app.add_option("--out", out, "Folder for the scenarios and labels.csv (none: score only)");
  app.add_option("--per-class", per_class, "Cases of each fault class")->capture_default_str();
  app.add_option("--healthy", healthy, "Cases without a fault")->capture_default_str();
  app.add_option("--threads", threads, "Cases run at once (0 = one per core)");
  app.add_option("--seed", seed, "Seed of the first case (another: other traffic, a held-out check)")
      ->capture_default_str();
  app.add_flag("--show-misses", misses, "Print each case whose findings differ from its ground truth");
  app.add_flag("--mitigate", mitigate,
               "Also verify mitigations on the slow, lossy and flapping switch links and check each "
               "recommendation in a fresh run");
  CLI11_PARSE(app, argc, argv);
  try {
    const auto cases = aifabric::ops::fault_corpus(per_class, healthy, seed);
    if (!out.empty()) {
      std::filesystem::create_directories(out);
      std::string labels = "id,kind,locations,onset_s\n";
      for (const auto& c : cases) {
        aifabric::io::write_file_atomic(out + "/" + c.id + ".yaml", c.yaml);
        std::string where;
        for (const auto& w : c.truth.locations) where += (where.empty() ? "" : "|") + w;
        labels += fmt::format("{},{},\"{}\",{}\n", c.id, c.truth.kind, where, c.truth.onset_s);
      }
      aifabric::io::write_file_atomic(out + "/labels.csv", labels);
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<aifabric::ops::Diagnosis> found;
    const auto score = aifabric::ops::evaluate(cases, threads, {}, &found);
    for (std::size_t i = 0; misses && i < cases.size(); ++i) {
      const auto& f = found[i].findings;
      const bool right =
          cases[i].truth.kind == "healthy" ? f.empty() : !f.empty() && f.front().kind == cases[i].truth.kind;
      if (right &&
          std::all_of(f.begin(), f.end(), [&](const auto& x) { return x.kind == cases[i].truth.kind; }))
        continue;
      std::cout << cases[i].id << " (truth " << cases[i].truth.kind << "):\n"
                << aifabric::ops::diagnosis_text(found[i]);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << aifabric::ops::score_table(score);
    std::cout << fmt::format("{} cases run and diagnosed in {:.1f} s\n", cases.size(), wall);
    if (mitigate) {
      const auto t1 = std::chrono::steady_clock::now();
      std::cout << aifabric::ops::mitigation_table(aifabric::ops::evaluate_mitigations(cases, threads));
      std::cout << fmt::format("mitigations verified in {:.1f} s\n",
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count());
    }
  } catch (const aifabric::core::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
