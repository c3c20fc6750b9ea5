#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ops/diagnose.hpp"

namespace aifabric::ops {

// A labelled fault-injection corpus for the detectors (docs/models/diagnose.md): small packet-level
// scenarios on leaf-spine fabrics of several sizes, fabric kinds (RoCE, InfiniBand, lossy Ethernet) and
// background loads, each with one injected fault or none, and the ground truth.
struct Truth {
  std::string kind;                    // a Finding kind, or "healthy"
  std::vector<std::string> locations;  // any of these is the right place
  double onset_s = 0;  // faults hold for the whole run (onset 0); traffic-made classes start with it
};

struct CorpusCase {
  std::string id;
  std::string yaml;  // the scenario
  Truth truth;
};

// `per_class` cases of each fault class and `healthy` cases without a fault, deterministic; case i runs
// with seed `seed + i` (another seed: the same shapes, other traffic, for a held-out check).
std::vector<CorpusCase> fault_corpus(std::size_t per_class, std::size_t healthy, std::uint64_t seed = 1);

// How the detectors did on a corpus, per class and overall.
struct ClassScore {
  std::string kind;
  std::size_t cases = 0;         // cases with this truth
  std::size_t detected = 0;      // of those, with a finding of this kind
  std::size_t localized = 0;     // of those, whose first finding of this kind is at the right place
  std::size_t false_alarms = 0;  // cases of another truth with a finding of this kind
  double latency_s_max = 0;      // the rule firing - onset, the worst detected case
  double precision() const;
  double recall() const;
  double localization() const;
};

struct CorpusScore {
  std::vector<ClassScore> classes;
  std::size_t healthy = 0, healthy_clean = 0;  // healthy cases, and those with no finding
  double window_s = 0;                         // the corpus's sampling interval
  std::size_t cases = 0;
  double overall_precision = 0, overall_recall = 0, overall_localization = 0;
};

// Runs every case (on `threads` threads, 0 = one per core), diagnoses its telemetry and scores it;
// `findings` (when given) gets each case's diagnosis.
CorpusScore evaluate(const std::vector<CorpusCase>& cases, unsigned threads, const Rules& rules = {},
                     std::vector<Diagnosis>* findings = nullptr);
std::string score_table(const CorpusScore& score);

// The mitigation check on the corpus's faulty links between switches (slow, lossy, flapping) and its PFC
// storms: each case's telemetry diagnosed, mitigations verified against the case without its fault, and
// the recommended one applied to the real fault in a fresh run. One score per fault class. The cost is
// traffic_cost (mitigate.hpp): the p99 FCT, unfinished flows counted until the run's end, a storming
// host's flows left out.
struct MitigationScore {
  std::string kind;                   // link_degraded, lossy_link, link_flap, pfc_storm
  std::size_t cases = 0;              // cases of that class (links: between switches)
  std::size_t costly = 0;             // of those, whose fault costs at least 5% (p99 FCT)
  std::size_t recommended = 0;        // of the costly, with a verified mitigation
  std::size_t recovered_80 = 0;       // of those, the recommendation recovers >= 80% of the fault's cost
  double worst_prediction_error = 0;  // |predicted - fresh run| / fresh run, over the recommendations
  std::vector<std::string> actions;   // the recommendation per costly case ("" when none)
};
std::vector<MitigationScore> evaluate_mitigations(const std::vector<CorpusCase>& cases, unsigned threads);
std::string mitigation_table(const std::vector<MitigationScore>& scores);

}  // namespace aifabric::ops
