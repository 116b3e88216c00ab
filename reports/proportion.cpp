// Wald and Wilson intervals for an accuracy; formulas in docs/STATISTICS.md §1.
#include "reports/proportion.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace gapbench::reports {

const char* IntervalMethodName(IntervalMethod m) {
  switch (m) {
    case IntervalMethod::kWilson:
      return kCiWilson;
    case IntervalMethod::kBound:
      return kCiBound;
    case IntervalMethod::kWald:
      break;
  }
  return kCiWald;
}

bool UseWilson(int64_t successes, int64_t n, double confidence) {
  const double z = ZForConfidence(confidence);
  const double min_count = std::max(5.0, z * z);
  return n < 30 || static_cast<double>(successes) < min_count ||
         static_cast<double>(n - successes) < min_count;
}

Interval WilsonInterval(int64_t successes, int64_t n, double confidence) {
  if (n <= 0) Fail("Wilson interval: no items (n = ", n, "); accuracy of 0 items is undefined");
  if (successes < 0 || successes > n) {
    Fail("Wilson interval: ", successes, " successes is outside [0, n = ", n, "]");
  }
  const double z = ZForConfidence(confidence);
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double z2n = z * z / nn;
  const double centre = (p + z2n / 2) / (1 + z2n);
  const double half = z / (1 + z2n) * std::sqrt(p * (1 - p) / nn + z2n / (4 * nn));
  // At p = 0 (p = 1) the lower (upper) bound is exactly 0 (1); rounding could leave -1e-17.
  Interval ci{centre - half, centre + half};
  if (successes == 0) ci.lo = 0;
  if (successes == n) ci.hi = 1;
  return ci;
}

AccuracySummary AccuracyFromCounts(int64_t successes, int64_t n, double confidence) {
  if (n <= 0) Fail("accuracy: no items (n = ", n, "); accuracy of 0 items is undefined");
  if (successes < 0 || successes > n) {
    Fail("accuracy: ", successes, " successes is outside [0, n = ", n, "]");
  }
  const double p = static_cast<double>(successes) / static_cast<double>(n);
  AccuracySummary s;
  s.n = n;
  s.successes = successes;
  s.binary = true;
  s.wilson = WilsonInterval(successes, n, confidence);
  if (successes == 0 || successes == n) {
    // The CLT SE is 0 here; the Wald interval would have zero width. The Wilson interval is
    // what `ci` shows anyway (UseWilson), and `mean` carries it too so that nothing built on
    // `mean` (gaps, differences) inherits a zero-width interval.
    s.mean.value = p;
    s.mean.se = 0;
    s.mean.ci = *s.wilson;
    s.mean.confidence = confidence;
    s.mean.ci_method = kCiWilson;
  } else {
    s.mean = MakeEstimate(p, std::sqrt(p * (1 - p) / static_cast<double>(n)), confidence);
  }
  if (UseWilson(successes, n, confidence)) {
    s.ci = *s.wilson;
    s.method = IntervalMethod::kWilson;
  } else {
    s.ci = *s.mean.ci;
    s.method = IntervalMethod::kWald;
  }
  return s;
}

AccuracySummary Accuracy(std::span<const double> scores, double confidence) {
  const Moments m = ComputeMoments(scores, "accuracy");
  bool binary = true;
  int64_t successes = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const double s = scores[i];
    if (!(s >= 0 && s <= 1)) Fail("accuracy: item ", i, " has score ", s, " outside [0, 1]");
    if (s == 1) ++successes;
    if (s != 0 && s != 1) binary = false;
  }
  if (binary) return AccuracyFromCounts(successes, m.n, confidence);
  AccuracySummary s;
  s.n = m.n;
  s.successes = successes;
  s.binary = false;
  // Every fractional score equal (e.g. each item 3 of 5 samples right): the CLT SE is 0.
  s.mean = m.variance > 0
               ? MakeEstimate(m.mean, std::sqrt(m.variance / static_cast<double>(m.n)), confidence)
               : AllEqualEstimate(m.mean, m.n, 0, 1, confidence);
  s.ci = *s.mean.ci;
  s.method = m.variance > 0 ? IntervalMethod::kWald : IntervalMethod::kBound;
  return s;
}

}  // namespace gapbench::reports
