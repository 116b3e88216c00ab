// Cluster-robust SE of a mean; formula in docs/STATISTICS.md §1.
#include "reports/cluster.h"

#include <cmath>
#include <string_view>
#include <unordered_map>

#include "common/error.h"

namespace gapbench::reports {

ClusteredMean ClusteredMeanOf(std::span<const double> scores, std::span<const std::string> clusters,
                              double confidence, Interval range) {
  if (scores.size() != clusters.size()) {
    Fail("clustered mean: ", scores.size(), " scores but ", clusters.size(), " cluster ids");
  }
  const Moments m = ComputeMoments(scores, "clustered mean");
  // Per-cluster sums of residuals (the "meat" of the sandwich for an intercept-only model).
  std::unordered_map<std::string_view, double> residual_sum;
  for (size_t i = 0; i < scores.size(); ++i) residual_sum[clusters[i]] += scores[i] - m.mean;

  ClusteredMean out;
  out.n = m.n;
  out.clusters = static_cast<int64_t>(residual_sum.size());
  const double nn = static_cast<double>(m.n);
  out.se_iid = std::sqrt(m.variance / nn);
  if (out.clusters < 2) {
    out.mean = UndefinedSe(m.mean, confidence,
                           StrCat("clustered SE is undefined with ", out.clusters,
                                  " cluster (needs at least 2 independent clusters)"));
    return out;
  }
  double meat = 0;
  for (const auto& [id, sum] : residual_sum) meat += sum * sum;
  if (m.variance == 0) {
    // Every score equal: the sandwich is 0. Clusters are the independent units, so the bound
    // counts G of them, not n.
    out.mean = AllEqualEstimate(m.mean, out.clusters, range.lo, range.hi, confidence, "clusters");
    out.se_uncorrected = 0;
    return out;
  }
  if (!(meat > 0)) {
    out.mean = UndefinedSe(m.mean, confidence,
                           StrCat("not estimable at G = ", out.clusters,
                                  " clusters: every cluster's mean equals the overall mean, so the "
                                  "sandwich SE is 0"));
    return out;
  }
  const double g = static_cast<double>(out.clusters);
  const double se_uncorrected = std::sqrt(meat) / nn;
  const double se = se_uncorrected * std::sqrt(g / (g - 1));
  out.se_uncorrected = se_uncorrected;
  out.mean = MakeEstimate(m.mean, se, confidence);
  if (out.se_iid > 0) out.design_effect = (se * se) / (out.se_iid * out.se_iid);
  return out;
}

}  // namespace gapbench::reports
