// Paired difference, McNemar's exact test and the paired bootstrap; formulas in
// docs/STATISTICS.md §2.
#include "reports/paired.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/error.h"
#include "reports/cluster.h"
#include "reports/resample.h"

namespace gapbench::reports {
namespace {

std::vector<double> Differences(std::span<const double> a, std::span<const double> b,
                                const char* what) {
  if (a.size() != b.size()) {
    Fail(what, ": the two configurations have ", a.size(), " and ", b.size(),
         " scores; a paired comparison needs the same items in the same order");
  }
  if (a.empty()) Fail(what, ": no items (n = 0); a paired difference is undefined");
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  return d;
}

// P(X ≤ m) and P(X = m) for X ~ Bin(n, 1/2), m ≤ n/2 so the tail is the short side. The pmf at
// m comes from lgamma; lower terms follow from pmf(k − 1) = pmf(k)·k/(n − k + 1).
void BinomialHalfTail(int64_t n, int64_t m, double* cdf, double* pmf_m) {
  const double nn = static_cast<double>(n);
  const double km = static_cast<double>(m);
  const double log_pmf =
      std::lgamma(nn + 1) - std::lgamma(km + 1) - std::lgamma(nn - km + 1) - nn * std::log(2.0);
  double term = std::exp(log_pmf);
  *pmf_m = term;
  double sum = term;
  for (int64_t k = m; k > 0; --k) {
    term *= static_cast<double>(k) / static_cast<double>(n - k + 1);
    sum += term;
    if (term < sum * 1e-18) break;  // the rest cannot change the double
  }
  *cdf = sum;
}

}  // namespace

PairedDifference PairedDiff(std::span<const double> a, std::span<const double> b, double confidence,
                            std::span<const std::string> clusters) {
  const std::vector<double> d = Differences(a, b, "paired difference");
  const Moments ma = ComputeMoments(a, "paired difference (first configuration)");
  const Moments mb = ComputeMoments(b, "paired difference (second configuration)");
  const Moments md = ComputeMoments(d, "paired difference");
  PairedDifference out;
  out.n = md.n;
  out.mean_a = ma.mean;
  out.mean_b = mb.mean;
  out.sd_diff = std::sqrt(md.variance);
  if (clusters.empty()) {
    // Every d_i equal (no discordant pair, or all of them one way): the SE is 0 and the Wald
    // interval would have zero width; a difference of scores in [0, 1] lies in [−1, 1].
    out.diff =
        md.variance > 0
            ? MakeEstimate(md.mean, std::sqrt(md.variance / static_cast<double>(md.n)), confidence)
            : AllEqualEstimate(md.mean, md.n, -1, 1, confidence);
  } else {
    ClusteredMean cm = ClusteredMeanOf(d, clusters, confidence, Interval{-1, 1});
    out.diff = std::move(cm.mean);
    out.clusters = cm.clusters;
  }
  return out;
}

McNemarResult McNemarExact(int64_t only_a, int64_t only_b) {
  if (only_a < 0 || only_b < 0) Fail("McNemar: negative discordant counts ", only_a, ", ", only_b);
  McNemarResult r;
  r.only_a = only_a;
  r.only_b = only_b;
  const int64_t n = only_a + only_b;
  if (n == 0) return r;  // no discordant pair: no evidence of a difference, p = 1
  double cdf, pmf;
  BinomialHalfTail(n, std::min(only_a, only_b), &cdf, &pmf);
  r.p_exact = std::min(1.0, 2 * cdf);
  r.p_mid = std::min(1.0, 2 * cdf - pmf);
  return r;
}

McNemarResult McNemar(std::span<const double> a, std::span<const double> b) {
  Differences(a, b, "McNemar");  // validates lengths and emptiness
  int64_t only_a = 0, only_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (double s : {a[i], b[i]}) {
      if (s != 0 && s != 1) Fail("McNemar: item ", i, " has score ", s, "; it needs 0/1 scores");
    }
    if (a[i] == 1 && b[i] == 0) ++only_a;
    if (a[i] == 0 && b[i] == 1) ++only_b;
  }
  return McNemarExact(only_a, only_b);
}

PairedBootstrapResult PairedBootstrap(std::span<const double> a, std::span<const double> b,
                                      const BootstrapOptions& options) {
  const std::vector<double> d = Differences(a, b, "paired bootstrap");
  if (options.resamples < 1) Fail("paired bootstrap: resamples must be >= 1");
  ZForConfidence(options.confidence);  // validates the level before any work
  const Moments md = ComputeMoments(d, "paired bootstrap");
  const uint64_t n = d.size();
  std::mt19937_64 rng(options.seed);
  std::vector<double> means(static_cast<size_t>(options.resamples));  // [resamples]
  for (double& mean : means) {
    double sum = 0;
    for (uint64_t i = 0; i < n; ++i) sum += d[UniformIndex(rng, n)];
    mean = sum / static_cast<double>(n);
  }
  PairedBootstrapResult r;
  r.diff = md.mean;
  r.resamples = options.resamples;
  r.seed = options.seed;
  int64_t extreme = 0;
  // A tiny slack so that resamples equal to the observed difference up to summation order
  // count as "at least as extreme" (e.g. every resample when d̄ = 0).
  const double threshold = std::abs(md.mean) * (1 - 1e-12);
  for (double m : means) extreme += std::abs(m - md.mean) >= threshold ? 1 : 0;
  r.p_value = static_cast<double>(1 + extreme) / static_cast<double>(options.resamples + 1);
  if (md.variance == 0) {
    // Every resample equals d̄: the percentile interval would have zero width.
    r.ci = AllEqualBound(md.mean, md.n, -1, 1, options.confidence);
    r.ci_method = kCiBound;
    return r;
  }
  std::sort(means.begin(), means.end());
  const double tail = (1 - options.confidence) / 2;
  r.ci = Interval{Quantile(means, tail), Quantile(means, 1 - tail)};
  return r;
}

}  // namespace gapbench::reports
