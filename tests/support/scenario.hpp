#pragma once
#include <stdexcept>
#include <string>

#include "api/run.hpp"
#include "api/scenario.hpp"
#include "io/scenario_loader.hpp"
#include "net/simulation.hpp"

namespace aifabric::testing {

// Scenarios in tests are written in the user's own format, so each test also exercises the loader.
inline api::Scenario scenario(const std::string& yaml) {
  return io::load_scenario_text(yaml, "test.yaml");
}

inline net::Simulation make_simulation(const api::Scenario& sc) {
  return net::Simulation(sc.topology, sc.fabric, sc.flows, sc.run);
}

// Jain's fairness index of the values: (sum x)^2 / (n sum x^2); 1 when all are equal.
inline double jain(const std::vector<double>& x) {
  double s = 0, s2 = 0;
  for (double v : x) {
    s += v;
    s2 += v * v;
  }
  return s2 > 0 ? s * s / (static_cast<double>(x.size()) * s2) : 0;
}

// A run of the scenario `yaml` (through the loader).
inline api::Result run(const std::string& yaml) {
  return api::run(scenario(yaml));
}

// The port named `name` ("a->b", "a->b#k") of a run.
inline const net::PortReport& port(const api::Result& r, const std::string& name) {
  for (const auto& p : r.ports)
    if (p.name == name) return p;
  throw std::runtime_error("no port " + name);
}

inline std::uint32_t port_index(const std::vector<net::PortReport>& ports, const std::string& name) {
  for (std::uint32_t i = 0; i < ports.size(); ++i)
    if (ports[i].name == name) return i;
  return static_cast<std::uint32_t>(ports.size());
}

}  // namespace aifabric::testing
