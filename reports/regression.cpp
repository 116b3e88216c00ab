// OLS slope with HC1/HC3 standard errors; formulas in docs/STATISTICS.md §5.
#include "reports/regression.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"

namespace gapbench::reports {

SlopeFit OlsSlope(std::span<const double> x, std::span<const double> y, double confidence) {
  if (x.size() != y.size()) {
    Fail("slope: ", x.size(), " covariate values but ", y.size(), " scores");
  }
  if (x.size() < 3) Fail("slope: ", x.size(), " items; a slope with a robust SE needs n >= 3");
  const Moments mx = ComputeMoments(x, "slope (covariate)");
  const Moments my = ComputeMoments(y, "slope (scores)");
  const double nn = static_cast<double>(mx.n);
  const double sxx = mx.variance * nn;
  if (!(sxx > 0))
    Fail("slope: every item has the same covariate value ", x[0], "; the slope is undefined");
  double sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) sxy += (x[i] - mx.mean) * (y[i] - my.mean);
  SlopeFit fit;
  fit.n = mx.n;
  fit.slope = sxy / sxx;
  fit.intercept = my.mean - fit.slope * mx.mean;
  // For one covariate with an intercept, the slope entry of the sandwich
  // (X'X)⁻¹ X' diag(ω) X (X'X)⁻¹ is Σ (x_i − x̄)² ω_i / Sxx².
  double hc0 = 0, hc3 = 0, sse = 0, max_residual = 0;
  bool hc3_defined = true;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx.mean;
    const double e = y[i] - fit.intercept - fit.slope * x[i];
    const double leverage = 1 / nn + dx * dx / sxx;
    sse += e * e;
    max_residual = std::max(max_residual, std::fabs(e));
    hc0 += dx * dx * e * e;
    if (leverage > 1 - 1e-12) {
      hc3_defined = false;
    } else {
      hc3 += dx * dx * e * e / ((1 - leverage) * (1 - leverage));
    }
  }
  if (!(hc0 > 0) || max_residual <= 1e-9) {
    // Every residual 0 (all scores equal, or the scores an exact line in x, e.g. all right at
    // one step count and all wrong at the other): the sandwich is 0 and a zero-width interval
    // would claim a slope known exactly. No robust SE exists for these data.
    const std::string why = my.variance == 0
                                ? StrCat("every item has the same score ", y[0])
                                : std::string("the scores lie exactly on a line in the covariate");
    const std::string note = StrCat("not estimable at n = ", fit.n, ": ", why,
                                    ", so every residual and the robust SE are 0");
    fit.slope_hc1 = UndefinedSe(fit.slope, confidence, note);
    fit.slope_hc3 = UndefinedSe(fit.slope, confidence, note);
    fit.se_classical = 0;
    return fit;
  }
  fit.slope_hc1 = MakeEstimate(fit.slope, std::sqrt(hc0 * nn / (nn - 2)) / sxx, confidence);
  if (hc3_defined) {
    fit.slope_hc3 = MakeEstimate(fit.slope, std::sqrt(hc3) / sxx, confidence);
  } else {
    fit.slope_hc3 = UndefinedSe(fit.slope, confidence,
                                "HC3 SE is undefined: a point has leverage 1 (it alone fixes the "
                                "fit at its covariate value)");
  }
  fit.se_classical = std::sqrt(sse / (nn - 2) / sxx);
  return fit;
}

}  // namespace gapbench::reports
