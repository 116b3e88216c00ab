// Shared building blocks of gapbench's statistics: an estimate with its standard error and
// confidence interval, and the standard normal distribution (CDF and quantile) that every
// interval in reports/ is built from. The concepts live in their own headers:
//   proportion.h  accuracy of n items: CLT (Wald) and Wilson intervals
//   cluster.h     cluster-robust ("sandwich") standard error of a mean (Miller 2024)
//   paired.h      paired difference, McNemar's exact test, paired bootstrap
//   pass_at_k.h   pass@k over tasks with a CI
//   power.h       minimum detectable difference (paired and unpaired)
//   regression.h  OLS slope with heteroskedasticity-robust (HC1/HC3) standard errors
//   gap.h         difference of independent estimates and the difference-in-differences
// Formulas and sources: docs/STATISTICS.md. Not here: storage, rendering, compare.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace gapbench::reports {

// A closed interval [lo, hi].
struct Interval {
  double lo = 0;
  double hi = 0;
};

// A point estimate with its standard error and an interval at `confidence`. `se` is absent (and
// `ci` with it) when it is undefined for the data (one cluster, a leverage-1 point, every
// residual 0, ...); `note` then says why. Contract: a present `ci` is never of zero width (see
// AllEqualBound for the data that would give one).
struct Estimate {
  double value = 0;
  std::optional<double> se;
  std::optional<Interval> ci;
  double confidence = 0.95;
  std::string note;
  // How `ci` was built: kCiWald (value ± z·se, whatever kind of SE), kCiWilson, kCiBound,
  // kCiMover or kCiPercentile. Renderers name it wherever it is not the column's default.
  std::string ci_method;
};

// Values of Estimate::ci_method (docs/STATISTICS.md, "Conventions").
inline constexpr const char* kCiWald = "wald";
inline constexpr const char* kCiWilson = "wilson";
inline constexpr const char* kCiBound = "all-equal bound";
inline constexpr const char* kCiMover = "mover";
inline constexpr const char* kCiPercentile = "percentile";

// Standard normal CDF Φ(x) (via erfc, accurate in both tails).
double NormalCdf(double x);
// Standard normal quantile Φ⁻¹(p) for p in (0, 1), to ~1 ulp (Acklam's rational
// approximation refined by one Halley step). Throws Error outside (0, 1).
double NormalQuantile(double p);
// The two-sided critical value z = Φ⁻¹(1 − (1 − confidence)/2); 1.959963984540054 for 0.95.
// Throws Error unless 0 < confidence < 1.
double ZForConfidence(double confidence);

// value ± z·se as an Estimate (se ≥ 0, finite). With se = 0 the interval would have zero
// width: callers whose data can give se = 0 use AllEqualEstimate or UndefinedSe instead.
Estimate MakeEstimate(double value, double se, double confidence);

// Interval for the mean of `units` independent values that all came out equal to `value`,
// each value bounded to [range_lo, range_hi] (a score: [0, 1]; a paired difference: [−1, 1]).
// No observed deviation says only that the share q of units that differ from `value` is small:
// q ≤ u = z²/(units + z²), the Wilson upper limit for 0 of `units`. A unit that differs moves
// the mean by at most the range, so the true mean lies in
//   [value − (value − range_lo)·u, value + (range_hi − value)·u].
// For a proportion at 0 or 1 this is the Wilson interval exactly. Never of zero width unless
// `value` sits at an end of a degenerate range. Throws Error when units < 1 or value lies
// outside the range.
Interval AllEqualBound(double value, int64_t units, double range_lo, double range_hi,
                       double confidence);
// An Estimate with se = 0 and that interval (ci_method kCiBound), its note naming n.
Estimate AllEqualEstimate(double value, int64_t units, double range_lo, double range_hi,
                          double confidence, const char* unit_name = "items");
// An Estimate whose standard error is undefined, with the reason.
Estimate UndefinedSe(double value, double confidence, std::string note);

// Plug-in (divide-by-n) mean and variance; throws Error naming `what` when empty or when a
// value is not finite.
struct Moments {
  int64_t n = 0;
  double mean = 0;
  // Σ(x − mean)² / n; exactly 0 (and mean the common value) when the values are equal to within
  // 1e-9 relative, so all-equal data can be recognised by variance == 0.
  double variance = 0;
};
Moments ComputeMoments(std::span<const double> values, const char* what);

}  // namespace gapbench::reports
