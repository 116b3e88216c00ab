// Routing metrics (reports/route_metrics.h) against hand-computed small cases and against an
// independent, straightforward computation (fractional escalation in signal order, a fine scan
// for CPT) on random data.
#include "reports/route_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "suites/record.h"

namespace gapbench::reports {
namespace {

// signal, small, large.
const std::vector<RouteItem> kFour = {
    {0.1, 0, 1, false}, {0.2, 0, 1, false}, {0.3, 1, 1, false}, {0.4, 1, 0, false}};

TEST(RouteMetrics, HandComputedCurve) {
  // q_small = 0.5, q_large = 0.75. Escalating A then B then C then D (signal order):
  // quality 0.5, 0.75, 1, 1, 0.75 -> PGR 0, 1, 2, 2, 1.
  const auto curve = RouteCurve(kFour);
  ASSERT_EQ(curve.size(), 5u);
  const double shares[] = {0, 0.25, 0.5, 0.75, 1};
  const double quality[] = {0.5, 0.75, 1, 1, 0.75};
  const double pgr[] = {0, 1, 2, 2, 1};
  const double thresholds[] = {0.1, 0.2, 0.3, 0.4};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(curve[i].call_share, shares[i]) << i;
    EXPECT_DOUBLE_EQ(curve[i].quality, quality[i]) << i;
    ASSERT_TRUE(curve[i].pgr);
    EXPECT_DOUBLE_EQ(*curve[i].pgr, pgr[i]) << i;
    if (i < 4) {
      EXPECT_DOUBLE_EQ(curve[i].threshold, thresholds[i]) << i;
    }
  }
  EXPECT_TRUE(std::isinf(curve[4].threshold));
  // APGR: PGR at 10%..100% = .4 .8 1.2 1.6 2 2 2 1.8 1.4 1 -> 14.2 / 10.
  EXPECT_NEAR(*Apgr(curve), 1.42, 1e-12);
  // CPT: PGR climbs 0 -> 1 over shares 0 -> 0.25.
  EXPECT_NEAR(*Cpt(curve, 0.5), 0.125, 1e-12);
  EXPECT_NEAR(*Cpt(curve, 0.8), 0.2, 1e-12);
  EXPECT_NEAR(*Cpt(curve, 0.95), 0.2375, 1e-12);
  // A threshold between B and C escalates A and B.
  const RoutePoint at = RouteAt(kFour, 0.25);
  EXPECT_DOUBLE_EQ(at.call_share, 0.5);
  EXPECT_DOUBLE_EQ(at.quality, 1.0);
  EXPECT_DOUBLE_EQ(*at.pgr, 2.0);
  // The run's own decisions: A and D escalated -> scores 1, 0, 1, 0.
  auto decided = kFour;
  decided[0].escalated = decided[3].escalated = true;
  const RoutePoint run = RouteAsRun(decided);
  EXPECT_DOUBLE_EQ(run.call_share, 0.5);
  EXPECT_DOUBLE_EQ(run.quality, 0.5);
  EXPECT_DOUBLE_EQ(*run.pgr, 0.0);
  // Oracle: gains 1, 1, 0, -1, best first.
  const auto oracle = OracleCurve(kFour);
  ASSERT_EQ(oracle.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(oracle[i].quality, quality[i]) << i;
}

TEST(RouteMetrics, TiedSignalsFormOnePoint) {
  // Two items share signal 0.5: no threshold separates them.
  const std::vector<RouteItem> items = {{0.5, 0, 1, false}, {0.5, 1, 0, false}, {0.2, 0, 1, false}};
  const auto curve = RouteCurve(items);
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_DOUBLE_EQ(curve[0].call_share, 0.0);
  EXPECT_DOUBLE_EQ(curve[1].call_share, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(curve[1].quality, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(curve[2].call_share, 1.0);
  EXPECT_DOUBLE_EQ(*curve[1].pgr, 1.0);
  EXPECT_DOUBLE_EQ(*Cpt(curve, 0.5), 1.0 / 6.0);
}

TEST(RouteMetrics, EqualMembersHaveNoPgr) {
  const std::vector<RouteItem> items = {{0.1, 1, 0, false}, {0.2, 0, 1, false}};
  const auto m = ComputeRouteMetrics(items);
  EXPECT_FALSE(m.apgr.value);
  EXPECT_FALSE(m.cpt80.value);
  EXPECT_FALSE(m.pgr_at_threshold.value);
  EXPECT_DOUBLE_EQ(m.oracle_quality, 1.0);
  EXPECT_THROW(ComputeRouteMetrics({}), std::exception);
}

// Quality when a share c of the items, lowest signal first, goes to the large model: with
// distinct signals, item i (0-based, in signal order) is escalated with weight clamp(c n - i).
double FractionalQuality(std::vector<RouteItem> items, double c) {
  std::sort(items.begin(), items.end(),
            [](const RouteItem& a, const RouteItem& b) { return a.signal < b.signal; });
  const double n = static_cast<double>(items.size());
  double q = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const double w = std::clamp(c * n - static_cast<double>(i), 0.0, 1.0);
    q += w * items[i].large + (1 - w) * items[i].small;
  }
  return q / n;
}

TEST(RouteMetrics, AgreesWithAnIndependentComputationOnRandomData) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<RouteItem> items(40);
    for (auto& it : items) {
      it.signal = u(rng);  // distinct with probability 1
      it.small = u(rng) < 0.4 ? 1 : 0;
      it.large = u(rng) < 0.7 ? 1 : 0;
    }
    const double qs = FractionalQuality(items, 0), ql = FractionalQuality(items, 1);
    if (qs == ql) continue;
    auto pgr = [&](double c) { return (FractionalQuality(items, c) - qs) / (ql - qs); };
    const auto curve = RouteCurve(items);
    double apgr = 0;
    for (int i = 1; i <= 10; ++i) apgr += pgr(i / 10.0) / 10;
    EXPECT_NEAR(*Apgr(curve), apgr, 1e-9) << trial;
    for (double target : {0.5, 0.8, 0.95}) {
      double cpt = 1;
      for (int k = 0; k <= 10000; ++k) {
        if (pgr(k / 10000.0) >= target - 1e-12) {
          cpt = k / 10000.0;
          break;
        }
      }
      EXPECT_NEAR(*Cpt(curve, target), cpt, 1.5e-4) << trial << " target " << target;
    }
    // Every threshold of the curve agrees with routing item by item.
    for (const auto& p : curve) {
      const RoutePoint direct = RouteAt(items, p.threshold);
      EXPECT_DOUBLE_EQ(direct.quality, p.quality);
      EXPECT_DOUBLE_EQ(direct.call_share, p.call_share);
    }
  }
}

TEST(RouteMetrics, BootstrapIntervalsAreSeededAndCoverTheEstimate) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<RouteItem> items(200);
  for (auto& it : items) {
    it.signal = u(rng);
    // A useful signal: the small model is right more often when it is confident.
    it.small = u(rng) < it.signal ? 1 : 0;
    it.large = u(rng) < 0.8 ? 1 : 0;
  }
  for (auto& it : items) it.escalated = it.signal < 0.5;
  RouteMetricsOptions o;
  o.resamples = 300;
  const auto a = ComputeRouteMetrics(items, o);
  const auto b = ComputeRouteMetrics(items, o);
  ASSERT_TRUE(a.apgr.ci && a.cpt80.ci && a.pgr_at_threshold.ci && a.oracle_apgr.ci);
  EXPECT_EQ(a.apgr.ci->lo, b.apgr.ci->lo);
  EXPECT_EQ(a.cpt80.ci->hi, b.cpt80.ci->hi);
  for (const RouteValue* v : {&a.apgr, &a.cpt50, &a.cpt80, &a.cpt95, &a.pgr_at_threshold}) {
    EXPECT_LE(v->ci->lo, *v->value);
    EXPECT_GE(v->ci->hi, *v->value);
    EXPECT_LT(v->ci->lo, v->ci->hi);
  }
  // A signal that predicts the small model's errors beats the random router (APGR 0.55); the
  // oracle is at least as good as any router.
  EXPECT_GT(*a.apgr.value, 0.55);
  EXPECT_GE(*a.oracle_apgr.value, *a.apgr.value);
  EXPECT_GE(a.oracle_quality, std::max(a.small_quality, a.large_quality));
}

// A NaN signal (NaN logits) is written as null; the record must still load (a report over the
// run would otherwise fail on it) and the item counts as unscored, off the curve (review finding).
TEST(RouteMetrics, NonFiniteSignalRoundTripsAndIsUnscored) {
  suites::ItemRecord r;
  r.item_id = "x";
  suites::RouteRecord route;
  route.signal = "mean_logprob";
  route.value = std::numeric_limits<double>::quiet_NaN();
  route.threshold = -1.0;
  route.small.correct = true;
  route.large.correct = false;
  r.route = route;
  const suites::ItemRecord back = suites::ItemRecordFromJson(
      suites::ItemRecordToJson(r, suites::RecordTiming::kOmit), "nan-record");
  ASSERT_TRUE(back.route);
  EXPECT_TRUE(std::isnan(back.route->value));
  EXPECT_FALSE(RouteItemOf(back).has_value());
  route.value = -0.5;
  r.route = route;
  EXPECT_TRUE(RouteItemOf(r).has_value());
}

}  // namespace
}  // namespace gapbench::reports
