// engine/perplexity.h: the statistics against hand-computed numbers, EvaluatePerplexity against
// perplexities computed here from the transformers reference logits of the fixture models, and
// the quality ordering of weight settings (q4_0 > q8_0 > identical = 0 in KL divergence).
#include "engine/perplexity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "engine/random_model.h"
#include "tests/engine/fixture_util.h"

namespace gapbench::engine {
namespace {

// ---- statistics on hand-computed numbers ----

TEST(PerplexityStats, MeanPerplexityAndDeltaMethodSe) {
  PerplexityStats s;
  for (double nll : {1.0, 2.0, 3.0, 4.0}) s.Add(nll);
  EXPECT_EQ(s.count(), 4);
  EXPECT_DOUBLE_EQ(s.MeanNll(), 2.5);
  // Population variance 1.25; SE = sqrt(1.25 / 3) = 0.6454972243679028.
  EXPECT_NEAR(s.MeanNllSe(), 0.6454972243679028, 1e-15);
  EXPECT_NEAR(s.Perplexity(), 12.182493960703473, 1e-12);  // e^2.5
  EXPECT_NEAR(s.PerplexitySe(), 12.182493960703473 * 0.6454972243679028, 1e-12);
}

TEST(PerplexityStats, SingleValueHasNoSpread) {
  PerplexityStats s;
  s.Add(0.7);
  EXPECT_DOUBLE_EQ(s.Perplexity(), std::exp(0.7));
  EXPECT_EQ(s.MeanNllSe(), 0.0);
}

TEST(CompareLogits, TwoTokenDistributions) {
  // P = (1/2, 1/2); Q = (1/4, 3/4) from logits (0, ln 3).
  // KL(P||Q) = 1/2 ln(1/2 / 1/4) + 1/2 ln(1/2 / 3/4) = 1/2 ln(4/3) = 0.14384103622589045.
  const std::vector<float> base = {0.0f, 0.0f};
  const std::vector<float> test = {0.0f, static_cast<float>(std::log(3.0))};
  const TokenComparison c = CompareLogits(base, test, 1);
  EXPECT_NEAR(c.kld, 0.14384103622589045, 1e-7);       // ln 3 rounded to float: ~1e-8
  EXPECT_NEAR(c.nll_base, 0.6931471805599453, 1e-12);  // -ln 1/2
  EXPECT_NEAR(c.nll_test, 0.2876820724517809, 1e-7);   // -ln 3/4
  EXPECT_FALSE(c.same_top1);                           // base ties -> index 0; test -> index 1
  // The other direction is a different number: KL is not symmetric.
  // KL(Q||P) = 1/4 ln(1/2) + 3/4 ln(3/2) = 0.13081203594113694.
  EXPECT_NEAR(CompareLogits(test, base, 0).kld, 0.13081203594113694, 1e-7);
}

TEST(CompareLogits, ThreeTokensShiftInvariantAndIdenticalIsExactlyZero) {
  // P = softmax(1, 2, 3), Q = softmax(3, 2, 1) computed by hand from e-powers.
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const double p[3] = {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z};
  const double kl = p[0] * std::log(p[0] / p[2]) + p[2] * std::log(p[2] / p[0]);  // middle: 0
  const std::vector<float> a = {1, 2, 3}, b = {103, 102, 101};  // +100: same distribution
  EXPECT_NEAR(CompareLogits(a, b, 2).kld, kl, 1e-12);
  EXPECT_NEAR(kl, 2 * (p[2] - p[0]), 1e-15);  // ln(p2/p0) = 2 exactly, a check on `kl` itself
  const TokenComparison same = CompareLogits(a, a, 0);
  EXPECT_EQ(same.kld, 0.0);
  EXPECT_EQ(same.nll_base, same.nll_test);
  EXPECT_TRUE(same.same_top1);
}

TEST(KldStats, PercentilesAgreementAndPairedRatio) {
  KldStats k;
  // kld, nll_base, nll_test, same_top1
  const TokenComparison rows[] = {{0.5, 1.0, 1.5, true},
                                  {0.1, 2.0, 2.1, false},
                                  {0.4, 3.0, 2.9, true},
                                  {0.2, 1.0, 1.2, true},
                                  {0.3, 2.0, 2.3, false}};
  for (const auto& r : rows) k.Add(r);
  EXPECT_EQ(k.count(), 5);
  EXPECT_NEAR(k.KldMean(), 0.3, 1e-15);
  // Population variance of {.5,.1,.4,.2,.3} = 0.02; SE = sqrt(0.02 / 4).
  EXPECT_NEAR(k.KldSe(), std::sqrt(0.005), 1e-15);
  EXPECT_NEAR(k.KldMedian(), 0.3, 1e-15);
  EXPECT_NEAR(k.KldMax(), 0.5, 1e-15);
  EXPECT_NEAR(k.KldPercentile(0.0), 0.1, 1e-15);
  EXPECT_NEAR(k.KldPercentile(0.25), 0.2, 1e-15);
  // Rank 0.99 * 4 = 3.96: 0.4 + 0.96 * (0.5 - 0.4) = 0.496 (numpy.percentile(v, 99)).
  EXPECT_NEAR(k.KldPercentile(0.99), 0.496, 1e-15);
  EXPECT_NEAR(k.Top1Agreement(), 0.6, 1e-15);
  EXPECT_NEAR(k.Top1AgreementSe(), std::sqrt(0.6 * 0.4 / 4), 1e-15);
  // Differences {.5, .1, -.1, .2, .3}: mean 0.2, population variance 0.04, SE sqrt(0.04/4) = 0.1.
  EXPECT_NEAR(k.LnPplRatio(), 0.2, 1e-15);
  EXPECT_NEAR(k.LnPplRatioSe(), 0.1, 1e-15);
  EXPECT_NEAR(k.LnPplRatio(), std::log(k.test().Perplexity() / k.base().Perplexity()), 1e-14);
  // Pairing matters: the unpaired SE of the two means would be much larger than 0.1.
  EXPECT_GT(std::hypot(k.test().MeanNllSe(), k.base().MeanNllSe()), 3 * k.LnPplRatioSe());
}

TEST(KldStats, EvenCountMedianInterpolates) {
  KldStats k;
  for (double v : {4.0, 1.0, 3.0, 2.0}) k.Add({v, 0, 0, true});
  EXPECT_DOUBLE_EQ(k.KldMedian(), 2.5);
  EXPECT_EQ(k.Top1Agreement(), 1.0);
  EXPECT_EQ(k.Top1AgreementSe(), 0.0);
}

// ---- EvaluatePerplexity against the transformers reference ----

// Mean over rows first..n-2 of -log_softmax(row)[tokens[row+1]], in long double, from the
// reference logits: llama.cpp's second-half scoring written out independently.
double ReferenceMeanNll(const testing::LogitsSequence& seq, int64_t n_vocab, int64_t* n_scored) {
  const int64_t n = seq.n_pos();
  long double total = 0;
  *n_scored = 0;
  for (int64_t row = n / 2; row <= n - 2; ++row) {
    const float* z = seq.Row(row, n_vocab);
    long double mx = z[0], sum = 0;
    for (int64_t v = 0; v < n_vocab; ++v) mx = std::max<long double>(mx, z[v]);
    for (int64_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<long double>(z[v]) - mx);
    total += std::log(sum) + mx - z[seq.tokens[static_cast<size_t>(row + 1)]];
    ++*n_scored;
  }
  return static_cast<double>(total / static_cast<long double>(*n_scored));
}

double MaxAbsLogit(const testing::LogitsSequence& seq) {
  double m = 0;
  for (float v : seq.logits) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m;
}

class PerplexityFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(PerplexityFixture, OneChunkMatchesTransformersNll) {
  const auto f = testing::LoadLogitsFixture(GetParam());
  EngineConfig cfg;
  cfg.kv_cache = kernels::GgmlType::kF32;  // the engine's best, as the forward tests compare
  auto model = Model::Load(f.gguf_path, cfg);
  for (const auto& seq : f.sequences) {
    if (seq.n_pos() < 4) continue;
    int64_t n_scored = 0;
    const double ref = ReferenceMeanNll(seq, f.n_vocab, &n_scored);
    PerplexityOptions opts;
    opts.n_ctx = seq.n_pos();
    const PerplexityResult r = EvaluatePerplexity(*model, seq.tokens, opts);
    EXPECT_EQ(r.n_chunks, 1);
    EXPECT_EQ(r.tokens_scored(), n_scored);
    EXPECT_EQ(r.tokens_scored(), seq.n_pos() - 1 - seq.n_pos() / 2);
    // The forward tests bound each logit by 1e-3 of the largest |logit|, which would allow
    // 2e-3 x scale (~1e-2) here; f32 weights and KV measured <= 7.4e-7, so 1e-4 (a row or target
    // off by one moves the mean NLL by ~0.1 or more).
    const double bound = std::min(1e-4, 2e-3 * MaxAbsLogit(seq));
    EXPECT_NEAR(r.test.MeanNll(), ref, bound) << f.name << " seq of " << seq.n_pos();
    EXPECT_NEAR(std::log(r.test.Perplexity()), ref, bound);
    std::printf("%s seq %lld: PPL %.6f, reference %.6f (|d ln PPL| %.2e, bound %.1e)\n",
                f.name.c_str(), static_cast<long long>(seq.n_pos()), r.test.Perplexity(),
                std::exp(ref), std::fabs(r.test.MeanNll() - ref), bound);
  }
}

TEST_P(PerplexityFixture, ChunksAreIndependentAndTrailingTokensDropped) {
  const auto f = testing::LoadLogitsFixture(GetParam());
  const auto& seq = f.sequences.back();
  EngineConfig cfg;
  cfg.kv_cache = kernels::GgmlType::kF32;
  auto model = Model::Load(f.gguf_path, cfg);
  // The same sequence three times plus 5 extra tokens: 3 chunks, each scored from an empty cache,
  // so each matches the reference of the sequence alone.
  std::vector<int32_t> tokens;
  for (int rep = 0; rep < 3; ++rep)
    tokens.insert(tokens.end(), seq.tokens.begin(), seq.tokens.end());
  tokens.insert(tokens.end(), seq.tokens.begin(), seq.tokens.begin() + 5);
  PerplexityOptions opts;
  opts.n_ctx = seq.n_pos();
  int64_t n_scored = 0;
  const double ref = ReferenceMeanNll(seq, f.n_vocab, &n_scored);
  const PerplexityResult r = EvaluatePerplexity(*model, tokens, opts);
  EXPECT_EQ(r.n_chunks, 3);
  EXPECT_EQ(r.tokens_scored(), 3 * n_scored);
  EXPECT_NEAR(r.test.MeanNll(), ref, 1e-4);
  opts.max_chunks = 2;
  EXPECT_EQ(EvaluatePerplexity(*model, tokens, opts).n_chunks, 2);
}

TEST_P(PerplexityFixture, BosReplacesTheFirstTokenOfEachChunk) {
  const auto f = testing::LoadLogitsFixture(GetParam());
  const auto& seq = f.sequences.back();
  auto model = Model::Load(f.gguf_path);
  const int32_t bos = 0;
  ASSERT_NE(seq.tokens[0], bos);
  std::vector<int32_t> tokens = seq.tokens;
  tokens.insert(tokens.end(), seq.tokens.begin(), seq.tokens.end());
  std::vector<int32_t> with_bos = tokens;
  with_bos[0] = with_bos[seq.tokens.size()] = bos;
  PerplexityOptions opts;
  opts.n_ctx = seq.n_pos();
  const double plain = EvaluatePerplexity(*model, tokens, opts).test.MeanNll();
  const double explicit_bos = EvaluatePerplexity(*model, with_bos, opts).test.MeanNll();
  opts.bos = bos;
  const double replaced = EvaluatePerplexity(*model, tokens, opts).test.MeanNll();
  EXPECT_EQ(replaced, explicit_bos);
  EXPECT_NE(replaced, plain);  // the first token conditions every scored position
}

// ---- quality ordering of weight settings ----

std::vector<int32_t> TextTokens(const Model& model) {
  const std::string text =
      testing::ReadFile(testing::SourceDir() / "tests" / "fixtures" / "text" / "lighthouse.txt");
  return model.tokenizer().Encode(text, true);
}

PerplexityResult Compare(const std::string& path, const std::string& test_json,
                         const std::string& base_json, std::span<const int32_t> tokens) {
  auto base = Model::Load(path, EngineConfig::FromJson(base_json, "base"));
  auto test = Model::Load(path, EngineConfig::FromJson(test_json, "test"));
  PerplexityOptions opts;
  opts.n_ctx = 64;
  opts.max_chunks = 6;
  return EvaluatePerplexity(*test, tokens, opts, base.get());
}

TEST_P(PerplexityFixture, KldOrdersWeightTypes) {
  const auto f = testing::LoadLogitsFixture(GetParam());
  auto native = Model::Load(f.gguf_path);
  const std::vector<int32_t> tokens = TextTokens(*native);
  ASSERT_GE(tokens.size(), 6u * 64u);
  const auto q8 = Compare(f.gguf_path, R"({"weights": "q8_0"})", "{}", tokens);
  const auto q4 = Compare(f.gguf_path, R"({"weights": "q4_0"})", "{}", tokens);
  ASSERT_TRUE(q8.compare && q4.compare);
  EXPECT_EQ(q8.tokens_scored(), 6 * (64 - 1 - 32));
  EXPECT_GT(q8.compare->KldMean(), 0.0);
  EXPECT_GT(q4.compare->KldMean(), q8.compare->KldMean());
  EXPECT_GT(q4.compare->KldPercentile(0.99), q8.compare->KldPercentile(0.99));
  EXPECT_LE(q4.compare->Top1Agreement(), q8.compare->Top1Agreement());
  // The base perplexity is that of a base-only run; the test one that of a test-only run.
  PerplexityOptions opts;
  opts.n_ctx = 64;
  opts.max_chunks = 6;
  EXPECT_EQ(q8.compare->base().MeanNll(), EvaluatePerplexity(*native, tokens, opts).test.MeanNll());
  EXPECT_EQ(q8.compare->test().MeanNll(), q8.test.MeanNll());
  std::printf("%s: KLD q8_0 %.6f +/- %.6f (top1 %.3f), q4_0 %.6f +/- %.6f (top1 %.3f)\n",
              f.name.c_str(), q8.compare->KldMean(), q8.compare->KldSe(),
              q8.compare->Top1Agreement(), q4.compare->KldMean(), q4.compare->KldSe(),
              q4.compare->Top1Agreement());
}

TEST_P(PerplexityFixture, IdenticalSettingsGiveExactlyZero) {
  const auto f = testing::LoadLogitsFixture(GetParam());
  auto native = Model::Load(f.gguf_path);
  const std::vector<int32_t> tokens = TextTokens(*native);
  for (const char* cfg : {"{}", R"({"weights": "q4_0", "kv_cache": "f32"})"}) {
    const auto r = Compare(f.gguf_path, cfg, cfg, tokens);
    ASSERT_TRUE(r.compare);
    EXPECT_EQ(r.compare->KldMean(), 0.0) << cfg;
    EXPECT_EQ(r.compare->KldMax(), 0.0) << cfg;
    EXPECT_EQ(r.compare->Top1Agreement(), 1.0) << cfg;
    EXPECT_EQ(r.compare->LnPplRatio(), 0.0) << cfg;
    EXPECT_EQ(r.compare->LnPplRatioSe(), 0.0) << cfg;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PerplexityFixture,
                         ::testing::Values("llama-untied-f32", "qwen2-untied-f32"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// ---- errors ----

TEST(EvaluatePerplexity, RejectsTooFewTokensSmallContextAndVocabMismatch) {
  const auto f = testing::LoadLogitsFixture("llama-untied-f32");
  auto model = Model::Load(f.gguf_path);
  const std::vector<int32_t> tokens = f.sequences.back().tokens;  // 12 tokens
  PerplexityOptions opts;
  opts.n_ctx = 16;
  try {
    EvaluatePerplexity(*model, tokens, opts);
    ADD_FAILURE() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("12 tokens"), std::string::npos) << e.what();
  }
  opts.n_ctx = 3;
  EXPECT_THROW(EvaluatePerplexity(*model, tokens, opts), Error);
  // A base model with another vocabulary (the random "tiny" preset has 512 tokens, not 320).
  testing::TempDir dir;
  RandomModelOptions ro;
  ro.preset = *FindPreset("tiny");
  WriteRandomModel(ro, (dir / "tiny.gguf").string());
  auto other = Model::Load((dir / "tiny.gguf").string());
  ASSERT_NE(other->hparams().n_vocab, model->hparams().n_vocab);
  opts.n_ctx = 6;
  EXPECT_THROW(EvaluatePerplexity(*model, tokens, opts, other.get()), Error);
}

}  // namespace
}  // namespace gapbench::engine
