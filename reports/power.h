// Power analysis for comparisons: the minimum detectable difference (MDD) of a two-sided z test
// at a given number of items, significance level and power — the smallest true difference a
// suite of this size would find significant with probability `power` (Miller 2024 §5).
// Printed next to each comparison, so "no significant difference" can be read as "no difference
// larger than the MDD". Not here: sample-size search over several suites.
#pragma once

#include <cstdint>

namespace gapbench::reports {

// The noncentrality δ that gives a two-sided z test at level `alpha` the requested power:
// Φ(δ − z) + Φ(−δ − z) = power, z = Φ⁻¹(1 − alpha/2). Both tails are counted, so δ is a hair
// below the textbook z + Φ⁻¹(power) (2.8015818 vs 2.8015852 at 0.05 / 0.8). Throws Error
// unless 0 < alpha < 1 and alpha < power < 1.
double Noncentrality(double alpha, double power);

// MDD = δ·se for a difference estimated with standard error `se`. Throws Error unless se > 0:
// an MDD is never 0 (the paired and unpaired forms below floor their SE for that reason).
double MinimumDetectableDifference(double se, double alpha = 0.05, double power = 0.8);

// Paired design (both configurations on the same n items): se = sd_diff/√n, with sd_diff the
// SD of the per-item differences (PairedDifference::sd_diff; for binary scores
// sd_diff² = f − (b − c)²/n², f the discordant fraction). sd_diff = 0 (no discordant item, or
// all of them one way) would make the MDD 0: the SD of one discordant item in n under H0,
// 1/√n, is used instead. Throws Error when n < 1 or sd_diff < 0.
double MinimumDetectableDifferencePaired(double sd_diff, int64_t n, double alpha = 0.05,
                                         double power = 0.8);

// Unpaired design (independent items, n1 and n2) around a baseline accuracy p:
// se = sqrt(p(1 − p)·(1/n1 + 1/n2)), the variance under H0 (both arms at p), with p kept in
// [1/m, 1 − 1/m], m = min(n1, n2) (at p = 0 or 1 the MDD would be 0). Throws Error when p is
// outside [0, 1] or n1, n2 < 1.
double MinimumDetectableDifferenceUnpaired(double p, int64_t n1, int64_t n2, double alpha = 0.05,
                                           double power = 0.8);

}  // namespace gapbench::reports
