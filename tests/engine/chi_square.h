// Pearson's chi-square goodness-of-fit test for the statistical tests of samplers: observed
// counts against expected probabilities, with the p-value from the regularized upper incomplete
// gamma function (Numerical Recipes' series and continued fraction). Header-only.
// A test asserting p-value > 1e-6 fails falsely with probability 1e-6 (fixed seeds make each
// run deterministic, so a run that passes once passes always).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace gapbench::testing {

// Q(a, x) = Gamma(a, x) / Gamma(a): the chi-square survival function at 2x with 2a degrees of
// freedom.
inline double UpperGammaQ(double a, double x) {
  if (x <= 0.0) return 1.0;
  const double log_front = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1.0) {  // series for P(a, x)
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < 10000 && term > sum * 1e-16; ++n) {
      term *= x / (a + n);
      sum += term;
    }
    return 1.0 - sum * std::exp(log_front);
  }
  // Continued fraction for Q(a, x) (modified Lentz).
  constexpr double kTiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / kTiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < 1e-16) break;
  }
  return std::exp(log_front) * h;
}

struct ChiSquare {
  double statistic = 0.0;
  int64_t dof = 0;
  double p_value = 1.0;
  int64_t outside = 0;  // observations in cells of expected probability 0 (then p_value is 0)
};

// Cells whose expected count is under 5 are pooled into one (the usual validity rule); an
// observation in a cell of probability 0 makes the p-value 0.
inline ChiSquare ChiSquareTest(const std::vector<int64_t>& observed,
                               const std::vector<double>& expected_prob) {
  int64_t n = 0;
  for (int64_t o : observed) n += o;
  ChiSquare r;
  double pooled_obs = 0.0, pooled_exp = 0.0;
  int64_t cells = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    const double e = expected_prob[i] * static_cast<double>(n);
    const auto o = static_cast<double>(observed[i]);
    if (expected_prob[i] <= 0.0) {
      r.outside += observed[i];
    } else if (e < 5.0) {
      pooled_obs += o;
      pooled_exp += e;
    } else {
      r.statistic += (o - e) * (o - e) / e;
      ++cells;
    }
  }
  if (pooled_exp > 0.0) {
    r.statistic += (pooled_obs - pooled_exp) * (pooled_obs - pooled_exp) / pooled_exp;
    ++cells;
  }
  r.dof = cells - 1;
  if (r.outside > 0) {
    r.p_value = 0.0;
  } else if (r.dof > 0) {
    r.p_value = UpperGammaQ(0.5 * static_cast<double>(r.dof), 0.5 * r.statistic);
  }
  return r;
}

}  // namespace gapbench::testing
