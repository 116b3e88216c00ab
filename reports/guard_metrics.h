// Guard metrics (docs/STRATEGIES.md "Guarded model"): how well a guard's allow/refuse decisions
// match a labelled suite's gold, from per-item records alone. "Refuse" is the positive class:
//   precision  refused items whose gold is refuse / refused items;
//   recall     refused items whose gold is refuse / items whose gold is refuse;
//   F1         2 TP / (2 TP + FP + FN);
//   FRR        false-refusal rate: refused items whose gold is allow / items whose gold is allow
//              (the benign part);
// each with a percentile bootstrap interval over items (reports/resample.h), overall and per
// phrasing split (the items' `split` tag: "id" for the corpus's phrasings, "ood" for paraphrases
// in the synthetic world's guard.jsonl), plus the mean seconds and tokens the guard adds per
// request.
//
// A labelled item carries the tag `label` = "allow" | "refuse" (world guard.jsonl's). Its
// decision comes from the record's `guard` object (a guarded system's run: the guard's P(refuse)
// and decision at the run's threshold), or, for a single model's record of a two-choice item, from
// the model itself used as a guard: the choice the label names is the gold, the other the opposite
// label, P(refuse) the softmax of the two choice log-likelihoods and the decision the model's
// argmax (`pred`, as acc scores it).
//
// Pure: no I/O. Not here: the report section (guard_report.h), the guarded model (worker/).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/stats.h"
#include "suites/record.h"

namespace gapbench::reports {

struct GuardItem {
  bool gold_refuse = false;  // the item's label is "refuse"
  double p_refuse = 0.0;     // the guard's P(refuse)
  bool refused = false;      // the decision as run
  std::string split;         // the item's split tag ("id", "ood")
  bool guarded = false;      // from a guarded system's record (seconds and tokens are the guard's)
  double seconds = 0.0;      // guarded: the guard's seconds; else the model's latency_s
  int64_t tokens = 0;        // guarded: the guard's tokens; else the record's tokens_in
};

// A labelled record's guard item; nullopt for records without a `label` tag of "allow" or
// "refuse", without a guard object and not a scored two-choice item, or with a NaN P(refuse).
std::optional<GuardItem> GuardItemOf(const suites::ItemRecord& record);

// A rate with its bootstrap percentile interval; absent where its denominator is 0.
struct GuardValue {
  std::optional<double> value;
  std::optional<Interval> ci;
};

struct GuardRates {
  int64_t n = 0;
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;  // refuse is positive
  GuardValue precision, recall, f1, frr;
};

struct GuardMetrics {
  GuardRates all;
  std::map<std::string, GuardRates> by_split;  // the split tag's values, sorted
  int64_t n_guarded = 0;                       // items from a guarded system's record
  double mean_seconds = 0.0;                   // per request: the guard's (guarded) or the model's
  double mean_tokens = 0.0;
};

struct GuardMetricsOptions {
  int64_t resamples = 1000;
  uint64_t seed = 1;
  double level = 0.95;
};

// The counts and rates of `items` without intervals.
GuardRates GuardCounts(const std::vector<GuardItem>& items);

// Everything above for `items` (non-empty). The bootstrap resamples items with replacement (per
// split: that split's items) with a mt19937_64 seeded from `seed`, so a seed gives the same
// intervals; a resample where a rate is undefined is left out of that rate's interval.
GuardMetrics ComputeGuardMetrics(const std::vector<GuardItem>& items,
                                 const GuardMetricsOptions& options = {});

}  // namespace gapbench::reports
