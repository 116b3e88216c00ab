// reports/ statistics against values worked out by hand from the closed forms (the arithmetic is
// in the comments), and the edge cases: no items, all correct, all wrong, one cluster, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "reports/cluster.h"
#include "reports/gap.h"
#include "reports/paired.h"
#include "reports/pass_at_k.h"
#include "reports/power.h"
#include "reports/proportion.h"
#include "reports/regression.h"
#include "reports/stats.h"
#include "suites/scoring.h"

namespace gapbench::reports {
namespace {

constexpr double kZ = 1.959963984540054;  // Φ⁻¹(0.975)

TEST(Proportion, WilsonEightOfTenByHand) {
  // p = 0.8, z²/n = 0.384146; centre = (0.8 + 0.192073)/1.384146 = 0.716743;
  // half = (1.959964/1.384146)·sqrt(0.016 + 0.009604) = 1.416011·0.160012 = 0.226579.
  const Interval w = WilsonInterval(8, 10);
  EXPECT_NEAR(w.lo, 0.4902, 5e-5);
  EXPECT_NEAR(w.hi, 0.9433, 5e-5);
  const AccuracySummary s = AccuracyFromCounts(8, 10);
  EXPECT_EQ(s.method, IntervalMethod::kWilson);  // n < 30
  EXPECT_DOUBLE_EQ(s.ci.lo, w.lo);
  EXPECT_NEAR(*s.mean.se, std::sqrt(0.8 * 0.2 / 10), 1e-15);
}

TEST(Proportion, WaldFiftyOfHundredByHand) {
  // SE = sqrt(0.25/100) = 0.05; CI = 0.5 ± 1.959964·0.05 = [0.402002, 0.597998].
  const AccuracySummary s = AccuracyFromCounts(50, 100);
  EXPECT_EQ(s.method, IntervalMethod::kWald);
  EXPECT_DOUBLE_EQ(*s.mean.se, 0.05);
  EXPECT_NEAR(s.ci.lo, 0.5 - kZ * 0.05, 1e-15);
  EXPECT_NEAR(s.ci.hi, 0.5 + kZ * 0.05, 1e-15);
}

TEST(Proportion, RulePicksWilsonForSmallNOrExtremeP) {
  EXPECT_TRUE(UseWilson(15, 29));  // n < 30
  EXPECT_FALSE(UseWilson(15, 30));
  EXPECT_TRUE(UseWilson(97, 100));  // only 3 failures: n(1 − p) < 5
  EXPECT_TRUE(UseWilson(4, 1000));  // n·p < 5
  EXPECT_FALSE(UseWilson(5, 1000));
  // At 99.9% z² = 10.83: 6 successes would let the Wald interval dip below 0, so Wilson.
  EXPECT_TRUE(UseWilson(6, 1000, 0.999));
  EXPECT_FALSE(UseWilson(11, 1000, 0.999));
  const AccuracySummary s = AccuracyFromCounts(6, 1000, 0.999);
  EXPECT_LT(s.mean.ci->lo, 0);  // what Wald would have shown
  EXPECT_EQ(s.method, IntervalMethod::kWilson);
  EXPECT_GT(s.ci.lo, 0);
}

TEST(Proportion, AllCorrectAndAllWrongHaveClosedFormWilsonBounds) {
  // At p = 1 the Wilson lower bound is n/(n + z²); at p = 0 the upper bound is z²/(n + z²).
  const std::vector<double> ones(20, 1.0), zeros(20, 0.0);
  const AccuracySummary all = Accuracy(ones);
  EXPECT_EQ(all.mean.value, 1.0);
  EXPECT_EQ(*all.mean.se, 0.0);  // the CLT SE collapses, which is why Wilson is shown
  EXPECT_EQ(all.method, IntervalMethod::kWilson);
  EXPECT_NEAR(all.ci.lo, 20 / (20 + kZ * kZ), 1e-15);
  EXPECT_EQ(all.ci.hi, 1.0);
  const AccuracySummary none = Accuracy(zeros);
  EXPECT_EQ(none.ci.lo, 0.0);
  EXPECT_NEAR(none.ci.hi, kZ * kZ / (20 + kZ * kZ), 1e-15);
}

TEST(Proportion, NoItemsAndBadScoresAreErrors) {
  EXPECT_THROW(Accuracy(std::vector<double>{}), Error);
  EXPECT_THROW(AccuracyFromCounts(0, 0), Error);
  EXPECT_THROW(WilsonInterval(0, 0), Error);
  EXPECT_THROW(WilsonInterval(11, 10), Error);
  EXPECT_THROW(Accuracy(std::vector<double>{0.5, 1.5}), Error);
  EXPECT_THROW(Accuracy(std::vector<double>{NAN}), Error);
  EXPECT_THROW(AccuracyFromCounts(5, 10, 1.0), Error);  // confidence must be < 1
}

TEST(Cluster, TwoClustersByHand) {
  // mean 0.5; residual sums A: +1, B: −1; Σ² = 2 → uncorrected sqrt(2)/4, × sqrt(2/1) = 0.5.
  const std::vector<double> s = {1, 1, 0, 0};
  const std::vector<std::string> ids = {"A", "A", "B", "B"};
  const ClusteredMean m = ClusteredMeanOf(s, ids);
  EXPECT_EQ(m.clusters, 2);
  EXPECT_DOUBLE_EQ(*m.se_uncorrected, std::sqrt(2.0) / 4);
  EXPECT_DOUBLE_EQ(*m.mean.se, 0.5);
  EXPECT_DOUBLE_EQ(m.se_iid, 0.25);
  EXPECT_DOUBLE_EQ(*m.design_effect, 4.0);
}

TEST(Cluster, OneItemPerClusterReducesToTheCltSe) {
  const std::vector<double> s = {1, 0, 1, 1, 0, 1, 1, 1};
  std::vector<std::string> ids;
  for (size_t i = 0; i < s.size(); ++i) ids.push_back("item" + std::to_string(i));
  const ClusteredMean m = ClusteredMeanOf(s, ids);
  EXPECT_NEAR(*m.se_uncorrected, m.se_iid, 1e-15);
  EXPECT_NEAR(*m.mean.se, m.se_iid * std::sqrt(8.0 / 7.0), 1e-15);
}

TEST(Cluster, OneClusterSaysTheSeIsUndefined) {
  const std::vector<double> s = {1, 0, 1};
  const std::vector<std::string> ids = {"p", "p", "p"};
  const ClusteredMean m = ClusteredMeanOf(s, ids);
  EXPECT_DOUBLE_EQ(m.mean.value, 2.0 / 3);
  EXPECT_FALSE(m.mean.se.has_value());
  EXPECT_FALSE(m.mean.ci.has_value());
  EXPECT_FALSE(m.se_uncorrected.has_value());
  EXPECT_NE(m.mean.note.find("1 cluster"), std::string::npos) << m.mean.note;
  // Differences built on it carry the reason along.
  const Estimate d = IndependentDifference(m.mean, MakeEstimate(0.5, 0.1, 0.95));
  EXPECT_FALSE(d.se.has_value());
  EXPECT_NE(d.note.find("cluster"), std::string::npos);
}

TEST(Cluster, BadInputIsAnError) {
  const std::vector<double> s = {1, 0};
  const std::vector<std::string> one = {"a"};
  EXPECT_THROW(ClusteredMeanOf(s, one), Error);
  EXPECT_THROW(ClusteredMeanOf({}, {}), Error);
}

TEST(Paired, DifferenceByHand) {
  // d = [1, 0, 0, 1]: mean 0.5, plug-in variance 0.25, SE = sqrt(0.25/4) = 0.25.
  const std::vector<double> a = {1, 1, 0, 1}, b = {0, 1, 0, 0};
  const PairedDifference d = PairedDiff(a, b);
  EXPECT_DOUBLE_EQ(d.mean_a, 0.75);
  EXPECT_DOUBLE_EQ(d.mean_b, 0.25);
  EXPECT_DOUBLE_EQ(d.diff.value, 0.5);
  EXPECT_DOUBLE_EQ(*d.diff.se, 0.25);
  EXPECT_DOUBLE_EQ(d.sd_diff, 0.5);
  EXPECT_THROW(PairedDiff(a, std::vector<double>{1, 0}), Error);
  EXPECT_THROW(PairedDiff({}, {}), Error);
}

TEST(Paired, McNemarByHand) {
  // 0 vs 5 discordant: p = 2·(1/2)^5 = 0.0625, mid-p = 0.0625 − 1/32 = 0.03125.
  const McNemarResult r = McNemarExact(0, 5);
  EXPECT_DOUBLE_EQ(r.p_exact, 0.0625);
  EXPECT_DOUBLE_EQ(r.p_mid, 0.03125);
  // 2 vs 6: P(X ≤ 2) = (1 + 8 + 28)/256 → p = 74/256; mid-p = (74 − 28)/256.
  EXPECT_DOUBLE_EQ(McNemarExact(2, 6).p_exact, 74.0 / 256);
  EXPECT_DOUBLE_EQ(McNemarExact(6, 2).p_mid, 46.0 / 256);
  EXPECT_EQ(McNemarExact(0, 0).p_exact, 1.0);  // no discordant pair
  EXPECT_EQ(McNemarExact(4, 4).p_exact, 1.0);
  const std::vector<double> a = {1, 1, 1, 0}, b = {0, 0, 1, 1};
  EXPECT_EQ(McNemar(a, b).only_a, 2);
  EXPECT_EQ(McNemar(a, b).only_b, 1);
  EXPECT_THROW(McNemar(std::vector<double>{0.5}, std::vector<double>{1}), Error);
}

TEST(PassAtK, ByHand) {
  EXPECT_DOUBLE_EQ(suites::PassAtK(5, 2, 2), 1 - 3.0 / 10);  // 1 − C(3,2)/C(5,2)
  EXPECT_DOUBLE_EQ(suites::PassAtK(5, 2, 1), 0.4);
  EXPECT_EQ(suites::PassAtK(4, 0, 2), 0.0);
  EXPECT_EQ(suites::PassAtK(4, 3, 2), 1.0);  // n − c < k
  // Task values at k = 2: 0.7 and 1 (n − c < k); mean 0.85, SE = sqrt(0.0225/2) = 0.15/sqrt(2).
  const std::vector<TaskSamples> tasks = {{5, 2}, {4, 3}};
  const Estimate e = PassAtK(tasks, 2);
  EXPECT_DOUBLE_EQ(e.value, 0.85);
  EXPECT_NEAR(*e.se, 0.15 / std::sqrt(2.0), 1e-15);
  EXPECT_THROW(PassAtK(tasks, 5), Error);  // a task has only 4 samples
  EXPECT_THROW(PassAtK({}, 1), Error);
  EXPECT_THROW(suites::PassAtK(5, 6, 1), Error);
}

TEST(Power, NoncentralityIsCloseToTheTextbookSum) {
  // z_{0.975} + z_{0.8} = 1.959964 + 0.841621 = 2.801585; the far tail Φ(−z − δ) = Φ(−4.76)
  // ≈ 9.6e-7 of extra power lowers δ by about 9.6e-7/φ(0.84) = 9.6e-7/0.280 ≈ 3.4e-6.
  const double delta = Noncentrality(0.05, 0.8);
  const double textbook = kZ + NormalQuantile(0.8);
  EXPECT_GT(textbook - delta, 3.0e-6);
  EXPECT_LT(textbook - delta, 3.8e-6);
  // And δ gives exactly the requested power with both tails counted.
  EXPECT_NEAR(NormalCdf(delta - kZ) + NormalCdf(-delta - kZ), 0.8, 1e-15);
  // Unpaired at p = 0.5, n = 100 each: se = sqrt(0.25·0.02) = 0.0707107 → MDD ≈ 0.198.
  EXPECT_NEAR(MinimumDetectableDifferenceUnpaired(0.5, 100, 100), delta * std::sqrt(0.005), 1e-15);
  EXPECT_THROW(Noncentrality(0.05, 0.04), Error);  // power below alpha
  EXPECT_THROW(MinimumDetectableDifferencePaired(0.3, 0), Error);
  EXPECT_THROW(MinimumDetectableDifferenceUnpaired(1.2, 10, 10), Error);
}

TEST(Regression, ThreePointsByHand) {
  // x = [1,2,3], y = [1,0,0]: slope −0.5, intercept 4/3, residuals [1/6, −1/3, 1/6], Sxx = 2.
  // HC0 = Σdx²e²/Sxx² = (2/36)/4 = 1/72, HC1 = 3·HC0 = 1/24; leverages [5/6, 1/3, 5/6] give
  // HC3 = (1 + 1)/4 = 1/2; classical s² = (1/6)/1, /Sxx → 1/12.
  const std::vector<double> x = {1, 2, 3}, y = {1, 0, 0};
  const SlopeFit f = OlsSlope(x, y);
  EXPECT_NEAR(f.slope, -0.5, 1e-15);
  EXPECT_NEAR(f.intercept, 4.0 / 3, 1e-15);
  EXPECT_NEAR(*f.slope_hc1.se, std::sqrt(1.0 / 24), 1e-15);
  EXPECT_NEAR(*f.slope_hc3.se, std::sqrt(0.5), 1e-14);
  EXPECT_NEAR(f.se_classical, std::sqrt(1.0 / 12), 1e-15);
}

TEST(Regression, LeverageOneLeavesHc3UndefinedAndBadInputIsAnError) {
  // The only point at x = 1 has leverage 1: HC3 divides 0 by 0.
  const std::vector<double> x = {0, 0, 0, 1}, y = {1, 0, 1, 1};
  const SlopeFit f = OlsSlope(x, y);
  EXPECT_TRUE(f.slope_hc1.se.has_value());
  EXPECT_FALSE(f.slope_hc3.se.has_value());
  EXPECT_FALSE(f.slope_hc3.note.empty());
  EXPECT_THROW(OlsSlope(std::vector<double>{2, 2, 2}, std::vector<double>{1, 0, 1}), Error);
  EXPECT_THROW(OlsSlope(std::vector<double>{1, 2}, std::vector<double>{1, 0}), Error);
  EXPECT_THROW(OlsSlope(std::vector<double>{1, 2, 3}, std::vector<double>{1, 0}), Error);
}

TEST(Gap, DifferenceInDifferencesByHand) {
  // id: small [1,1,0,0], large [1,1,1,0] → d_id = [0,0,−1,0]: mean −0.25, var 0.1875.
  // ood: small [0,0], large [1,0] → d_ood = [−1,0]: mean −0.5, var 0.25.
  // DiD = −0.25 − (−0.5) = 0.25; SE² = 0.1875/4 + 0.25/2 = 0.171875.
  const std::vector<double> sid = {1, 1, 0, 0}, lid = {1, 1, 1, 0}, sood = {0, 0}, lood = {1, 0};
  const GapDifference g = GapDifferenceInDifferences(sid, lid, sood, lood);
  EXPECT_DOUBLE_EQ(g.gap_small.value, 0.5);
  EXPECT_DOUBLE_EQ(g.gap_large.value, 0.25);
  EXPECT_DOUBLE_EQ(g.did.value, 0.25);
  EXPECT_NEAR(*g.did.se, std::sqrt(0.171875), 1e-15);
  // Independent gap of the small model: SE² = 0.25/4 + 0/2.
  EXPECT_DOUBLE_EQ(*g.gap_small.se, 0.25);
  EXPECT_THROW(GapDifferenceInDifferences(sid, lood, sood, lood), Error);  // unpaired lengths
  EXPECT_THROW(AccuracyGap(sid, {}), Error);
}

}  // namespace
}  // namespace gapbench::reports
