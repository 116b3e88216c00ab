// Accuracy of n items: the mean score with its CLT (Wald) standard error and interval, and the
// Wilson score interval for binary scores, with the rule that picks between them.
// Not here: clustered items (cluster.h), comparisons (paired.h, gap.h).
#pragma once

#include <cstdint>
#include <span>

#include "reports/stats.h"

namespace gapbench::reports {

// Which interval AccuracySummary::ci holds (kBound: fractional scores that are all equal).
enum class IntervalMethod { kWald, kWilson, kBound };
const char* IntervalMethodName(IntervalMethod m);  // "wald" | "wilson" | "all-equal bound"

struct AccuracySummary {
  int64_t n = 0;
  int64_t successes = 0;  // number of scores equal to 1 (meaningful when `binary`)
  bool binary = false;    // every score is exactly 0 or 1
  // mean with the CLT standard error sqrt(Σ(s − mean)²/n / n) — for binary scores
  // sqrt(p(1 − p)/n) — and the Wald interval mean ± z·se. Where that SE is 0 (every score
  // equal) `mean.ci` is the Wilson interval (binary) or AllEqualBound (fractional) instead,
  // named by `mean.ci_method`: never of zero width.
  Estimate mean;
  std::optional<Interval> wilson;  // binary scores only
  // The interval to show: Wilson when binary and (n < 30 or n·p < 5 or n·(1 − p) < 5, at
  // 95%), otherwise Wald (see UseWilson); all-equal fractional scores: AllEqualBound.
  Interval ci;
  IntervalMethod method = IntervalMethod::kWald;
};

// True when the Wilson interval should be shown instead of Wald for `successes` of `n`: small
// n (< 30) or fewer than max(5, z²) successes or failures (p near 0 or 1), where the Wald
// interval under-covers. Above that count the Wald interval stays inside [0, 1]
// (k − z·sqrt(k(1 − p)) ≥ 0 when k ≥ z²); z² = 3.84 at 95%, so there the threshold is 5.
bool UseWilson(int64_t successes, int64_t n, double confidence = 0.95);

// Wilson score interval for `successes` of `n` (Wilson 1927):
//   centre = (p + z²/2n) / (1 + z²/n),  half = z/(1 + z²/n) · sqrt(p(1 − p)/n + z²/4n²).
// Throws Error when n <= 0 or successes is outside [0, n].
Interval WilsonInterval(int64_t successes, int64_t n, double confidence = 0.95);

// Summary of per-item scores in [0, 1] (1 = correct; fractional scores, e.g. a fraction of
// samples correct, are allowed and get the Wald interval only). Throws Error when empty or
// when a score is outside [0, 1] or not finite.
AccuracySummary Accuracy(std::span<const double> scores, double confidence = 0.95);
// The same from counts (binary items).
AccuracySummary AccuracyFromCounts(int64_t successes, int64_t n, double confidence = 0.95);

}  // namespace gapbench::reports
