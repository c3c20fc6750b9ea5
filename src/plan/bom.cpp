#include "plan/bom.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

namespace aifabric::plan {

namespace {

using core::field_error;

constexpr double kUsableRackUnits = 42;

enum class Role : std::uint8_t { kServer, kStorage, kLeaf, kStorageLeaf, kSpine, kCore };

struct Device {
  Role role = Role::kServer;
  std::uint32_t index = 0;  // server, storage node, SU of a leaf
  std::uint32_t rail = 0;   // GPU of a server host, rail of a leaf
  std::string name;         // device name in the cable plant
  std::string port;         // host ports: the NIC
  double x_m = 0, y_m = 0;
};

// What each topology node is, from the rail_optimized builder's names.
Device classify(const topo::NodeSpec& n) {
  Device d;
  unsigned a = 0, b = 0;
  char tail = 0;
  if (std::sscanf(n.name.c_str(), "srv%u.gpu%u%c", &a, &b, &tail) == 2) {
    d = {Role::kServer, a, b, fmt::format("srv{}", a), fmt::format("nic{}", b)};
  } else if (std::sscanf(n.name.c_str(), "storage%u%c", &a, &tail) == 1) {
    d = {Role::kStorage, a, 0, n.name, "nic0"};
  } else if (std::sscanf(n.name.c_str(), "su%u.rail%u%c", &a, &b, &tail) == 2) {
    d = {Role::kLeaf, a, b, n.name, ""};
  } else if (n.name == "storage.leaf") {
    d = {Role::kStorageLeaf, 0, 0, n.name, ""};
  } else {
    d = {n.tier == "core" ? Role::kCore : Role::kSpine, 0, 0, n.name, ""};
  }
  return d;
}

bool is_host(Role r) {
  return r == Role::kServer || r == Role::kStorage;
}

const char* tier_of(Role a, Role b) {
  if (a == Role::kStorage || b == Role::kStorage || a == Role::kStorageLeaf || b == Role::kStorageLeaf)
    return "storage";
  if (is_host(a) || is_host(b)) return "leaf";
  if (a == Role::kCore || b == Role::kCore) return "core";
  return "spine";
}

std::size_t tier_slot(const std::string& tier) {
  if (tier == "leaf" || tier == "fabric_manager") return 0;
  if (tier == "spine") return 1;
  if (tier == "core") return 2;
  return 3;
}

// Media in the order a designer tries them: copper while it reaches, then multimode, then single-mode.
constexpr const char* kMedia[] = {"dac", "acc", "multimode", "single_mode"};

bool optical(const std::string& medium) {
  return medium == "multimode" || medium == "single_mode";
}

struct Aggregate {
  std::map<std::tuple<std::string, std::string>, BomLine> lines;
  void add(const std::string& role, const std::string& item, std::uint64_t count, double power_w,
           double price_usd, const std::string& source) {
    auto& l = lines[{role, item}];
    l.role = role;
    l.item = item;
    l.count += count;
    l.unit_power_w = power_w;
    l.unit_price_usd = price_usd;
    l.source = source;
  }
};

}  // namespace

std::uint32_t Bom::switches_in(const std::string& tier) const {
  for (const auto& t : tiers)
    if (t.tier == tier) return t.switches;
  return 0;
}

std::uint32_t Bom::switch_count() const {
  std::uint32_t n = 0;
  for (const auto& t : tiers) n += t.switches;
  return n;
}

std::string format_usd(double v) {
  const double a = std::abs(v);
  const char* sign = v < 0 ? "-" : "";
  if (a >= 1e6) return fmt::format("{}${:.2f}M", sign, a / 1e6);
  if (a >= 1e3) return fmt::format("{}${:.0f}k", sign, a / 1e3);
  return fmt::format("{}${:.0f}", sign, a);
}

Bom bill_of_materials(const topo::TopologySpec& t, const Sizing& sz, const SwitchModel& sw, double rate_gbps,
                      const ClusterRequest& c, const Catalog& catalog) {
  // Where every device stands: servers fill racks and rows; each SU's leaves sit in a network rack at
  // the end of the SU's first row; spines, cores and storage in a network row in the middle of the hall.
  std::vector<Device> dev(t.nodes.size());
  const std::uint32_t server_racks = (sz.slots + c.servers_per_rack - 1) / c.servers_per_rack;
  const std::uint32_t rows = (server_racks + c.racks_per_row - 1) / c.racks_per_row;
  const double mid_y = std::max(0.0, (rows / 2.0 - 0.5) * c.row_pitch_m);
  const double mid_x = c.racks_per_row / 2.0 * c.rack_width_m;
  auto row_of_server = [&](std::uint32_t server) { return server / c.servers_per_rack / c.racks_per_row; };
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    Device& d = dev[i] = classify(t.nodes[i]);
    if (d.role == Role::kServer) {
      const std::uint32_t rack = d.index / c.servers_per_rack;
      d.x_m = (rack % c.racks_per_row) * c.rack_width_m;
      d.y_m = (rack / c.racks_per_row) * c.row_pitch_m;
    } else if (d.role == Role::kLeaf) {
      d.x_m = c.racks_per_row * c.rack_width_m;
      d.y_m = row_of_server(d.index * sz.servers_per_unit) * c.row_pitch_m;
    } else {
      d.x_m = mid_x;
      d.y_m = mid_y;
    }
  }
  auto length = [&](const Device& a, const Device& b) {
    return std::fabs(a.x_m - b.x_m) + std::fabs(a.y_m - b.y_m) + c.cable_slack_m;
  };

  // Switch ports: a rail leaf's down port is its server's slot in the SU, its uplinks follow; other
  // switches number their links in order (down links first, as the builder adds them).
  std::vector<std::uint32_t> next_port(t.nodes.size(), 0);
  auto switch_port = [&](std::uint32_t node, const Device& other) {
    const Device& d = dev[node];
    if (d.role == Role::kLeaf && other.role == Role::kServer) return other.index % sz.servers_per_unit + 1;
    if (d.role == Role::kLeaf) return sz.servers_per_unit + ++next_port[node];
    return ++next_port[node];
  };

  Bom bom;
  const std::uint32_t links_per_module_switch = sw.links_per_cage;
  // Optical link ends per (device, medium), with their longest run, for the transceiver count.
  struct Ends {
    std::uint64_t links = 0;
    double longest_m = 0;
  };
  std::map<std::tuple<std::string, std::string, bool>, Ends> ends;  // device, medium, switch side
  std::vector<std::uint64_t> degree(t.nodes.size(), 0);
  Aggregate agg;

  auto choose_medium = [&](double len, bool host_end) -> const CableModel* {
    for (const char* m : kMedia) {
      const CableModel* cable = catalog.cable_for(rate_gbps, m, len);
      if (cable == nullptr) continue;
      if (optical(m) && (catalog.optic_for(rate_gbps, links_per_module_switch, m, len) == nullptr ||
                         (host_end && catalog.optic_for(rate_gbps, c.nic_links_per_cage, m, len) == nullptr)))
        continue;
      return cable;
    }
    throw field_error(
        "plan.catalog.cables",
        fmt::format("no cable and transceiver in the catalog reach {:.1f} m at {} Gbit/s", len, rate_gbps));
  };
  auto add_cable = [&](const std::string& tier, const Device& a, std::string a_port, const Device& b,
                       std::string b_port, bool a_switch, bool b_switch) {
    const double len = std::round(length(a, b) * 10) / 10;
    const CableModel* cable = choose_medium(len, !a_switch || !b_switch);
    bom.cables.push_back(
        {tier, a.name, std::move(a_port), b.name, std::move(b_port), len, cable->medium, cable->name});
    bom.cables_by_tier[tier_slot(tier)] += 1;
    agg.add(tier + " cable", cable->name, 1, cable->power_w, cable->price_usd, cable->source);
    if (optical(cable->medium)) {
      for (const auto& [d, sw_side] : {std::pair{&a, a_switch}, std::pair{&b, b_switch}}) {
        auto& e = ends[{d->name, cable->medium, sw_side}];
        e.links += 1;
        e.longest_m = std::max(e.longest_m, len);
      }
    }
  };

  for (const auto& l : t.links) {
    const Device &a = dev[l.a], &b = dev[l.b];
    ++degree[l.a];
    ++degree[l.b];
    const bool a_switch = !is_host(a.role), b_switch = !is_host(b.role);
    const std::string a_port = a_switch ? fmt::format("p{}", switch_port(l.a, b)) : a.port;
    const std::string b_port = b_switch ? fmt::format("p{}", switch_port(l.b, a)) : b.port;
    add_cable(tier_of(a.role, b.role), a, a_port, b, b_port, a_switch, b_switch);
  }

  // The fabric manager's links, in the slot the cluster left for it (the last slot of the last SU).
  std::uint64_t fm_leaf_ports = 0;
  if (c.fabric_manager_slot) {
    const std::uint32_t slot = sz.slots - 1, su = slot / sz.servers_per_unit;
    Device ufm{Role::kStorage, 0, 0, "ufm", "", 0, row_of_server(slot) * c.row_pitch_m};
    ufm.x_m = (slot / c.servers_per_rack % c.racks_per_row) * c.rack_width_m;
    for (std::uint32_t j = 0; j < c.fabric_manager_links; ++j) {
      Device leaf{Role::kLeaf, su, j % sz.rails, fmt::format("su{}.rail{}", su, j % sz.rails), ""};
      leaf.x_m = c.racks_per_row * c.rack_width_m;
      leaf.y_m = row_of_server(su * sz.servers_per_unit) * c.row_pitch_m;
      add_cable("fabric_manager", ufm, fmt::format("p{}", j + 1), leaf,
                fmt::format("p{}", slot % sz.servers_per_unit + 1), false, true);
      ++fm_leaf_ports;
    }
  }

  // Transceivers: a switch-side module ends links_per_cage links of one medium, a server-side one
  // nic_links_per_cage; storage nodes and the fabric manager take one module per link.
  for (const auto& [key, e] : ends) {
    const auto& [device, medium, switch_side] = key;
    const bool server = !switch_side && device.rfind("srv", 0) == 0;
    const std::uint32_t per = switch_side ? links_per_module_switch : server ? c.nic_links_per_cage : 1;
    const OpticModel* o = catalog.optic_for(rate_gbps, per, medium, e.longest_m);
    if (o == nullptr)
      throw field_error("plan.catalog.optics",
                        fmt::format("no {}-link {} transceiver at {} Gbit/s reaches {:.1f} m", per, medium,
                                    rate_gbps, e.longest_m));
    const std::uint64_t modules = (e.links + per - 1) / per;
    (switch_side ? bom.switch_transceivers : bom.node_transceivers) += modules;
    agg.add(switch_side ? "switch-side transceiver" : "server-side transceiver", o->name, modules, o->power_w,
            o->price_usd, o->source);
  }

  // Switches by tier, their ports used and free.
  std::map<Role, TierCount> tiers;
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    const Role r = dev[i].role;
    if (is_host(r)) continue;
    auto& tc = tiers[r];
    tc.switches += 1;
    tc.ports_used += degree[i];
  }
  if (tiers.count(Role::kLeaf)) tiers[Role::kLeaf].ports_used += fm_leaf_ports;
  const std::pair<Role, const char*> order[] = {{Role::kLeaf, "leaf"},
                                                {Role::kSpine, "spine"},
                                                {Role::kCore, "core"},
                                                {Role::kStorageLeaf, "storage_leaf"}};
  for (const auto& [role, name] : order) {
    if (!tiers.count(role)) continue;
    auto tc = tiers[role];
    tc.tier = name;
    const std::uint64_t ports = std::uint64_t{tc.switches} * sw.ports;
    if (tc.ports_used > ports)
      throw field_error("plan.catalog.switches",
                        fmt::format("the {} tier uses {} ports of {} {}-port switches", name, tc.ports_used,
                                    tc.switches, sw.ports));
    tc.ports_free = ports - tc.ports_used;
    bom.tiers.push_back(tc);
    agg.add(std::string(name) + " switch", sw.name, tc.switches, sw.power_w, sw.price_usd, sw.source);
  }

  const NicModel* nic = catalog.nic_for(rate_gbps);
  if (nic == nullptr)
    throw field_error("plan.catalog.nics", fmt::format("no NIC at {} Gbit/s in the catalog", rate_gbps));
  agg.add("GPU NIC", nic->name, std::uint64_t{sz.servers} * sz.rails, nic->power_w, nic->price_usd,
          nic->source);
  if (c.storage_nodes > 0)
    agg.add("storage NIC", nic->name, c.storage_nodes, nic->power_w, nic->price_usd, nic->source);

  for (auto& [key, line] : agg.lines) {
    const auto count = static_cast<double>(line.count);
    const double power = line.unit_power_w * count, price = line.unit_price_usd * count;
    bom.capex_usd += price;
    const std::string& role = line.role;
    if (role.find("switch") != std::string::npos && role.find("transceiver") == std::string::npos)
      bom.switch_power_w += power;
    else if (role.find("transceiver") != std::string::npos)
      bom.optics_power_w += power;
    else if (role.find("NIC") != std::string::npos)
      bom.nic_power_w += power;
    else
      bom.cable_power_w += power;
    bom.lines.push_back(line);
  }

  // Rack units and racks: server racks, a network rack per row of SUs for its leaves, the middle row's
  // racks for spines, cores and the storage leaf.
  double top_units = 0;
  std::map<std::uint32_t, double> leaf_units_by_row;
  for (std::size_t i = 0; i < t.nodes.size(); ++i) {
    const Device& d = dev[i];
    if (is_host(d.role)) continue;
    if (d.role == Role::kLeaf)
      leaf_units_by_row[row_of_server(d.index * sz.servers_per_unit)] += sw.rack_units;
    else
      top_units += sw.rack_units;
  }
  bom.network_rack_units = top_units;
  bom.network_racks = static_cast<std::uint32_t>(std::ceil(top_units / kUsableRackUnits));
  for (const auto& [row, units] : leaf_units_by_row) {
    bom.network_rack_units += units;
    bom.network_racks += static_cast<std::uint32_t>(std::ceil(units / kUsableRackUnits));
  }
  bom.rack_units = sz.servers * c.server_rack_units + bom.network_rack_units;
  bom.racks = server_racks + bom.network_racks;
  return bom;
}

void replicate_planes(Bom& b, std::uint32_t planes, double rate_gbps, std::uint64_t gpus,
                      const Catalog& catalog) {
  if (planes <= 1) return;
  const NicModel* nic = catalog.nic_for(rate_gbps * planes);
  if (nic == nullptr)
    throw field_error("plan.catalog.nics",
                      fmt::format("no NIC at {} Gbit/s ({} planes of {} Gbit/s) in the catalog",
                                  rate_gbps * planes, planes, rate_gbps));
  std::vector<BomLine> lines;
  b.capex_usd = 0;
  b.nic_power_w = 0;
  for (auto l : b.lines) {
    if (l.role == "GPU NIC" || l.role == "storage NIC") {
      if (l.role == "GPU NIC") l.count = gpus;
      l.item = nic->name;
      l.unit_power_w = nic->power_w;
      l.unit_price_usd = nic->price_usd;
      l.source = nic->source;
      b.nic_power_w += l.unit_power_w * static_cast<double>(l.count);
    } else {
      l.count *= planes;
    }
    b.capex_usd += l.unit_price_usd * static_cast<double>(l.count);
    lines.push_back(std::move(l));
  }
  b.lines = std::move(lines);
  auto on_plane = [](const std::string& device, bool host, std::uint32_t p) {
    return host ? device : fmt::format("plane{}/{}", p, device);
  };
  std::vector<CableRun> cables;
  for (std::uint32_t p = 0; p < planes; ++p)
    for (const auto& c : b.cables) {
      CableRun r = c;
      const bool a_host =
          c.a_device != "storage.leaf" &&
          (c.a_device.rfind("srv", 0) == 0 || c.a_device.rfind("storage", 0) == 0 || c.a_device == "ufm");
      r.a_device = on_plane(c.a_device, a_host, p);
      r.b_device = on_plane(c.b_device, false, p);
      if (a_host) r.a_port = fmt::format("{}/{}", c.a_port, p);
      cables.push_back(std::move(r));
    }
  b.cables = std::move(cables);
  for (auto& t : b.tiers) {
    t.switches *= planes;
    t.ports_used *= planes;
    t.ports_free *= planes;
  }
  for (auto& n : b.cables_by_tier) n *= planes;
  b.switch_transceivers *= planes;
  b.node_transceivers *= planes;
  b.switch_power_w *= planes;
  b.optics_power_w *= planes;
  b.cable_power_w *= planes;
  b.rack_units += (planes - 1) * b.network_rack_units;
  b.racks += (planes - 1) * b.network_racks;
  b.network_rack_units *= planes;
  b.network_racks *= planes;
}

}  // namespace aifabric::plan
