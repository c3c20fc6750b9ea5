#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "topo/topology_spec.hpp"

namespace aifabric::topo {

// Light in fibre travels at about 2/3 c: 5 ns of one-way delay per metre, 5 us per km
// (docs/models/sites.md).
constexpr double kFibreNsPerKm = 5000;

// One site: its own fabric (any builder's or an explicit one) and the border routers that join it to the
// other sites. Every switch of the fabric's top tier connects to every border router over `border_link`.
struct SiteSpec {
  std::string name;
  TopologySpec fabric;
  std::uint32_t border_routers = 1;
  LinkParams border_link;      // top tier to border routers
  SwitchParams border_switch;  // the border routers' buffers (deep-buffered routers hold gigabytes)
  std::string field;           // where the site came from, for error messages
};

// Inter-site links between two sites (indices into the site list): `circuits` parallel circuits of
// `rate_gbps` each, circuit c between border router c mod (a's routers) of site a and border router
// c mod (b's routers) of site b; one-way delay distance x kFibreNsPerKm + `latency_ns` (the optics and
// the routers' own delay).
struct InterSiteLink {
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  double distance_km = 0;
  std::uint32_t circuits = 1;
  LinkParams circuit;  // latency_ns: the fixed part, added to the fibre's delay
  std::string field;
};

// Joins the sites into one fabric. Node names are "<site>/<node>" and border routers
// "<site>/border<i>"; hosts are numbered site after site, in each site's own order, so a site's hosts
// (and GPUs) are one range (TopologySpec::sites). Throws core::InputError naming `prefix`.<field>.
TopologySpec join_sites(const std::vector<SiteSpec>& sites, const std::vector<InterSiteLink>& links,
                        const std::string& prefix);

// The site of host `host` (an index into TopologySpec::sites), or 0 for a fabric without sites.
std::uint32_t site_of_host(const TopologySpec& spec, std::uint32_t host);

// The one-way delay between sites `a` and `b` (indices into TopologySpec::sites) along the fastest path of
// inter-site circuits, ns: the sum of the circuits' latency_ns (fibre and fixed part); 0 from a site to
// itself; -1 when no path joins them.
double site_delay_ns(const TopologySpec& spec, std::uint32_t a, std::uint32_t b);

}  // namespace aifabric::topo
