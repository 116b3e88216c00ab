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

// A point estimate with its standard error and a two-sided normal (z) interval
// value ± z·se at `confidence`. `se` is absent (and `ci` with it) when it is undefined
// for the data (one cluster, a leverage-1 point, ...); `note` then says why.
struct Estimate {
  double value = 0;
  std::optional<double> se;
  std::optional<Interval> ci;
  double confidence = 0.95;
  std::string note;
};

// Standard normal CDF Φ(x) (via erfc, accurate in both tails).
double NormalCdf(double x);
// Standard normal quantile Φ⁻¹(p) for p in (0, 1), to ~1 ulp (Acklam's rational
// approximation refined by one Halley step). Throws Error outside (0, 1).
double NormalQuantile(double p);
// The two-sided critical value z = Φ⁻¹(1 − (1 − confidence)/2); 1.959963984540054 for 0.95.
// Throws Error unless 0 < confidence < 1.
double ZForConfidence(double confidence);

// value ± z·se as an Estimate (se ≥ 0, finite).
Estimate MakeEstimate(double value, double se, double confidence);
// An Estimate whose standard error is undefined, with the reason.
Estimate UndefinedSe(double value, double confidence, std::string note);

// Plug-in (divide-by-n) mean and variance; throws Error naming `what` when empty or when a
// value is not finite.
struct Moments {
  int64_t n = 0;
  double mean = 0;
  double variance = 0;  // Σ(x − mean)² / n
};
Moments ComputeMoments(std::span<const double> values, const char* what);

}  // namespace gapbench::reports
