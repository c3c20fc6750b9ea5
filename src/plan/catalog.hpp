#pragma once
// The physical parts a fabric is built from: switches, NICs, transceivers and cables, each with the
// figures a bill of materials needs and the source of every figure (docs/models/plan.md). Prices are
// estimates unless a scenario overrides them; no primary source publishes list prices.
#include <cstdint>
#include <string>
#include <vector>

#include "io/node.hpp"
#include "io/schema.hpp"

namespace aifabric::plan {

// A switch at one port speed. A model that runs its ports at several speeds (SN5600: 64 x 800G or
// 128 x 400G) has one entry per speed, under the same name.
struct SwitchModel {
  std::string name;
  std::string fabric;  // "infiniband" or "ethernet"
  double rate_gbps = 0;
  std::uint32_t ports = 0;           // radix at rate_gbps
  std::uint32_t links_per_cage = 1;  // 2: twin-port OSFP cages, one transceiver ends two links
  double rack_units = 1;
  double power_w = 0;      // typical, without transceivers (optics are counted on their own)
  double power_max_w = 0;  // maximum, without transceivers
  double price_usd = 0;
  std::string source;
};

struct NicModel {
  std::string name;
  double rate_gbps = 0;
  double power_w = 0;
  double price_usd = 0;
  std::string source;
};

// A transceiver module. `links` is how many links one module ends (2 for a twin-port OSFP).
struct OpticModel {
  std::string name;
  double rate_gbps = 0;  // per link
  std::uint32_t links = 1;
  std::string medium;  // "multimode" or "single_mode"
  double reach_m = 0;
  double power_w = 0;
  double price_usd = 0;
  std::string source;
};

// A cable. Copper (dac, acc) needs no transceiver; fiber (multimode, single_mode) is ended by optics of
// its medium, and its reach is the optics' too.
struct CableModel {
  std::string name;
  std::string medium;  // "dac", "acc", "multimode", "single_mode"
  double rate_gbps = 0;
  double reach_m = 0;
  double power_w = 0;  // per cable (active copper draws power at both ends)
  double price_usd = 0;
  std::string source;
};

struct Catalog {
  std::vector<SwitchModel> switches;
  std::vector<NicModel> nics;
  std::vector<OpticModel> optics;
  std::vector<CableModel> cables;

  // The first entry of each kind matching; nullptr when there is none.
  const NicModel* nic_for(double rate_gbps) const;
  const OpticModel* optic_for(double rate_gbps, std::uint32_t links, const std::string& medium,
                              double length_m) const;
  const CableModel* cable_for(double rate_gbps, const std::string& medium, double length_m) const;
};

// The built-in catalog (figures and sources in catalog.cpp and docs/models/plan.md).
const Catalog& builtin_catalog();

// `node` is a scenario's `plan.catalog`: lists `switches`, `nics`, `optics`, `cables` of entries that
// name a built-in item (and, for switches, its rate_gbps when the name has several) and set any of its
// figures. An unknown name, a negative price or power is a core::InputError naming the field.
Catalog apply_catalog_overrides(Catalog catalog, const io::Node& node, const io::ParseContext& ctx);

// Documentation of the override keys, for `aifabric params`.
std::vector<io::ParamDoc> catalog_docs();

}  // namespace aifabric::plan
