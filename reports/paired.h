// Paired comparison of two configurations scored on the same items: the difference of means
// with the SE of the per-item differences (optionally clustered), McNemar's exact test on the
// discordant pairs, and a seeded paired bootstrap. Not here: independent samples (gap.h),
// the minimum detectable difference (power.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "reports/stats.h"

namespace gapbench::reports {

struct PairedDifference {
  int64_t n = 0;
  double mean_a = 0;
  double mean_b = 0;
  // mean(a) − mean(b) = mean(d), d_i = a_i − b_i, with SE sqrt(Σ(d − d̄)²/n / n) (or the
  // cluster-robust SE of mean(d) when clusters are given; see cluster.h). When every d_i is
  // equal (binary: no discordant pair, or all of them one way) the SE is 0 and `diff.ci` is
  // AllEqualBound over [−1, 1] (ci_method kCiBound) instead of a zero-width Wald interval.
  Estimate diff;
  double sd_diff = 0;    // plug-in SD of d_i (divide by n); feeds the paired power calculation
  int64_t clusters = 0;  // 0 when unclustered
};

// a[i] and b[i] are the two configurations' scores on item i. Throws Error when empty, when
// lengths differ, or on a non-finite score. With `clusters` (same length, any string ids) the
// SE is cluster-robust; with a single cluster it is undefined and `diff.note` says so.
PairedDifference PairedDiff(std::span<const double> a, std::span<const double> b,
                            double confidence = 0.95, std::span<const std::string> clusters = {});

// McNemar's exact test of "a and b are equally accurate" on binary paired outcomes:
// only_a = items a got right and b wrong, only_b the reverse. Under H0 only_a ~ Bin(N, 1/2)
// with N = only_a + only_b.
struct McNemarResult {
  int64_t only_a = 0;
  int64_t only_b = 0;
  double p_exact = 1;  // min(1, 2·P(X ≤ min(only_a, only_b))), X ~ Bin(N, 1/2); 1 when N = 0
  double p_mid = 1;    // mid-p: 2·P(X ≤ m) − P(X = m) (Fagerland et al. 2013)
};
McNemarResult McNemarExact(int64_t only_a, int64_t only_b);
// From per-item binary scores; throws Error when a score is not exactly 0 or 1.
McNemarResult McNemar(std::span<const double> a, std::span<const double> b);

struct BootstrapOptions {
  int64_t resamples = 10000;
  uint64_t seed = 20240101;
  double confidence = 0.95;
};
struct PairedBootstrapResult {
  double diff = 0;  // observed mean(a) − mean(b)
  Interval ci;      // percentile interval of the resampled differences (linear interpolation)
  // kCiPercentile; kCiBound when every d_i is equal (every resample would be d̄, a zero-width
  // percentile interval): then `ci` is AllEqualBound(d̄, n, −1, 1).
  std::string ci_method = kCiPercentile;
  // Two-sided p of H0 "no difference": the resampled differences are centred on the observed
  // one (shifted to the null), p = (1 + #{|d*_r − d̄| ≥ |d̄|}) / (R + 1).
  double p_value = 1;
  int64_t resamples = 0;
  uint64_t seed = 0;
};
// Resamples items (pairs kept together) with replacement, R times, from std::mt19937_64 seeded
// with `seed` and an unbiased rejection step for indices: the result is the same for a seed on
// every platform. Cost O(R·n). Throws Error when empty, lengths differ, or resamples < 1.
PairedBootstrapResult PairedBootstrap(std::span<const double> a, std::span<const double> b,
                                      const BootstrapOptions& options = {});

}  // namespace gapbench::reports
