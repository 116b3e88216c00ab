// The guard section of the report (docs/STRATEGIES.md "Guarded model"): for every group with
// labelled guard items (reports/guard_metrics.h: a guarded system's run on a labelled suite, or a
// single model on one, judged as a guard), precision, recall, F1 and the false-refusal rate with
// their intervals, overall and per phrasing split, and the mean cost the guard adds per request;
// a table in report.md and index.html. Groups without labelled items add nothing, so other
// reports are unchanged. Also the JSON and text forms `gapbench eval` prints.
//
// Not here: the metrics themselves (guard_metrics.h), the rest of the pages.
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "reports/guard_metrics.h"
#include "reports/run_data.h"

namespace gapbench::reports {

struct GuardGroup {
  size_t group = 0;  // index into RunData::groups
  GuardMetrics metrics;
  int64_t refused = 0;  // guarded records refused (the whole group, labelled or not)
  int64_t guarded = 0;  // guarded records in the group
};

// Every group with labelled guard items, in RunData order (bootstrap seed 1, 1000 resamples).
std::vector<GuardGroup> GuardGroups(const RunData& run);

// "## Guard" with one row per group and split; "" when there is none.
std::string GuardMarkdown(const RunData& run, const std::vector<GuardGroup>& groups);
// "<h2>Guard</h2>" with the same table; "" when there is none.
std::string GuardHtml(const RunData& run, const std::vector<GuardGroup>& groups);

// {"n", "tp", "fp", "fn", "tn", "precision", "precision_ci", ..., "frr", "frr_ci"} (a rate is
// null when undefined; its _ci only when there is one).
void WriteGuardRatesJson(JsonWriter& w, const GuardRates& r);
// {"all": rates, "splits": {split: rates}, "n_guarded", "mean_seconds", "mean_tokens"}.
void WriteGuardMetricsJson(JsonWriter& w, const GuardMetrics& m);
// "precision 0.571 [0.2, 0.9], recall ..., F1 ..., FRR ..." for one line of text.
std::string GuardRatesText(const GuardRates& r);

}  // namespace gapbench::reports
