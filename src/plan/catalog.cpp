#include "plan/catalog.hpp"

#include <fmt/format.h>

namespace aifabric::plan {

namespace {

// Sources, cited by every entry (docs/models/plan.md has the full references).
constexpr const char* kQm9700 =
    "NVIDIA QM97xx user manual, Interfaces (64 x 400G NDR in 32 twin-port OSFP cages, 1U); power and price: "
    "estimates (datasheet range and Aug 2024 quotes, research/planner.md section 4)";
constexpr const char* kQ3400 =
    "netbox devicetype-library Nvidia/Q3400-RA (144 x 800G XDR in 72 twin-port OSFP cages, 4U); power and "
    "price: estimates";
constexpr const char* kSn5600 =
    "NVIDIA SN5000 Data Interfaces (64 x 800G OSFP = 128 x 400G, 2U); power (51.2T ASIC about 500 W, "
    "TechInsights) and price: estimates";
constexpr const char* kSn5400 =
    "NVIDIA SN5000 Data Interfaces (SN5400: 64 x 400G, 2U); power and price: estimates";
constexpr const char* kCx7 =
    "NVIDIA ConnectX-7 400G OSFP adapter; power (20-25 W class) and price: estimates";
constexpr const char* kCx8 = "NVIDIA ConnectX-8 800G adapter; power and price: estimates";
constexpr const char* kSr8 = "NVIDIA MMA4Z00-NS twin-port 2x400G OSFP SR8, 50 m, 15 W; price: estimate";
constexpr const char* kDr8 = "NVIDIA MMS4X00-NS twin-port 2x400G OSFP DR8, 100 m, 17 W; price: estimate";
constexpr const char* kSr4 = "NVIDIA MMA4Z00-NS400 400G OSFP SR4, 50 m, 8 W typical; price: estimate";
constexpr const char* kDr4 = "NVIDIA MMS4X00-NS400 400G OSFP DR4, 100 m, 9 W; price: estimate";
constexpr const char* kFr4 =
    "NVIDIA MMS4X50-NM twin-port 2x400G OSFP 2xFR4, 2 km (single-port 400G FR4 at the NIC); power and price: "
    "estimates";
constexpr const char* k800 =
    "800G per link (twin-port 2x800G OSFP for XDR and Spectrum-X): power scaled from the 400G parts by "
    "lane count (estimate); price: estimate";
constexpr const char* kDac = "NVIDIA MCP4Y10 / MCP7Y00 passive DAC, up to 2-3 m, 0.1 W; price: estimate";
constexpr const char* kAcc = "NVIDIA MCA7J60/70 active copper, 4-5 m; power and price: estimates";
constexpr const char* kFiber = "MPO fiber patch cable; reach set by the optics; price: estimate";

Catalog make_builtin() {
  Catalog c;
  c.switches = {
      {"QM9700", "infiniband", 400, 64, 2, 1, 750, 1720, 36000, kQm9700},
      {"Q3400", "infiniband", 800, 144, 2, 4, 3000, 7000, 120000, kQ3400},
      {"SN5600", "ethernet", 400, 128, 2, 2, 950, 2400, 65000, kSn5600},
      {"SN5600", "ethernet", 800, 64, 1, 2, 950, 2400, 65000, kSn5600},
      {"SN5400", "ethernet", 400, 64, 1, 2, 650, 1700, 40000, kSn5400},
  };
  c.nics = {
      {"ConnectX-7", 400, 25, 2000, kCx7},
      {"ConnectX-8", 800, 35, 3200, kCx8},
  };
  c.optics = {
      {"OSFP-2x400G-SR8", 400, 2, "multimode", 50, 15, 1200, kSr8},
      {"OSFP-2x400G-DR8", 400, 2, "single_mode", 100, 17, 1500, kDr8},
      {"OSFP-400G-SR4", 400, 1, "multimode", 50, 8, 700, kSr4},
      {"OSFP-400G-DR4", 400, 1, "single_mode", 100, 9, 900, kDr4},
      {"OSFP-2x400G-FR4", 400, 2, "single_mode", 2000, 17.5, 2000, kFr4},
      {"OSFP-400G-FR4", 400, 1, "single_mode", 2000, 10, 1200, kFr4},
      {"OSFP-2x800G-SR8", 800, 2, "multimode", 50, 24, 2200, k800},
      {"OSFP-2x800G-DR8", 800, 2, "single_mode", 500, 28, 2800, k800},
      {"OSFP-800G-SR8", 800, 1, "multimode", 50, 15, 1300, k800},
      {"OSFP-800G-DR8", 800, 1, "single_mode", 500, 17, 1600, k800},
  };
  c.cables = {
      {"DAC-400G", "dac", 400, 3, 0.1, 150, kDac},       {"ACC-400G", "acc", 400, 5, 3, 350, kAcc},
      {"MMF-MPO", "multimode", 400, 50, 0, 100, kFiber}, {"SMF-MPO", "single_mode", 400, 500, 0, 120, kFiber},
      {"DAC-800G", "dac", 800, 2, 0.1, 250, kDac},       {"ACC-800G", "acc", 800, 4, 4, 500, kAcc},
      {"MMF-MPO", "multimode", 800, 50, 0, 100, kFiber}, {"SMF-MPO", "single_mode", 800, 500, 0, 120, kFiber},
  };
  return c;
}

const io::Schema<SwitchModel>& switch_schema() {
  static const auto s =
      io::Schema<SwitchModel>()
          .text("name", &SwitchModel::name, "", "Catalog name of the switch to change (QM9700, SN5600, ...).")
          .real("rate_gbps", &SwitchModel::rate_gbps, "Gbit/s", 0, 0, 1e6,
                "Port speed of the entry to change, when the model has several.")
          .integer("ports", &SwitchModel::ports, "", 64, 1, 100000, "Ports (radix) at rate_gbps.")
          .integer("links_per_cage", &SwitchModel::links_per_cage, "", 1, 1, 8,
                   "Links one cage and its transceiver end (2: twin-port OSFP).")
          .real("rack_units", &SwitchModel::rack_units, "U", 1, 0, 100, "Height.")
          .real("power_w", &SwitchModel::power_w, "W", 0, 0, 1e6, "Typical power without transceivers.")
          .real("power_max_w", &SwitchModel::power_max_w, "W", 0, 0, 1e6,
                "Maximum power without transceivers.")
          .real("price_usd", &SwitchModel::price_usd, "USD", 0, 0, 1e9, "Unit price.")
          .text("source", &SwitchModel::source, "", "Where the figures come from.");
  return s;
}

const io::Schema<NicModel>& nic_schema() {
  static const auto s = io::Schema<NicModel>()
                            .text("name", &NicModel::name, "", "Catalog name of the NIC to change.")
                            .real("rate_gbps", &NicModel::rate_gbps, "Gbit/s", 0, 0, 1e6, "Port speed.")
                            .real("power_w", &NicModel::power_w, "W", 0, 0, 1e5, "Typical power.")
                            .real("price_usd", &NicModel::price_usd, "USD", 0, 0, 1e9, "Unit price.")
                            .text("source", &NicModel::source, "", "Where the figures come from.");
  return s;
}

const io::Schema<OpticModel>& optic_schema() {
  static const auto s = io::Schema<OpticModel>()
                            .text("name", &OpticModel::name, "", "Catalog name of the transceiver to change.")
                            .real("reach_m", &OpticModel::reach_m, "m", 0, 0, 1e6, "Longest link it drives.")
                            .real("power_w", &OpticModel::power_w, "W", 0, 0, 1e4, "Power per module.")
                            .real("price_usd", &OpticModel::price_usd, "USD", 0, 0, 1e9, "Unit price.")
                            .text("source", &OpticModel::source, "", "Where the figures come from.");
  return s;
}

const io::Schema<CableModel>& cable_schema() {
  static const auto s =
      io::Schema<CableModel>()
          .text("name", &CableModel::name, "", "Catalog name of the cable to change.")
          .real("rate_gbps", &CableModel::rate_gbps, "Gbit/s", 0, 0, 1e6,
                "Speed of the entry to change, when the name has several.")
          .real("reach_m", &CableModel::reach_m, "m", 0, 0, 1e6, "Longest cable of this kind.")
          .real("power_w", &CableModel::power_w, "W", 0, 0, 1e4, "Power per cable.")
          .real("price_usd", &CableModel::price_usd, "USD", 0, 0, 1e9, "Unit price.")
          .text("source", &CableModel::source, "", "Where the figures come from.");
  return s;
}

// Overrides entries of `items` named by the list `node` (each entry a mapping with `name`, and
// `rate_gbps` where `keyed_by_rate` and several entries share the name).
template <class T>
void override_list(std::vector<T>& items, const io::Schema<T>& schema, const io::Node& node,
                   const io::ParseContext& ctx, const std::string& field, const char* noun,
                   bool keyed_by_rate) {
  if (!node) return;
  if (!node.is_sequence())
    throw core::InputError(ctx.at(node, field),
                           std::string("expected a list of entries, got ") + io::kind_name(node));
  for (std::size_t i = 0; i < node.size(); ++i) {
    const io::Node& entry = node[i];
    const std::string at = fmt::format("{}[{}]", field, i);
    io::require_map(entry, ctx, at);
    if (!entry["name"])
      throw core::InputError(ctx.at(entry, at + ".name"), "missing; expected a catalog name");
    const std::string name = io::read_string(entry["name"], ctx, at + ".name");
    const bool by_rate = keyed_by_rate && entry["rate_gbps"];
    const double rate = by_rate ? io::read_real(entry["rate_gbps"], ctx, at + ".rate_gbps") : 0;
    std::string names;
    std::size_t matched = 0;
    for (auto& item : items) {
      if (names.find(item.name) == std::string::npos) names += (names.empty() ? "" : ", ") + item.name;
      if (item.name != name || (by_rate && item.rate_gbps != rate)) continue;
      const double keep_rate = item.rate_gbps;
      schema.parse(entry, item, ctx, at);
      if (by_rate) item.rate_gbps = keep_rate;
      ++matched;
    }
    if (matched == 0)
      throw core::InputError(ctx.at(entry["name"], at + ".name"),
                             fmt::format("unknown {} '{}'{}; expected one of: {}", noun, name,
                                         by_rate ? fmt::format(" at {} Gbit/s", rate) : "", names));
  }
}

template <class T>
const T* first_match(const std::vector<T>& items, auto&& pred) {
  for (const auto& item : items)
    if (pred(item)) return &item;
  return nullptr;
}

}  // namespace

const NicModel* Catalog::nic_for(double rate_gbps) const {
  return first_match(nics, [&](const NicModel& n) { return n.rate_gbps == rate_gbps; });
}

const OpticModel* Catalog::optic_for(double rate_gbps, std::uint32_t links, const std::string& medium,
                                     double length_m) const {
  return first_match(optics, [&](const OpticModel& o) {
    return o.rate_gbps == rate_gbps && o.links == links && o.medium == medium && o.reach_m >= length_m;
  });
}

const CableModel* Catalog::cable_for(double rate_gbps, const std::string& medium, double length_m) const {
  return first_match(cables, [&](const CableModel& c) {
    return c.rate_gbps == rate_gbps && c.medium == medium && c.reach_m >= length_m;
  });
}

const Catalog& builtin_catalog() {
  static const Catalog c = make_builtin();
  return c;
}

Catalog apply_catalog_overrides(Catalog catalog, const io::Node& node, const io::ParseContext& ctx) {
  if (!node) return catalog;
  io::require_map(node, ctx, "plan.catalog");
  io::reject_unknown_keys(node, {"switches", "nics", "optics", "cables"}, ctx, "plan.catalog");
  override_list(catalog.switches, switch_schema(), node["switches"], ctx, "plan.catalog.switches", "switch",
                true);
  override_list(catalog.nics, nic_schema(), node["nics"], ctx, "plan.catalog.nics", "NIC", false);
  override_list(catalog.optics, optic_schema(), node["optics"], ctx, "plan.catalog.optics", "transceiver",
                false);
  override_list(catalog.cables, cable_schema(), node["cables"], ctx, "plan.catalog.cables", "cable", true);
  return catalog;
}

std::vector<io::ParamDoc> catalog_docs() {
  std::vector<io::ParamDoc> out;
  auto add = [&](const std::vector<io::ParamDoc>& docs) { out.insert(out.end(), docs.begin(), docs.end()); };
  add(switch_schema().docs("plan.catalog.switches[]"));
  add(nic_schema().docs("plan.catalog.nics[]"));
  add(optic_schema().docs("plan.catalog.optics[]"));
  add(cable_schema().docs("plan.catalog.cables[]"));
  return out;
}

}  // namespace aifabric::plan
