// Regression of per-item scores on one numeric covariate (the reasoning gap: accuracy against
// the number of steps): OLS intercept and slope with heteroskedasticity-robust standard errors
// (White's sandwich with the HC1 and HC3 corrections; binary outcomes are heteroskedastic by
// nature, so the classical SE is reported only for reference). Not here: logistic regression,
// several covariates, clustered slopes.
#pragma once

#include <cstdint>
#include <span>

#include "reports/stats.h"

namespace gapbench::reports {

struct SlopeFit {
  int64_t n = 0;
  double intercept = 0;
  double slope = 0;
  Estimate slope_hc1;  // slope ± z·SE_HC1 (MacKinnon & White 1985: HC0 · n/(n − 2))
  // slope ± z·SE_HC3 (HC0 terms divided by (1 − h_i)²); undefined when a point has leverage 1.
  Estimate slope_hc3;
  double se_classical = 0;  // sqrt(s² / Sxx), s² = Σe²/(n − 2): assumes constant variance
};

// Fits y = intercept + slope·x. When every residual is 0 (all scores equal, or scores exactly on
// a line) both robust SEs are undefined with the note "not estimable at n = N: ..." rather than
// a zero-width interval. Throws Error when the spans differ in length, when n < 3 (the
// HC1 factor needs n − 2 > 0), on non-finite values, or when every x is the same (the slope is
// then undefined — there is nothing to regress on).
SlopeFit OlsSlope(std::span<const double> x, std::span<const double> y, double confidence = 0.95);

}  // namespace gapbench::reports
