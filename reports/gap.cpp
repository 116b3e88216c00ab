// Independent differences and the paired difference-in-differences; docs/STATISTICS.md §6.
#include "reports/gap.h"

#include <cmath>

#include "common/error.h"
#include "reports/paired.h"

namespace gapbench::reports {

Estimate IndependentDifference(const Estimate& a, const Estimate& b, double confidence) {
  const double value = a.value - b.value;
  if (!a.se || !b.se || !a.ci || !b.ci) {
    return UndefinedSe(
        value, confidence,
        StrCat("SE of the difference is undefined: ", !a.se || !a.ci ? a.note : b.note));
  }
  const double se = std::sqrt(*a.se * *a.se + *b.se * *b.se);
  if (a.ci_method == kCiWald && b.ci_method == kCiWald) return MakeEstimate(value, se, confidence);
  // An input whose interval is not value ± z·se (Wilson, an all-equal bound): MOVER, which
  // recovers each side's variance from its own interval (Zou & Donner 2008; with Wilson inputs
  // Newcombe's hybrid score interval). With two Wald inputs it is the Wald interval above.
  if (a.confidence != confidence || b.confidence != confidence) {
    return UndefinedSe(value, confidence,
                       StrCat("the inputs' intervals are at ", a.confidence, " and ", b.confidence,
                              ", not ", confidence, "; MOVER needs one level"));
  }
  Estimate e;
  e.value = value;
  e.se = se;
  e.confidence = confidence;
  e.ci_method = kCiMover;
  e.ci = Interval{value - std::hypot(a.value - a.ci->lo, b.ci->hi - b.value),
                  value + std::hypot(a.ci->hi - a.value, b.value - b.ci->lo)};
  return e;
}

Estimate AccuracyGap(std::span<const double> id_scores, std::span<const double> ood_scores,
                     double confidence) {
  const Moments id = ComputeMoments(id_scores, "generalisation gap (id items)");
  const Moments ood = ComputeMoments(ood_scores, "generalisation gap (ood items)");
  // A side whose scores are all equal has CLT SE 0; it enters through its all-equal bound (for
  // binary scores its Wilson interval), so the gap's interval never collapses (MOVER).
  auto side = [confidence](const Moments& m) {
    return m.variance > 0
               ? MakeEstimate(m.mean, std::sqrt(m.variance / static_cast<double>(m.n)), confidence)
               : AllEqualEstimate(m.mean, m.n, 0, 1, confidence);
  };
  return IndependentDifference(side(id), side(ood), confidence);
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
