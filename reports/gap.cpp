// Independent differences and the paired difference-in-differences; docs/STATISTICS.md §6.
#include "reports/gap.h"

#include <cmath>

#include "common/error.h"
#include "reports/paired.h"

namespace gapbench::reports {

Estimate IndependentDifference(const Estimate& a, const Estimate& b, double confidence) {
  const double value = a.value - b.value;
  if (!a.se || !b.se) {
    return UndefinedSe(value, confidence,
                       StrCat("SE of the difference is undefined: ", !a.se ? a.note : b.note));
  }
  return MakeEstimate(value, std::sqrt(*a.se * *a.se + *b.se * *b.se), confidence);
}

Estimate AccuracyGap(std::span<const double> id_scores, std::span<const double> ood_scores,
                     double confidence) {
  const Moments id = ComputeMoments(id_scores, "generalisation gap (id items)");
  const Moments ood = ComputeMoments(ood_scores, "generalisation gap (ood items)");
  return IndependentDifference(
      MakeEstimate(id.mean, std::sqrt(id.variance / static_cast<double>(id.n)), confidence),
      MakeEstimate(ood.mean, std::sqrt(ood.variance / static_cast<double>(ood.n)), confidence),
      confidence);
}

GapDifference GapDifferenceInDifferences(std::span<const double> small_id,
                                         std::span<const double> large_id,
                                         std::span<const double> small_ood,
                                         std::span<const double> large_ood, double confidence) {
  GapDifference out;
  out.gap_small = AccuracyGap(small_id, small_ood, confidence);
  out.gap_large = AccuracyGap(large_id, large_ood, confidence);
  // Within a split the models share items: pair them; across splits the items differ.
  const PairedDifference id = PairedDiff(small_id, large_id, confidence);
  const PairedDifference ood = PairedDiff(small_ood, large_ood, confidence);
  out.did = IndependentDifference(id.diff, ood.diff, confidence);
  return out;
}

}  // namespace gapbench::reports
