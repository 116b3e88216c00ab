// Normal distribution and Estimate helpers shared by every statistic in reports/.
#include "reports/stats.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/error.h"

namespace gapbench::reports {

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double NormalQuantile(double p) {
  if (!(p > 0 && p < 1)) Fail("normal quantile: probability ", p, " is outside (0, 1)");
  // Acklam's rational approximation (relative error < 1.15e-9) ...
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // ... refined by one Halley step on Φ(x) − p, which brings it to full double precision.
  // The residual Φ(x) − p is taken as (1 − p) − Φ(−x) for p ≥ 0.5 (the same quantity; 1 − p
  // is exact there), which avoids cancellation in the upper tail.
  const double e = p < 0.5 ? NormalCdf(x) - p : (1 - p) - NormalCdf(-x);
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double ZForConfidence(double confidence) {
  if (!(confidence > 0 && confidence < 1)) {
    Fail("confidence level ", confidence, " must lie strictly between 0 and 1 (e.g. 0.95)");
  }
  return NormalQuantile(1 - (1 - confidence) / 2);
}

Estimate MakeEstimate(double value, double se, double confidence) {
  GB_CHECK(std::isfinite(se) && se >= 0, "standard error must be finite and >= 0, got ", se);
  const double z = ZForConfidence(confidence);
  Estimate e;
  e.value = value;
  e.se = se;
  e.ci = Interval{value - z * se, value + z * se};
  e.confidence = confidence;
  e.ci_method = kCiWald;
  return e;
}

Interval AllEqualBound(double value, int64_t units, double range_lo, double range_hi,
                       double confidence) {
  if (units < 1) Fail("all-equal bound: needs at least 1 unit, got ", units);
  if (!(value >= range_lo && value <= range_hi)) {
    Fail("all-equal bound: value ", value, " is outside its range [", range_lo, ", ", range_hi,
         "]");
  }
  const double z = ZForConfidence(confidence);
  const double u = z * z / (static_cast<double>(units) + z * z);
  return Interval{value - (value - range_lo) * u, value + (range_hi - value) * u};
}

Estimate AllEqualEstimate(double value, int64_t units, double range_lo, double range_hi,
                          double confidence, const char* unit_name) {
  Estimate e;
  e.value = value;
  e.se = 0;
  e.ci = AllEqualBound(value, units, range_lo, range_hi, confidence);
  e.confidence = confidence;
  e.ci_method = kCiBound;
  e.note = StrCat("all ", units, " ", unit_name,
                  " are equal, so the CLT SE is 0; the interval bounds the share that could "
                  "differ (Wilson limit for 0 of n = ",
                  units, ")");
  return e;
}

Estimate UndefinedSe(double value, double confidence, std::string note) {
  ZForConfidence(confidence);  // validates the level even though no interval is built
  Estimate e;
  e.value = value;
  e.confidence = confidence;
  e.note = std::move(note);
  return e;
}

Moments ComputeMoments(std::span<const double> values, const char* what) {
  if (values.empty()) Fail(what, ": no items (the mean and its standard error need n >= 1)");
  Moments m;
  m.n = static_cast<int64_t>(values.size());
  // Two passes: the mean first, then squared deviations (no catastrophic cancellation).
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) Fail(what, ": item ", i, " has a non-finite score ", values[i]);
    sum += values[i];
  }
  m.mean = sum / static_cast<double>(m.n);
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  if (*hi - *lo <= 1e-9 * std::max(1.0, std::fabs(*hi))) {
    // All equal (to rounding: 0.6 summed ten times is not 0.6 · 10): exactly the value, and
    // exactly no spread, so callers can test variance == 0 for all-equal data.
    m.mean = values[0];
    m.variance = 0;
    return m;
  }
  double ss = 0;
  for (double v : values) ss += (v - m.mean) * (v - m.mean);
  m.variance = ss / static_cast<double>(m.n);
  return m;
}

}  // namespace gapbench::reports
