// The seeded paired bootstrap: the same seed gives the same answer, its interval and p-value
// agree with the analytic paired statistics within Monte Carlo error, and degenerate inputs
// give the limiting answers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "common/error.h"
#include "reports/paired.h"
#include "reports/stats.h"

namespace gapbench::reports {
namespace {

// 400 items, a right 70%, b disagreeing with a on ~20% of items, drawn from a fixed LCG so the
// data (not the bootstrap) is the same everywhere.
void MakeData(std::vector<double>* a, std::vector<double>* b) {
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < 400; ++i) {
    const double x = next() < 0.7 ? 1 : 0;
    const double flip = next() < 0.2 ? 1 : 0;
    // Flips towards b-wrong twice as often, so a is ahead by a few points.
    const double y = flip ? (x == 1 ? (next() < 0.67 ? 0 : 1) : 1) : x;
    a->push_back(x);
    b->push_back(y);
  }
}

TEST(PairedBootstrap, EngineIsTheStandardMt19937_64) {
  // The C++ standard fixes the 10000th output of a default-seeded mt19937_64; the bootstrap's
  // reproducibility across platforms rests on it (and on our own index mapping).
  std::mt19937_64 rng;
  rng.discard(9999);
  EXPECT_EQ(rng(), 9981545732273789042ULL);
}

TEST(PairedBootstrap, SameSeedSameAnswerOtherSeedOtherAnswer) {
  std::vector<double> a, b;
  MakeData(&a, &b);
  const PairedBootstrapResult r1 = PairedBootstrap(a, b, {.resamples = 2000, .seed = 7});
  const PairedBootstrapResult r2 = PairedBootstrap(a, b, {.resamples = 2000, .seed = 7});
  const PairedBootstrapResult r3 = PairedBootstrap(a, b, {.resamples = 2000, .seed = 8});
  EXPECT_EQ(r1.ci.lo, r2.ci.lo);
  EXPECT_EQ(r1.ci.hi, r2.ci.hi);
  EXPECT_EQ(r1.p_value, r2.p_value);
  EXPECT_TRUE(r1.ci.lo != r3.ci.lo || r1.ci.hi != r3.ci.hi || r1.p_value != r3.p_value);
}

TEST(PairedBootstrap, AgreesWithTheAnalyticPairedInterval) {
  std::vector<double> a, b;
  MakeData(&a, &b);
  const PairedDifference d = PairedDiff(a, b);
  const PairedBootstrapResult r = PairedBootstrap(a, b, {.resamples = 10000, .seed = 1});
  EXPECT_EQ(r.diff, d.diff.value);
  ASSERT_GT(d.diff.value, 0);
  // The percentile interval of a mean of 400 items is close to normal: endpoints within 15% of
  // the SE (Monte Carlo error of a 2.5% quantile at R = 10^4 is ~3% of the SE).
  EXPECT_NEAR(r.ci.lo, d.diff.ci->lo, 0.15 * *d.diff.se);
  EXPECT_NEAR(r.ci.hi, d.diff.ci->hi, 0.15 * *d.diff.se);
  // Two-sided p from the normal approximation; the bootstrap p carries MC error
  // sqrt(p(1 − p)/R) ≤ 0.005 and a small skew, hence 0.02.
  const double z = d.diff.value / *d.diff.se;
  const double p_normal = 2 * NormalCdf(-std::abs(z));
  EXPECT_NEAR(r.p_value, p_normal, 0.02) << "z = " << z;
}

TEST(PairedBootstrap, DegenerateInputs) {
  const std::vector<double> same = {1, 0, 1, 1, 0};
  const PairedBootstrapResult none = PairedBootstrap(same, same, {.resamples = 500});
  EXPECT_EQ(none.diff, 0.0);
  EXPECT_EQ(none.p_value, 1.0);  // every resample is "at least as extreme" as 0
  // Every resample is 0: instead of the zero-width percentile interval [0, 0], the all-equal
  // bound ±u, u = z²/(n + z²) (docs/STATISTICS.md).
  const double z2 = 1.959963984540054 * 1.959963984540054;
  EXPECT_EQ(none.ci_method, kCiBound);
  EXPECT_NEAR(none.ci.lo, -z2 / (5 + z2), 1e-15);
  EXPECT_NEAR(none.ci.hi, z2 / (5 + z2), 1e-15);
  // a always right, b always wrong: every resample is exactly 1, the smallest p is 1/(R + 1).
  const std::vector<double> ones(30, 1.0), zeros(30, 0.0);
  const PairedBootstrapResult all = PairedBootstrap(ones, zeros, {.resamples = 999});
  EXPECT_EQ(all.p_value, 1.0 / 1000);
  EXPECT_NEAR(all.ci.lo, 1 - 2 * z2 / (30 + z2), 1e-15);
  EXPECT_EQ(all.ci.hi, 1.0);
  EXPECT_THROW(PairedBootstrap({}, {}), Error);
  EXPECT_THROW(PairedBootstrap(same, same, {.resamples = 0}), Error);
  EXPECT_THROW(PairedBootstrap(same, ones), Error);
}

}  // namespace
}  // namespace gapbench::reports
