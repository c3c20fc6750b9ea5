#pragma once
#include <string>
#include <vector>

#include "api/scenario.hpp"
#include "io/node.hpp"
#include "whatif/variants.hpp"

namespace aifabric::whatif {

// What `aifabric whatif` asks of a baseline: each entry is one variant, compared with the baseline alone
// (they are not combined). Faults become entries of the variant's `faults` list (docs/models/faults.md).
struct Changes {
  std::vector<std::string> fail;       // NODE (a switch: switch_down; a host: nic_down) or A-B (link_down)
  std::vector<std::string> degrade;    // A-B=RATE: the link at RATE Gbit/s; A-B=ber:BER: lossy
  std::vector<std::string> straggler;  // GPU=FACTOR, HOSTNAME=FACTOR or server:N=FACTOR
  // Any fault entry as YAML ("{kind: nic_slow, node: host8, rate_gbps: 25}"): every kind and key the
  // scenario's `faults` takes, timed faults and flaps included, checked as the scenario's own are.
  std::vector<std::string> fault;
  std::vector<std::string> load;  // FACTOR: services' request rates and Poisson traffic's load
  std::vector<std::string> set;   // PATH=VALUE: any scenario value
  std::string n_minus_1;          // "links" (every switch-to-switch link), "switches", or ""
  bool empty() const {
    return fail.empty() && degrade.empty() && straggler.empty() && fault.empty() && load.empty() &&
           set.empty() && n_minus_1.empty();
  }
};

// The baseline (first, labelled "baseline") and one variant per change, in the order of the fields above
// (each field's entries in the order given), then the N-1 variants in topology order. `base` is the
// baseline loaded (for node names, links and resolved rates). A node or link that does not exist, a rate
// at or above the line rate, a factor that is not a number above 1, a --fault that is not a YAML map
// with a kind or an unknown N-1 kind is a core::InputError naming the flag and the value (what a
// --fault's keys hold is checked when its variant is loaded, naming faults[i] and the key).
std::vector<Variant> change_variants(const io::Node& baseline, const api::Scenario& base,
                                     const Changes& changes);

}  // namespace aifabric::whatif
