#include "reports/resample.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace gapbench::reports {

uint64_t UniformIndex(std::mt19937_64& rng, uint64_t n) {
  GB_CHECK(n > 0, "UniformIndex over an empty range");
  const uint64_t limit = std::numeric_limits<uint64_t>::max() -
                         std::numeric_limits<uint64_t>::max() % n;  // a multiple of n
  uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % n;
}

double Quantile(const std::vector<double>& sorted, double q) {
  GB_CHECK(!sorted.empty(), "quantile of nothing");
  const double h = (static_cast<double>(sorted.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::optional<Interval> PercentileInterval(std::vector<double> values, double level) {
  if (values.size() < 2) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double a = (1.0 - level) / 2.0;
  return Interval{Quantile(values, a), Quantile(values, 1.0 - a)};
}

}  // namespace gapbench::reports
