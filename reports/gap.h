// Differences between accuracies measured on different item sets: the generalisation gap
// acc(id) − acc(ood) (two independent samples), and its difference between two models
// (a difference-in-differences) when both models answered the same id and ood items.
// Not here: paired comparison on one item set (paired.h).
#pragma once

#include <span>

#include "reports/stats.h"

namespace gapbench::reports {

// a − b for independent estimates: SE = sqrt(se_a² + se_b²). Works for any Estimate (plain,
// clustered, pass@k). Two Wald inputs: the interval is rebuilt at `confidence` (value ± z·SE).
// Otherwise (a Wilson or all-equal-bound input, whose interval is not value ± z·se) the MOVER
// interval of Zou & Donner 2008, d − hypot(a − a.lo, b.hi − b), d + hypot(a.hi − a, b − b.lo)
// (ci_method kCiMover; Newcombe's hybrid score interval for Wilson inputs), which needs both
// inputs at `confidence`. Undefined (with a note) when either SE or interval is.
Estimate IndependentDifference(const Estimate& a, const Estimate& b, double confidence = 0.95);

// Generalisation gap mean(id) − mean(ood) from per-item scores, each mean with its CLT SE
// (for binary scores sqrt(p(1 − p)/n): the Wald interval for two independent proportions).
// Throws Error when either set is empty.
Estimate AccuracyGap(std::span<const double> id_scores, std::span<const double> ood_scores,
                     double confidence = 0.95);

struct GapDifference {
  Estimate gap_small;  // mean(small_id) − mean(small_ood), independent-samples SE
  Estimate gap_large;  // mean(large_id) − mean(large_ood), independent-samples SE
  // gap_small − gap_large = mean_i(small_id − large_id) − mean_j(small_ood − large_ood): the
  // models are paired item by item within each split and the splits are independent, so
  // SE² = Var(d_id)/n_id + Var(d_ood)/n_ood (plug-in variances of the per-item differences).
  Estimate did;
};
// small_id[i] and large_id[i] are the two models' scores on id item i (likewise for ood).
// Throws Error when a split is empty or the two models' lengths differ within a split.
GapDifference GapDifferenceInDifferences(std::span<const double> small_id,
                                         std::span<const double> large_id,
                                         std::span<const double> small_ood,
                                         std::span<const double> large_ood,
                                         double confidence = 0.95);

}  // namespace gapbench::reports
