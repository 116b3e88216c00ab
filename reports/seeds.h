// Seeds of one setting as repeated measurements: groups that differ only by their seed (same
// model, configuration, strategy, suite and every other setting field) are summarised together --
// the accuracy of each seed, their mean and spread, and a pooled estimate over items with its
// interval. Method (docs/REPORTS.md, "Seeds"): the pooled accuracy is the mean over items of each
// item's mean score across the seeds that answered it; items stay the sampling unit (the seeds
// of one item share its difficulty, so pooling item x seed records as independent would
// understate the interval). The spread is the sample standard deviation (n − 1) of the per-seed
// accuracies.
//
// Not here: the groups themselves (run_data.h), per-group statistics (gap_metrics.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/gap_metrics.h"
#include "reports/run_data.h"

namespace gapbench::reports {

struct SeedSummary {
  std::vector<size_t> groups;      // indices into RunData::groups, by seed
  std::vector<uint64_t> seeds;     // ascending
  std::vector<double> accuracies;  // per seed (groups with no scored item are left out)
  double mean = 0;                 // of `accuracies`
  std::optional<double> sd;        // sample SD of `accuracies`; absent with one seed
  double min = 0, max = 0;
  int64_t n_items = 0;     // distinct items scored by at least one seed
  AccuracySummary pooled;  // over per-item means across seeds
};

// One summary per setting that has two or more seeds with scored items, in RunData group
// order of their first group. `metrics` must be ComputeMetrics(run, ...).
std::vector<SeedSummary> SummariseSeeds(const RunData& run, const RunMetrics& metrics);

}  // namespace gapbench::reports
