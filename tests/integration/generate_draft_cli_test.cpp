// gapbench generate --draft as a user runs it: the real binary on the committed fixture models
// (one shared vocabulary): the same tokens as without --draft, the speculative statistics in
// --json, and clean errors (exit 2) for bad --draft-tokens values and mismatched vocabularies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

std::string Fixture(const std::string& name) {
  return (testing::EngineFixtureDir() / (name + ".gguf")).string();
}

std::vector<int> Tokens(const rapidjson::Value& doc) {
  std::vector<int> v;
  for (const auto& t : doc["tokens"].GetArray()) v.push_back(t.GetInt());
  return v;
}

std::vector<std::string> GenerateArgs(const std::string& model, int max_tokens) {
  return {GapbenchBin(),
          "generate",
          "--model",
          model,
          "--prompt",
          "Hello world, said the",
          "--max-tokens",
          std::to_string(max_tokens),
          "--json",
          "--threads",
          "1"};
}

TEST(GenerateDraftCli, JsonHasTheTargetsTokensAndTheStatistics) {
  const auto plain = RunProcess(GenerateArgs(Fixture("llama-untied-f32"), 24));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto pdoc = ParseJson(plain.out, "generate output");
  for (const std::string k : {"3", "auto"}) {
    auto args = GenerateArgs(Fixture("llama-untied-f32"), 24);
    args.insert(args.end(), {"--draft", Fixture("llama-untied-q4_0"), "--draft-tokens", k});
    const auto r = RunProcess(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = ParseJson(r.out, "generate --draft output");
    EXPECT_EQ(Tokens(doc), Tokens(pdoc)) << k;
    EXPECT_EQ(std::string(doc["text"].GetString()), pdoc["text"].GetString()) << k;
    EXPECT_EQ(std::string(doc["finish_reason"].GetString()), "length");
    const double alpha = doc["acceptance_rate"].GetDouble();
    EXPECT_GT(alpha, 0.0) << k;
    EXPECT_LT(alpha, 1.0) << k;
    EXPECT_EQ(doc["accepted"].GetInt64(),
              static_cast<int64_t>(alpha * doc["drafted"].GetDouble() + 0.5));
    // 24 tokens: accepted drafts plus one token of the target's per call.
    EXPECT_EQ(doc["accepted"].GetInt64() + doc["target_calls"].GetInt64(), 24) << k;
    EXPECT_DOUBLE_EQ(doc["tokens_per_target_call"].GetDouble(),
                     24.0 / doc["target_calls"].GetDouble());
    EXPECT_GT(doc["speedup"].GetDouble(), 0.0);
    EXPECT_GT(doc["baseline_seconds"].GetDouble(), 0.0);
    EXPECT_TRUE(doc["baseline_tokens_equal"].GetBool());
    if (k == "auto") {
      EXPECT_EQ(std::string(doc["draft_tokens"].GetString()), "auto");
    } else {
      EXPECT_EQ(doc["draft_tokens"].GetInt(), 3);
    }
  }
}

TEST(GenerateDraftCli, TextModeReportsAcceptanceAndSpeedup) {
  const auto r =
      RunProcess({GapbenchBin(), "generate", "--model", Fixture("qwen2-untied-f32"), "--draft",
                  Fixture("qwen2-untied-q4_0"), "--prompt", "Once", "--max-tokens", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("acceptance rate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tokens per target call"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("speed-up"), std::string::npos) << r.err;
}

TEST(GenerateDraftCli, BadDraftTokensAreUsageErrors) {
  auto good = GenerateArgs(Fixture("llama-untied-f32"), 4);
  good.insert(good.end(), {"--draft", Fixture("llama-untied-q4_0"), "--draft-tokens", "2"});
  const auto g = RunProcess(good);
  ASSERT_EQ(g.exit_code, 0) << g.err;  // the same command with a good value works
  for (const std::string bad : {"0", "-2", "abc", "3x", "", "65", "Auto"}) {
    auto args = GenerateArgs(Fixture("llama-untied-f32"), 4);
    args.insert(args.end(), {"--draft", Fixture("llama-untied-q4_0"), "--draft-tokens", bad});
    const auto r = RunProcess(args);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--draft-tokens"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << bad;
  }
  auto no_draft = GenerateArgs(Fixture("llama-untied-f32"), 4);
  no_draft.insert(no_draft.end(), {"--draft-tokens", "3"});
  const auto r = RunProcess(no_draft);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--draft-tokens needs --draft"), std::string::npos) << r.err;
  auto missing = GenerateArgs(Fixture("llama-untied-f32"), 4);
  missing.insert(missing.end(), {"--draft", "/nonexistent/draft.gguf"});
  const auto m = RunProcess(missing);
  EXPECT_EQ(m.exit_code, 2) << m.err;
  EXPECT_NE(m.err.find("/nonexistent/draft.gguf"), std::string::npos) << m.err;
}

TEST(GenerateDraftCli, DraftWithAnotherVocabularyIsRefused) {
  testing::TempDir dir;
  const std::string other = (dir / "tiny.gguf").string();
  const auto w = RunProcess({GapbenchBin(), "model", "random", "--preset", "tiny", "--out", other});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto args = GenerateArgs(Fixture("llama-untied-f32"), 4);
  args.insert(args.end(), {"--draft", other});
  const auto r = RunProcess(args);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(other), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(Fixture("llama-untied-f32")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("token 0 is"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace gapbench
