// Sampler: greedy is argmax; sampled frequencies match the analytic (filtered) softmax; filters
// keep exactly the tokens their definitions say; same seed, same tokens.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/error.h"
#include "tests/engine/chi_square.h"

namespace gapbench::engine {
namespace {

std::vector<float> LogitsOf(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

std::vector<double> Frequencies(const SamplingParams& p, const std::vector<float>& logits, int n) {
  Sampler s(p);
  std::vector<double> f(logits.size(), 0.0);
  for (int i = 0; i < n; ++i) f[static_cast<size_t>(s.Sample(logits, {}))] += 1.0 / n;
  return f;
}

TEST(Sampler, GreedyIsArgmaxWithLowestIdOnTies) {
  SamplingParams p;
  Sampler s(p);
  EXPECT_EQ(s.Sample(std::vector<float>{0.1f, 3.0f, -2.0f, 3.0f}, {}), 1);
  EXPECT_EQ(Argmax(std::vector<float>{-1.0f, -1.0f}), 0);
}

TEST(Sampler, TemperatureOneMatchesSoftmax) {
  const std::vector<double> probs = {0.5, 0.3, 0.15, 0.05};
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 7;
  const auto f = Frequencies(p, LogitsOf(probs), 40000);
  // Binomial sd at n=40000 is at most 0.0025; 0.012 is ~5 sd.
  for (size_t i = 0; i < probs.size(); ++i) EXPECT_NEAR(f[i], probs[i], 0.012) << i;
}

TEST(Sampler, TemperatureSharpens) {
  // At T = 0.5 the probabilities are proportional to p^2.
  const std::vector<double> probs = {0.6, 0.4};
  SamplingParams p;
  p.temperature = 0.5f;
  p.seed = 3;
  const auto f = Frequencies(p, LogitsOf(probs), 40000);
  EXPECT_NEAR(f[0], 0.36 / 0.52, 0.012);
}

TEST(Sampler, TopKTopPMinPKeepTheRightTokens) {
  const std::vector<double> probs = {0.5, 0.3, 0.15, 0.05};
  const auto logits = LogitsOf(probs);
  SamplingParams p;
  p.temperature = 1.0f;
  p.seed = 11;
  p.top_k = 2;  // tokens 0 and 1, renormalised: 0.625 / 0.375
  auto f = Frequencies(p, logits, 40000);
  EXPECT_NEAR(f[0], 0.625, 0.012);
  EXPECT_EQ(f[2] + f[3], 0.0);

  p.top_k = 0;
  p.top_p = 0.85f;  // cumulative 0.5, 0.8, 0.95 >= 0.85: tokens 0..2
  f = Frequencies(p, logits, 40000);
  EXPECT_EQ(f[3], 0.0);
  EXPECT_NEAR(f[2], 0.15 / 0.95, 0.012);

  p.top_p = 1.0f;
  p.min_p = 0.5f;  // keep p >= 0.25: tokens 0 and 1
  f = Frequencies(p, logits, 40000);
  EXPECT_EQ(f[2] + f[3], 0.0);
  EXPECT_NEAR(f[1], 0.375, 0.012);
}

TEST(Sampler, RepetitionPenaltyDemotesSeenTokens) {
  SamplingParams p;
  p.repeat_penalty = 2.0f;
  Sampler s(p);
  const std::vector<int32_t> history = {0};
  EXPECT_EQ(s.Sample(std::vector<float>{1.0f, 0.9f}, history), 1);    // 1/2 < 0.9
  EXPECT_EQ(s.Sample(std::vector<float>{-1.0f, -1.5f}, history), 1);  // -2 < -1.5
}

TEST(Sampler, SameSeedSameTokens) {
  const auto logits = LogitsOf({0.25, 0.25, 0.25, 0.25});
  SamplingParams p;
  p.temperature = 0.8f;
  p.seed = 42;
  Sampler a(p), b(p);
  p.seed = 43;
  Sampler c(p);
  int differ = 0;
  for (int i = 0; i < 200; ++i) {
    const int32_t x = a.Sample(logits, {});
    EXPECT_EQ(x, b.Sample(logits, {}));
    differ += x != c.Sample(logits, {});
  }
  EXPECT_GT(differ, 50);
}

TEST(Sampler, RejectsBadParameters) {
  SamplingParams p;
  p.temperature = -1.0f;
  EXPECT_THROW(ValidateSampling(p), Error);
  p = {};
  p.top_p = 0.0f;
  EXPECT_THROW(ValidateSampling(p), Error);
  p = {};
  p.min_p = 1.5f;
  EXPECT_THROW(ValidateSampling(p), Error);
}

// SamplingDistribution is what Sample draws from (speculative decoding relies on it): zero
// exactly where Sample never goes, and Sample's frequencies fit it (chi-square, false-failure
// rate 1e-6, fixed seed); greedy is one-hot at the argmax.
TEST(Sampler, SamplingDistributionIsWhatSampleDrawsFrom) {
  const std::vector<float> logits = {1.2f, -0.3f, 2.5f, 0.7f, 2.5f, -1.0f, 0.1f, 1.9f, 0.4f, -2.0f};
  const std::vector<int32_t> history = {7, 7, 3};
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_k = 7;
  p.top_p = 0.93f;
  p.min_p = 0.05f;
  p.repeat_penalty = 1.4f;
  p.seed = 5;
  const std::vector<double> dist = SamplingDistribution(p, logits, history);
  ASSERT_EQ(dist.size(), logits.size());
  double sum = 0.0;
  int64_t support = 0;
  for (double d : dist) {
    sum += d;
    support += d > 0.0;
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_GT(support, 2);
  EXPECT_LT(support, 7);  // top-p cut below top-k
  Sampler s(p);
  std::vector<int64_t> counts(logits.size(), 0);
  for (int i = 0; i < 50000; ++i) ++counts[static_cast<size_t>(s.Sample(logits, history))];
  const auto chi = testing::ChiSquareTest(counts, dist);
  EXPECT_EQ(chi.outside, 0);
  EXPECT_GT(chi.p_value, 1e-6) << chi.statistic << " on " << chi.dof;

  SamplingParams g;  // greedy
  const std::vector<double> one = SamplingDistribution(g, logits, {});
  EXPECT_EQ(one[2], 1.0);  // 2.5 at ids 2 and 4: the lowest id
  EXPECT_EQ(std::count(one.begin(), one.end(), 0.0), static_cast<long>(logits.size()) - 1);
}

// The chi-square helper itself, at textbook quantiles.
TEST(Sampler, ChiSquareHelperMatchesTables) {
  EXPECT_NEAR(testing::UpperGammaQ(0.5, 3.841 / 2), 0.05, 1e-4);             // 1 dof
  EXPECT_NEAR(testing::UpperGammaQ(5.0, 18.307 / 2), 0.05, 1e-4);            // 10 dof
  EXPECT_NEAR(testing::UpperGammaQ(50.0, 149.449 / 2), 0.001, 2e-5);         // 100 dof
  EXPECT_NEAR(testing::UpperGammaQ(2.0, 1.0), 2.0 * std::exp(-1.0), 1e-12);  // 4 dof, x = 2
}

}  // namespace
}  // namespace gapbench::engine
