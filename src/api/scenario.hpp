#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "net/config.hpp"
#include "topo/topology_spec.hpp"
#include "workload/traffic.hpp"

namespace aifabric::api {

// A fully resolved, validated scenario: everything a run needs, nothing left to parse.
struct Scenario {
  std::string name;
  std::string source;  // file it came from, or "example:<name>"
  topo::TopologySpec topology;
  net::FabricConfig fabric;
  std::vector<workload::FlowSpec> flows;
  net::RunOptions run;
  std::uint32_t top_ports = 5;  // hottest ports listed in the summary
};

}  // namespace aifabric::api
