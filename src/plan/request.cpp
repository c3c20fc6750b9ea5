#include "plan/request.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "io/scenario_schemas.hpp"

namespace aifabric::plan {

namespace {

using core::InputError;

const io::Schema<ClusterRequest>& cluster_schema() {
  static const auto s =
      io::Schema<ClusterRequest>()
          .integer("gpus_per_server", &ClusterRequest::gpus_per_server, "", 8, 1, 64,
                   "GPUs per server, each with its own compute NIC on its own rail.")
          .integer("nic_links_per_cage", &ClusterRequest::nic_links_per_cage, "", 1, 1, 2,
                   "Links one server-side transceiver ends: 2 for twin-port OSFP cages (DGX H100), 1 for "
                   "single-port NIC optics.")
          .integer("servers_per_unit", &ClusterRequest::servers_per_unit, "", 0, 0, 100000,
                   "Servers per scalable unit (one port on each rail leaf each); 0 = as many as a leaf "
                   "takes at the design's ratio, capped by the cluster.")
          .flag("fabric_manager_slot", &ClusterRequest::fabric_manager_slot, false,
                "Leave one server slot of the cluster for the fabric manager (UFM), as the DGX SuperPOD "
                "reference design does.")
          .integer("fabric_manager_links", &ClusterRequest::fabric_manager_links, "", 4, 0, 64,
                   "Leaf ports the fabric manager uses when fabric_manager_slot is set.")
          .integer(
              "storage_nodes", &ClusterRequest::storage_nodes, "", 0, 0, 100000,
              "Storage hosts: on a storage leaf under the top tier of the compute fabric, or of the storage "
              "fabric when it is separate (plan.options.storage).")
          .real("server_rack_units", &ClusterRequest::server_rack_units, "U", 8, 0, 100,
                "Height of one server (DGX H100: 8U).")
          .real("server_power_w", &ClusterRequest::server_power_w, "W", 10200, 0, 1e6,
                "Power of one server, for rack power only (DGX H100: about 10.2 kW).")
          .integer("servers_per_rack", &ClusterRequest::servers_per_rack, "", 4, 1, 64,
                   "Servers in one rack (DGX H100 SuperPOD: 4).")
          .integer("racks_per_row", &ClusterRequest::racks_per_row, "", 8, 1, 1000,
                   "Server racks in one row; each row ends in a network rack for its leaves.")
          .real("rack_width_m", &ClusterRequest::rack_width_m, "m", 0.6, 0.1, 10, "Width of one rack.")
          .real("row_pitch_m", &ClusterRequest::row_pitch_m, "m", 3.0, 0.5, 100,
                "Distance from one row to the next (rack depth and aisles).")
          .real("cable_slack_m", &ClusterRequest::cable_slack_m, "m", 4.0, 0, 100,
                "Added to every cable run: risers, trays, service loops.");
  return s;
}

const io::Schema<ObjectiveRequest>& objective_schema() {
  static const auto s =
      io::Schema<ObjectiveRequest>()
          .real("years", &ObjectiveRequest::years, "years", 4, 0, 50,
                "Horizon over which capital, energy and GPU time lost to the network are added.", true)
          .real("energy_usd_per_kwh", &ObjectiveRequest::energy_usd_per_kwh, "USD/kWh", 0.10, 0, 10,
                "Price of electricity.")
          .real("pue", &ObjectiveRequest::pue, "", 1.3, 1, 5, "Power usage effectiveness of the facility.")
          .real("recable_usd", &ObjectiveRequest::recable_usd, "USD", 40, 0, 1e6,
                "Labour to move one existing cable when growth re-spreads links.");
  return s;
}

struct StorageTop {
  net::FabricKind fabric;
  std::uint32_t nics_per_server;
  double link_rate_gbps;
  double oversubscription;
  std::string switch_name;
};

const io::Schema<StorageTop>& storage_schema() {
  static const auto s =
      io::Schema<StorageTop>()
          .choice("fabric", &StorageTop::fabric,
                  {{"roce", net::FabricKind::kRoce}, {"infiniband", net::FabricKind::kInfiniband}}, "roce",
                  "Fabric kind of a separate storage fabric (the seeds' hybrid: InfiniBand compute, "
                  "Ethernet storage).")
          .integer("nics_per_server", &StorageTop::nics_per_server, "", 2, 1, 16,
                   "Storage NICs per server on the storage fabric (DGX H100: 2).")
          .real("link_rate_gbps", &StorageTop::link_rate_gbps, "Gbit/s", 400, 1, 1e5,
                "Link speed of the storage fabric.")
          .real("oversubscription", &StorageTop::oversubscription, "", 1, 1, 64,
                "Ratio r of r:1 at the storage fabric's leaves.")
          .text("switch", &StorageTop::switch_name, "",
                "Catalog switch of the storage fabric; empty = the first of its fabric and speed.");
  return s;
}

// A list under `field`, each item read by `read`.
template <class T, class Read>
std::vector<T> read_list(const io::Node& node, const io::ParseContext& ctx, const std::string& field,
                         Read read) {
  if (!node.is_sequence() || node.size() == 0)
    throw InputError(ctx.at(node, field),
                     std::string("expected a non-empty list, got ") + io::kind_name(node));
  std::vector<T> out;
  for (std::size_t i = 0; i < node.size(); ++i) out.push_back(read(node[i], fmt::format("{}[{}]", field, i)));
  return out;
}

}  // namespace

PlanRequest parse_plan(const io::Node& root, const std::string& source) {
  const io::ParseContext ctx{source};
  const io::Node& plan = root["plan"];
  if (!plan)
    throw InputError(ctx.at(root, "plan"),
                     "missing; a plan request needs a plan section (see `aifabric params`)");
  io::require_map(plan, ctx, "plan");
  io::reject_unknown_keys(
      plan, {"phases", "cluster", "options", "catalog", "objective", "threads", "storage"}, ctx, "plan");
  PlanRequest r;
  r.cluster = io::parse_with_defaults(cluster_schema(), plan["cluster"], ctx, "plan.cluster");
  if (r.cluster.fabric_manager_slot && r.cluster.fabric_manager_links > r.cluster.gpus_per_server)
    throw InputError(ctx.at(plan["cluster"]["fabric_manager_links"], "plan.cluster.fabric_manager_links"),
                     fmt::format("the fabric manager takes one port on each of up to {} rail leaves "
                                 "(plan.cluster.gpus_per_server), got {} links",
                                 r.cluster.gpus_per_server, r.cluster.fabric_manager_links));
  r.objective = io::parse_with_defaults(objective_schema(), plan["objective"], ctx, "plan.objective");
  if (plan["threads"]) {
    const auto t = io::read_int(plan["threads"], ctx, "plan.threads");
    if (t < 0 || t > 1024) throw InputError(ctx.at(plan["threads"], "plan.threads"), "expected 0 to 1024");
    r.threads = static_cast<unsigned>(t);
  }
  if (!plan["phases"])
    throw InputError(ctx.at(plan, "plan.phases"), "missing; expected the GPU count of each growth phase");
  r.phases_gpus = read_list<std::uint32_t>(
      plan["phases"], ctx, "plan.phases", [&](const io::Node& n, const std::string& f) {
        const auto v = io::read_int(n, ctx, f);
        if (v < 1 || v > 10'000'000)
          throw InputError(ctx.at(n, f), fmt::format("expected 1 to 10000000 GPUs, got {}", v));
        if (v % r.cluster.gpus_per_server != 0)
          throw InputError(
              ctx.at(n, f),
              fmt::format("{} GPUs are not whole servers of {} GPUs (plan.cluster.gpus_per_server)", v,
                          r.cluster.gpus_per_server));
        return static_cast<std::uint32_t>(v);
      });
  for (std::size_t i = 1; i < r.phases_gpus.size(); ++i)
    if (r.phases_gpus[i] <= r.phases_gpus[i - 1])
      throw InputError(ctx.at(plan["phases"][i], fmt::format("plan.phases[{}]", i)),
                       fmt::format("a phase must grow the cluster: {} GPUs after {}", r.phases_gpus[i],
                                   r.phases_gpus[i - 1]));
  r.catalog = apply_catalog_overrides(builtin_catalog(), plan["catalog"], ctx);

  const io::Node& opt = plan["options"];
  if (opt) {
    io::require_map(opt, ctx, "plan.options");
    io::reject_unknown_keys(
        opt, {"fabrics", "link_rates_gbps", "oversubscription", "switches", "storage", "planes"}, ctx,
        "plan.options");
  }
  auto list_or = [&](const char* key, auto read, auto fallback) {
    const std::string field = std::string("plan.options.") + key;
    using T = typename decltype(fallback)::value_type;
    return opt && opt[key] ? read_list<T>(opt[key], ctx, field, read) : fallback;
  };
  r.options.fabrics = list_or(
      "fabrics",
      [&](const io::Node& n, const std::string& f) {
        const std::string v = io::read_string(n, ctx, f);
        if (v == "infiniband") return net::FabricKind::kInfiniband;
        if (v == "roce") return net::FabricKind::kRoce;
        throw InputError(ctx.at(n, f), "expected infiniband or roce, got '" + v + "'");
      },
      std::vector<net::FabricKind>{net::FabricKind::kRoce, net::FabricKind::kInfiniband});
  r.options.link_rates_gbps = list_or(
      "link_rates_gbps",
      [&](const io::Node& n, const std::string& f) {
        const double v = io::read_real(n, ctx, f);
        if (!(v > 0) || v > 1e5)
          throw InputError(ctx.at(n, f), fmt::format("expected a rate in (0, 100000] Gbit/s, got {}", v));
        return v;
      },
      std::vector<double>{400});
  r.options.oversubscription = list_or(
      "oversubscription",
      [&](const io::Node& n, const std::string& f) {
        const double v = io::read_real(n, ctx, f);
        if (!(v >= 1) || v > 64)
          throw InputError(ctx.at(n, f), fmt::format("expected a ratio r of r:1 in [1, 64], got {}", v));
        return v;
      },
      std::vector<double>{1, 2});
  r.options.switches = list_or(
      "switches",
      [&](const io::Node& n, const std::string& f) {
        const std::string v = io::read_string(n, ctx, f);
        std::string names;
        for (const auto& s : r.catalog.switches) {
          if (s.name == v) return v;
          if (names.find(s.name) == std::string::npos) names += (names.empty() ? "" : ", ") + s.name;
        }
        throw InputError(ctx.at(n, f), fmt::format("unknown switch '{}'; expected one of: {}", v, names));
      },
      std::vector<std::string>{});
  r.options.planes = list_or(
      "planes",
      [&](const io::Node& n, const std::string& f) {
        const auto v = io::read_int(n, ctx, f);
        if (v < 1 || v > 8) throw InputError(ctx.at(n, f), fmt::format("expected 1 to 8 planes, got {}", v));
        return static_cast<std::uint32_t>(v);
      },
      std::vector<std::uint32_t>{1});
  r.options.separate_storage = list_or(
      "storage",
      [&](const io::Node& n, const std::string& f) {
        const std::string v = io::read_string(n, ctx, f);
        if (v == "converged") return false;
        if (v == "separate") return true;
        throw InputError(ctx.at(n, f), "expected converged or separate, got '" + v + "'");
      },
      std::vector<bool>{false});
  const StorageTop st = io::parse_with_defaults(storage_schema(), plan["storage"], ctx, "plan.storage");
  r.storage = {st.fabric, st.nics_per_server, st.link_rate_gbps, st.oversubscription, st.switch_name};
  const bool any_separate = std::find(r.options.separate_storage.begin(), r.options.separate_storage.end(),
                                      true) != r.options.separate_storage.end();
  if (any_separate) {
    const std::string family = st.fabric == net::FabricKind::kInfiniband ? "infiniband" : "ethernet";
    const bool found =
        std::any_of(r.catalog.switches.begin(), r.catalog.switches.end(), [&](const SwitchModel& s) {
          return s.fabric == family && s.rate_gbps == st.link_rate_gbps &&
                 (st.switch_name.empty() || s.name == st.switch_name);
        });
    if (!found)
      throw InputError(
          ctx.at(plan["storage"] ? plan["storage"] : plan, "plan.storage.switch"),
          fmt::format("no {} switch{} at {} Gbit/s in the catalog for the storage fabric", family,
                      st.switch_name.empty() ? "" : fmt::format(" named '{}'", st.switch_name),
                      st.link_rate_gbps));
  }
  return r;
}

std::vector<io::ParamDoc> plan_docs() {
  std::vector<io::ParamDoc> out = {
      {"plan.phases", "list", "GPUs", "", "growing",
       "GPU count of each growth phase; the portfolio runs on the last."},
      {"plan.threads", "integer", "", "0", "[0, 1024]", "Designs assessed at once; 0 = one per core."},
      {"plan.options.fabrics", "list", "", "[roce, infiniband]", "infiniband | roce",
       "Fabric kinds to design."},
      {"plan.options.link_rates_gbps", "list", "Gbit/s", "[400]", "",
       "Link speeds to design (a NIC and switch at the speed must be in the catalog)."},
      {"plan.options.oversubscription", "list", "", "[1, 2]", "[1, 64]",
       "Ratios r of r:1 at the rail leaf (down ports / up ports)."},
      {"plan.options.switches", "list", "", "[]", "",
       "Catalog switches to consider; empty = every one that matches the fabric and speed."},
  };
  auto add = [&](const std::vector<io::ParamDoc>& docs) { out.insert(out.end(), docs.begin(), docs.end()); };
  add(cluster_schema().docs("plan.cluster"));
  add(objective_schema().docs("plan.objective"));
  add(storage_schema().docs("plan.storage"));
  add(catalog_docs());
  return out;
}

std::string parameter_reference_markdown() {
  return io::parameter_reference_markdown() + "\n## Plan requests (`aifabric plan`)\n\n" +
         io::parameter_table_markdown(plan_docs());
}

}  // namespace aifabric::plan
