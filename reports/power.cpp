// Minimum detectable difference; formulas in docs/STATISTICS.md §4.
#include "reports/power.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/error.h"
#include "reports/stats.h"

namespace gapbench::reports {

double Noncentrality(double alpha, double power) {
  if (!(alpha > 0 && alpha < 1)) Fail("power: alpha ", alpha, " must lie in (0, 1)");
  if (!(power > alpha && power < 1)) {
    Fail("power: requested power ", power, " must lie in (alpha = ", alpha, ", 1)");
  }
  const double z = NormalQuantile(1 - alpha / 2);
  // Newton on f(δ) = Φ(δ − z) + Φ(−δ − z) − power, increasing for δ > 0, from the one-tail
  // solution (an upper bound: the second tail only adds power).
  double delta = z + NormalQuantile(power);
  const double inv_sqrt_2pi = 1 / std::sqrt(2 * std::numbers::pi);
  for (int iter = 0; iter < 50; ++iter) {
    const double f = NormalCdf(delta - z) + NormalCdf(-delta - z) - power;
    const double df = inv_sqrt_2pi * (std::exp(-0.5 * (delta - z) * (delta - z)) -
                                      std::exp(-0.5 * (delta + z) * (delta + z)));
    if (!(df > 0)) break;
    const double step = f / df;
    delta -= step;
    if (std::abs(step) <= 1e-15 * std::abs(delta)) break;
  }
  return delta;
}

double MinimumDetectableDifference(double se, double alpha, double power) {
  if (!(se > 0) || !std::isfinite(se)) {
    Fail("power: standard error ", se,
         " must be > 0 (an MDD of 0 would claim any difference is detectable)");
  }
  return Noncentrality(alpha, power) * se;
}

double MinimumDetectableDifferencePaired(double sd_diff, int64_t n, double alpha, double power) {
  if (n < 1) Fail("power: a paired design needs n >= 1 items, got ", n);
  if (!(sd_diff >= 0) || !std::isfinite(sd_diff)) {
    Fail("power: SD of the paired differences ", sd_diff, " must be >= 0");
  }
  // The observed SD is 0 when no item differs (or all differ one way); it cannot be the SD of
  // the alternative, and an MDD of 0 would claim any difference is detectable. Then the SD of
  // one discordant item in n under H0 is used, sd² = f = 1/n.
  const double nn = static_cast<double>(n);
  const double sd = sd_diff > 0 ? sd_diff : 1 / std::sqrt(nn);
  return MinimumDetectableDifference(sd / std::sqrt(nn), alpha, power);
}

double MinimumDetectableDifferenceUnpaired(double p, int64_t n1, int64_t n2, double alpha,
                                           double power) {
  if (!(p >= 0 && p <= 1)) Fail("power: baseline accuracy ", p, " must lie in [0, 1]");
  if (n1 < 1 || n2 < 1) Fail("power: both groups need >= 1 item, got ", n1, " and ", n2);
  // At p = 0 or 1 the variance p(1 − p) is 0 and the MDD would be 0; the level is kept one
  // item of the smaller group away from the bounds, the smallest change it can express.
  const double edge = std::min(0.5, 1 / static_cast<double>(std::min(n1, n2)));
  p = std::clamp(p, edge, 1 - edge);
  const double se =
      std::sqrt(p * (1 - p) * (1 / static_cast<double>(n1) + 1 / static_cast<double>(n2)));
  return MinimumDetectableDifference(se, alpha, power);
}

}  // namespace gapbench::reports
