// The routing section of the report (docs/STRATEGIES.md "Routed model"): for every group whose
// records carry a route (a routed system's run), the quality-versus-escalation curve from the
// records and RouteLLM's metrics (reports/route_metrics.h) -- a table in report.md, an SVG chart
// per group in index.html with the oracle and the random router as reference lines. Groups
// without routed records add nothing, so reports of single models are unchanged.
//
// Not here: the metrics themselves (route_metrics.h), the rest of the pages (markdown.h, html.h).
#pragma once

#include <string>
#include <vector>

#include "reports/route_metrics.h"
#include "reports/run_data.h"

namespace gapbench::reports {

struct RouteGroup {
  size_t group = 0;  // index into RunData::groups
  std::string signal;
  RouteMetrics metrics;
  int64_t unscored = 0;  // routed records without both members' scores (left out)
};

// Every routed group, in RunData order (bootstrap seed 1, 1000 resamples: deterministic).
std::vector<RouteGroup> RouteGroups(const RunData& run);

// "## Routing" with the metrics table and each group's curve at 0%, 10%, ..., 100% calls; ""
// when no group is routed.
std::string RouteMarkdown(const RunData& run, const std::vector<RouteGroup>& groups);
// "<h2>Routing</h2>" with the same table and one SVG chart per group; "" when none.
std::string RouteHtml(const RunData& run, const std::vector<RouteGroup>& groups);

}  // namespace gapbench::reports
