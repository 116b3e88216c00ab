// Routing metrics (docs/STRATEGIES.md "Routed model"): from per-item records of a cascade --
// the small model's confidence signal and both members' scores on every item -- the
// quality-versus-escalation curve of every threshold at once, and RouteLLM's summary numbers
// (Ong et al. 2024, "RouteLLM: Learning to Route LLMs with Preference Data", section 2):
//   PGR(t)  performance gap recovered = (q(t) - q_small) / (q_large - q_small), q(t) the quality
//           of the routed system that escalates every item with signal < t;
//   APGR    the area under PGR over the share of large-model calls, approximated as the paper
//           does by the mean PGR at 10%, 20%, ..., 100% calls;
//   CPT(x)  call-performance threshold: the smallest share of large-model calls at which PGR
//           reaches x (x = 0.5, 0.8, 0.95).
// A share of calls that no threshold gives exactly (ties, or between two items) is reached by
// routing at random between the two neighbouring thresholds, whose expected quality is the
// straight line between them: the curve is piecewise linear between its points, and APGR and CPT
// read it there. Each number has a bootstrap CI over items (resampled with replacement).
// Reference lines: the oracle router (escalates exactly the items where the large model scores
// higher, the best gain first) and the random router (the straight line from the small model's
// quality to the large model's).
//
// Pure: no I/O. Not here: reading records (reports/run_data), drawing (svg_chart, report_writer).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "reports/stats.h"
#include "suites/record.h"

namespace gapbench::reports {

// One item of a routed run. Scores are in [0, 1] (1/0 for correct/incorrect, or a graded score).
struct RouteItem {
  double signal = 0.0;  // the small model's confidence: escalated when signal < threshold
  double small = 0.0;   // the small model's score
  double large = 0.0;   // the large model's score
  // Whether the run's own threshold escalated it (the record's answer is the large model's):
  // the configured threshold's point, whatever the item kind's threshold was.
  bool escalated = false;
};

// A routed record's item: its signal and both members' scores (a graded score where the record
// has one, else 1/0 for correct); nullopt for records without a route or a member not scored.
std::optional<RouteItem> RouteItemOf(const suites::ItemRecord& record);

struct RoutePoint {
  double threshold = 0.0;     // escalate items with signal < threshold (+inf: every item)
  double call_share = 0.0;    // share of items escalated to the large model
  double quality = 0.0;       // mean score of the routed system
  std::optional<double> pgr;  // absent when the two members' qualities are equal
};

// The curve: one point per distinct signal value (threshold = that value: the items below it
// escalate) plus the all-escalated point, in increasing call share. Starts at call share 0.
std::vector<RoutePoint> RouteCurve(const std::vector<RouteItem>& items);

// The oracle router's curve at call shares 0, 1/n, ..., 1 (threshold unused, 0).
std::vector<RoutePoint> OracleCurve(const std::vector<RouteItem>& items);

// Quality of the routed system that escalates items with signal < threshold, and its PGR.
RoutePoint RouteAt(const std::vector<RouteItem>& items, double threshold);
// The same for the items' own `escalated` decisions (threshold NaN).
RoutePoint RouteAsRun(const std::vector<RouteItem>& items);

// PGR at `share` of large-model calls on a piecewise-linear curve (points in increasing share,
// the first at 0); nullopt when the curve has no PGR.
std::optional<double> PgrAtShare(const std::vector<RoutePoint>& curve, double share);
// RouteLLM's APGR: mean of PgrAtShare at 0.1, 0.2, ..., 1.0.
std::optional<double> Apgr(const std::vector<RoutePoint>& curve);
// The smallest share of calls with PGR >= target (interpolated on the curve); nullopt when the
// curve has no PGR. A target above the curve's maximum PGR gives 1 only when PGR(1) = 1 reaches
// it, which it always does for targets <= 1.
std::optional<double> Cpt(const std::vector<RoutePoint>& curve, double target);

struct RouteMetricsOptions {
  int64_t resamples = 1000;
  uint64_t seed = 1;
  double level = 0.95;
};

// A value with its bootstrap percentile interval (absent where the value is).
struct RouteValue {
  std::optional<double> value;
  std::optional<Interval> ci;
};

struct RouteMetrics {
  int64_t n_items = 0;
  double small_quality = 0.0;
  double large_quality = 0.0;
  double oracle_quality = 0.0;  // max(small, large) per item
  RoutePoint at_threshold;      // the configured threshold: RouteAsRun
  RouteValue pgr_at_threshold;
  RouteValue apgr;
  RouteValue cpt50, cpt80, cpt95;
  RouteValue oracle_apgr;  // the oracle router's APGR (the random router's is 0.55)
  std::vector<RoutePoint> curve;
  std::vector<RoutePoint> oracle;
};

// Everything above for `items` (non-empty). The bootstrap resamples items with replacement with
// a mt19937_64 seeded from `seed` (reports/resample.h), so a seed gives the same intervals.
RouteMetrics ComputeRouteMetrics(const std::vector<RouteItem>& items,
                                 const RouteMetricsOptions& options = {});

}  // namespace gapbench::reports
