// Sampler: greedy is argmax; sampled frequencies match the analytic (filtered) softmax; filters
// keep exactly the tokens their definitions say; same seed, same tokens.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/error.h"

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

}  // namespace
}  // namespace gapbench::engine
