// The one context rule (engine::ContextFor): the training context unless the configuration or the
// session says otherwise; the KV cache grows with use (so holding a long training context costs
// only what is used, with the same logits); and EngineModel left-truncates what does not fit, as
// lm-evaluation-harness does, saying how many tokens it dropped.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "engine/engine_lm.h"
#include "engine/kv_cache.h"
#include "engine/loglik.h"
#include "engine/session.h"
#include "tests/engine/fixture_util.h"

namespace gapbench::engine {
namespace {

std::string Path(const std::string& name) {
  return (testing::EngineFixtureDir() / (name + ".gguf")).string();
}

std::vector<int32_t> Tokens(size_t n, int32_t n_vocab) {
  std::vector<int32_t> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = static_cast<int32_t>((i * 7 + 3) % n_vocab);
  return t;
}

TEST(Context, TrainingContextUnlessTheConfigurationSaysOtherwise) {
  auto model = Model::Load(Path("llama-tied-f32"));
  EXPECT_EQ(model->hparams().n_ctx_train, 128);
  EXPECT_EQ(ContextFor(*model), 128);
  EXPECT_EQ(ContextFor(*model, SessionOptions{300, 0, std::nullopt}), 300);
  EXPECT_EQ(Session(*model).n_ctx(), 128);
  auto configured =
      Model::Load(Path("llama-tied-f32"), EngineConfig::FromJson(R"({"context": 64})", "test"));
  EXPECT_EQ(ContextFor(*configured), 64);
  EXPECT_EQ(Session(*configured).n_ctx(), 64);
}

TEST(Context, KvCacheGrowsWithUseAndGivesTheSameLogits) {
  auto model = Model::Load(Path("llama-untied-f32"));
  const int64_t big = 1 << 20;  // a million positions: far more than ever allocated here
  Session wide(*model, SessionOptions{big, 0, kernels::GgmlType::kF32});
  Session exact(*model, SessionOptions{700, 0, kernels::GgmlType::kF32});
  const int64_t full = KvCache::BytesFor(model->hparams(), wide.config(), big);
  EXPECT_LT(wide.cache().allocated_bytes() * 100, full);
  const auto toks = Tokens(700, static_cast<int32_t>(model->hparams().n_vocab));
  // Two chunks, the second past the initial allocation: storage grows between them.
  wide.Eval(std::span(toks).first(300), LogitsMode::kNone);
  exact.Eval(std::span(toks).first(300), LogitsMode::kNone);
  const int64_t after_300 = wide.cache().allocated_bytes();
  wide.Eval(std::span(toks).subspan(300), LogitsMode::kLast);
  exact.Eval(std::span(toks).subspan(300), LogitsMode::kLast);
  EXPECT_GT(wide.cache().allocated_bytes(), after_300);
  EXPECT_GE(wide.cache().allocated_bytes(),
            KvCache::BytesFor(model->hparams(), wide.config(), 700));
  EXPECT_LT(wide.cache().allocated_bytes() * 100, full);
  const auto a = wide.LastLogits(), b = exact.LastLogits();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << i;
  // A fork copies what is held and keeps growing.
  auto fork = wide.Fork();
  EXPECT_EQ(fork->n_past(), 700);
  fork->Eval(std::span(toks).first(5), LogitsMode::kLast);
}

TEST(Context, LongRequestsAreLeftTruncatedAndCounted) {
  auto model = Model::Load(Path("llama-untied-f32"));  // 128 trained positions
  EngineModel lm(*model, SessionOptions{0, 0, kernels::GgmlType::kF32});
  std::string context = "Facts:";
  for (int i = 0; i < 120; ++i) context += " fact " + std::to_string(i) + ".";
  const LoglikRequest req{context + "\nAnswer:", " yes"};
  const auto [ctx, cont] = lm.Split(req);
  ASSERT_GT(ctx.size() + cont.size() - 1, 128u);
  const auto got = lm.Loglikelihood(std::span(&req, 1));
  const int64_t drop = static_cast<int64_t>(ctx.size() + cont.size()) - 129;
  EXPECT_EQ(got[0].truncated_tokens, drop);
  EXPECT_EQ(got[0].context_tokens, static_cast<int64_t>(ctx.size()) - drop);
  // The same as scoring the kept tokens directly.
  const std::vector<int32_t> kept(ctx.begin() + drop, ctx.end());
  const auto want =
      Loglikelihood(*model, kept, cont, SessionOptions{0, 0, kernels::GgmlType::kF32});
  EXPECT_NEAR(got[0].logprob, want.logprob, 1e-4);

  // Generation: the prompt keeps room for the budget (at most half the context).
  GenRequest g;
  g.prompt = context;
  g.max_tokens = 8;
  const auto gen = lm.Generate(std::span(&g, 1));
  EXPECT_GT(gen[0].truncated_tokens, 0);
  EXPECT_EQ(gen[0].prompt_tokens, 120);
  EXPECT_LE(gen[0].prompt_tokens + gen[0].completion_tokens, 128);

  // A continuation longer than the whole context cannot be scored: an input error.
  std::string huge;
  for (int i = 0; i < 200; ++i) huge += " word" + std::to_string(i);
  const LoglikRequest too_long{"Q:", huge};
  try {
    lm.Loglikelihood(std::span(&too_long, 1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    EXPECT_NE(std::string(e.what()).find("128-token context"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace gapbench::engine
