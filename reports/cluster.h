// Cluster-robust ("sandwich") standard error of a mean, for items that share a cluster (a
// passage, a fact, a subject) and so are not independent (Miller 2024, "Adding Error Bars to
// Evals", arXiv 2411.00640, §2.2). Not here: clustered regression slopes, multi-way clusters.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "reports/stats.h"

namespace gapbench::reports {

struct ClusteredMean {
  int64_t n = 0;
  int64_t clusters = 0;  // number of distinct cluster ids, G
  // Mean with the cluster-robust SE including the small-sample factor G/(G − 1) (what Stata
  // and statsmodels' cov_type='cluster' report for a mean); undefined when G < 2.
  Estimate mean;
  // Miller's eq. without the G/(G − 1) factor: sqrt(Σ_g (Σ_{i∈g} (s_i − mean))²) / n.
  // With one item per cluster it equals the plain CLT SE. Absent when G < 2 (it would be 0).
  std::optional<double> se_uncorrected;
  double se_iid = 0;  // the CLT SE that ignores clustering, sqrt(Σ(s − mean)²/n / n)
  // (se / se_iid)²: how much clustering inflates the variance; absent when either is
  // undefined or se_iid is 0.
  std::optional<double> design_effect;
};

// scores[i] belongs to cluster clusters[i] (any string id; items of one cluster need not be
// adjacent). Throws Error when empty, when the spans differ in length, or on a non-finite
// score. With a single cluster the SE is undefined: `mean.se` is empty and `mean.note` says so.
// When every score is equal the sandwich SE is 0 and `mean.ci` is AllEqualBound over the G clusters
// within `range` (the bounds a score can take). When the scores differ but every cluster's mean
// equals the overall mean the SE is not estimable: no `se`/`ci`, and a note. `ci` is never of zero
// width.
ClusteredMean ClusteredMeanOf(std::span<const double> scores, std::span<const std::string> clusters,
                              double confidence = 0.95, Interval range = {0, 1});

}  // namespace gapbench::reports
