#pragma once
#include <string>

#include "api/result.hpp"
#include "api/timeline.hpp"

// A timeline as Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing open
// (docs/report.md, "Timelines").
namespace aifabric::report {

// One process per owner (job, service, collective size); per GPU one track for compute and one per kind of
// communication (tp, pp, dp, ep, ...). Ops of one kind that overlap on a GPU go to further tracks of that
// kind
// ("dp 2"), so every track's slices nest, as Perfetto requires. `ts` and `dur` are microseconds with six
// decimals (picosecond resolution). The same timeline gives the same bytes.
std::string chrome_trace(const api::Timeline& timeline, const std::string& command);

// A `simulate` run as Chrome trace-event JSON: each flow an async slice from its start to its last byte (to
// the end of the run, marked incomplete, if it never finished) with its hosts, size, FCT and slowdown, in
// process "flows"; and, when the run was sampled, the queue depth of the `ports` deepest ports as counter
// tracks in process "ports". At most `max_flows` flows (the first by id), said in otherData.
std::string flow_trace(const api::Result& result, const std::string& command, std::size_t ports = 16,
                       std::size_t max_flows = 200000);

}  // namespace aifabric::report
