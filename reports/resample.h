// The two pieces every bootstrap in reports/ shares (paired.cpp's accuracy differences,
// compare.cpp's speed ratios): an index draw and a quantile, both specified here rather than
// taken from the standard library, so a seed gives the same resamples and the same interval
// with every standard library (std::uniform_int_distribution differs between them).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "reports/stats.h"

namespace gapbench::reports {

// Uniform index in [0, n) from a 64-bit engine without modulo bias (rejection sampling). n > 0.
uint64_t UniformIndex(std::mt19937_64& rng, uint64_t n);

// numpy's default (type 7, linear) quantile of non-empty sorted values, q in [0, 1].
double Quantile(const std::vector<double>& sorted, double q);

// The percentile interval at `level` (0.95: the 2.5% and 97.5% quantiles) of bootstrap values in
// any order; nullopt with fewer than two values.
std::optional<Interval> PercentileInterval(std::vector<double> values, double level);

}  // namespace gapbench::reports
