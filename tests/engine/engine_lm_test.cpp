// EngineModel (the engine behind LanguageModel): prefix reuse must not change a single result.
// Every response is compared with a fresh Session per request (engine::Loglikelihood /
// engine::Generate, themselves checked against transformers in forward_test), and the cost
// counters prove the reuse happened.
#include "engine/engine_lm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "engine/generate.h"
#include "engine/loglik.h"
#include "tests/engine/fixture_util.h"

namespace gapbench::engine {
namespace {

std::string Path(const std::string& name) {
  return (testing::EngineFixtureDir() / (name + ".gguf")).string();
}

std::vector<LoglikRequest> McRequests() {
  const std::string header = "The following are questions about foxes.\n\n";
  std::vector<LoglikRequest> reqs;
  for (const char* q : {"Where do foxes live?", "What do foxes eat at night?", "Is a fox a dog?"}) {
    for (const char* choice : {" A", " B", " C", " D"}) {
      reqs.push_back({header + q + "\nA. den\nB. sea\nC. sky\nD. tree\nAnswer:", choice});
    }
  }
  return reqs;
}

TEST(EngineModel, PrefixReuseGivesFreshResults) {
  for (const char* json : {"{}", R"({"sliding_window": {"window": 6, "layers": "alternate"}})"}) {
    auto model = Model::Load(Path("llama-untied-f32"), EngineConfig::FromJson(json, "test"));
    EngineModel lm(*model, SessionOptions{0, 0, kernels::GgmlType::kF32});
    const auto reqs = McRequests();
    const auto got = lm.Loglikelihood(reqs);
    ASSERT_EQ(got.size(), reqs.size());
    int64_t fresh_tokens = 0;
    for (size_t i = 0; i < reqs.size(); ++i) {
      const auto [ctx, cont] = lm.Split(reqs[i]);
      const auto want =
          Loglikelihood(*model, ctx, cont, SessionOptions{0, 0, kernels::GgmlType::kF32});
      EXPECT_NEAR(got[i].logprob, want.logprob, 1e-4) << json << " request " << i;
      EXPECT_EQ(got[i].greedy, want.greedy) << i;
      EXPECT_EQ(got[i].n_tokens, want.n_tokens);
      EXPECT_EQ(got[i].context_tokens, static_cast<int64_t>(ctx.size()));
      fresh_tokens += static_cast<int64_t>(ctx.size() + cont.size() - 1);
    }
    // The shared header and each question's context are evaluated once, not per choice.
    EXPECT_LT(lm.Cost().prompt_tokens * 2, fresh_tokens) << json;
    EXPECT_GT(lm.Cost().flops, 0.0);
  }
}

TEST(EngineModel, TrailingContextSpaceMovesToTheContinuation) {
  auto model = Model::Load(Path("qwen2-untied-f32"));
  EngineModel lm(*model);
  const auto a = lm.Split({"Answer: ", "A"});
  const auto b = lm.Split({"Answer:", " A"});
  EXPECT_EQ(a, b);
  // Any trailing whitespace moves (Python's rstrip), newlines included.
  EXPECT_EQ(lm.Split({"Question\n", "Answer"}), lm.Split({"Question", "\nAnswer"}));
  // The context part is encode(context) exactly; the continuation is what follows it.
  const auto [ctx, cont] = lm.Split({"Hello", " world"});
  EXPECT_EQ(ctx, model->tokenizer().Encode("Hello", model->tokenizer().add_bos_default()));
  EXPECT_THROW(lm.Split({"Answer:", ""}), Error);
}

TEST(EngineModel, GenerationMatchesAFreshSession) {
  auto model = Model::Load(Path("qwen2-tied-f32"));
  EngineModel lm(*model, SessionOptions{0, 0, kernels::GgmlType::kF32});
  std::vector<GenRequest> reqs;
  // The repeated prompt is served from the held prefix (its logits were dropped by the rewind).
  for (const char* p :
       {"Question: 2+2?\nAnswer:", "Question: 3+5?\nAnswer:", "Question: 3+5?\nAnswer:"}) {
    GenRequest r;
    r.prompt = std::string("Solve these.\n\n") + p;
    r.max_tokens = 8;
    reqs.push_back(r);
  }
  const auto got = lm.Generate(reqs);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const Tokenizer& tok = model->tokenizer();
    const auto prompt = tok.Encode(reqs[i].prompt, tok.add_bos_default());
    Session s(*model, SessionOptions{0, 0, kernels::GgmlType::kF32});
    GenerateOptions go;
    go.max_tokens = 8;
    const auto want = engine::Generate(s, prompt, go);
    EXPECT_EQ(got[i].text, want.text) << i;
    EXPECT_EQ(got[i].completion_tokens, static_cast<int64_t>(want.tokens.size()));
    EXPECT_EQ(got[i].prompt_tokens, static_cast<int64_t>(prompt.size()));
  }
}

}  // namespace
}  // namespace gapbench::engine
