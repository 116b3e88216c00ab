// gapbench eval --chat as a user runs it: a chat-templated GSM8K run on a model whose GGUF carries
// a real chat template (a small random model with the Qwen2 vocabulary of ../shared/data, whose
// tokenizer.chat_template is the published ChatML one), and the refusals: --chat options without
// --chat, a model without a template (the committed engine fixture), multiple-choice items.
#include <gtest/gtest.h>

#include <string>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

std::string FixtureModel() { return (testing::EngineFixtureDir() / "llama-mha-f32.gguf").string(); }

TEST(EvalChatCli, Gsm8kWithTheModelsChatTemplate) {
  GB_REQUIRE_SHARED_DATA(data);
  testing::TempDir dir;
  const std::string model = (dir / "qwen2-chat.gguf").string();
  auto gen = RunProcess({GapbenchBin(), "model", "random", "--arch", "qwen2", "--preset", "tiny",
                         "--wtype", "q8_0", "--vocab",
                         (data / "tokenizer" / "ggml-vocab-qwen2.gguf").string(), "--out", model});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const std::string gsm8k = (data / "gsm8k" / "test.jsonl").string();
  const std::string out = (dir / "records.jsonl").string();
  auto r = RunProcess({GapbenchBin(), "eval", "--model", model, "--suite", gsm8k, "--limit", "2",
                       "--fewshot", "2", "--chat", "--fewshot-as-multiturn", "--system-prompt",
                       "Solve it.", "--max-tokens", "4", "--out", out, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = ParseJson(r.out, "eval --json");
  EXPECT_EQ(std::string(summary["chat_template"].GetString()), "chatml");
  EXPECT_EQ(summary["n_items"].GetUint64(), 2u);
  // The same run without --chat prompts differently (other hashes), with the same shots.
  const std::string plain_out = (dir / "plain.jsonl").string();
  auto plain = RunProcess({GapbenchBin(), "eval", "--model", model, "--suite", gsm8k, "--limit",
                           "2", "--fewshot", "2", "--max-tokens", "4", "--out", plain_out});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const std::string chat_records = testing::ReadFile(out);
  const std::string plain_records = testing::ReadFile(plain_out);
  const auto first = [](const std::string& text) {
    return ParseJson(text.substr(0, text.find('\n')), "record");
  };
  const auto c = first(chat_records), p = first(plain_records);
  EXPECT_STRNE(c["prompt_hash"].GetString(), p["prompt_hash"].GetString());
  EXPECT_TRUE(c["shot_ids"] == p["shot_ids"]);
  EXPECT_EQ(c["shot_ids"].Size(), 2u);
}

TEST(EvalChatCli, ChatOptionsNeedChat) {
  testing::TempDir dir;
  auto r = RunProcess({GapbenchBin(), "eval", "--model", FixtureModel(), "--suite",
                       (testing::SourceDir() / "examples" / "suites" / "arith.jsonl").string(),
                       "--fewshot-as-multiturn"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--fewshot-as-multiturn and --system-prompt need --chat"), std::string::npos)
      << r.err;
}

TEST(EvalChatCli, AModelWithoutATemplateIsRefusedByName) {
  auto r = RunProcess({GapbenchBin(), "eval", "--model", FixtureModel(), "--suite",
                       (testing::SourceDir() / "examples" / "suites" / "arith.jsonl").string(),
                       "--limit", "1", "--chat"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(FixtureModel() + ": the model has no tokenizer.chat_template"),
            std::string::npos)
      << r.err;
}

TEST(EvalChatCli, MultipleChoiceSuitesAreRefused) {
  auto r = RunProcess({GapbenchBin(), "eval", "--model", FixtureModel(), "--suite",
                       (testing::SourceDir() / "examples" / "suites" / "facts.jsonl").string(),
                       "--chat"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is multiple choice; chat templates apply to generation items only"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace gapbench
