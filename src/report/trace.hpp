#pragma once
#include <string>

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

}  // namespace aifabric::report
