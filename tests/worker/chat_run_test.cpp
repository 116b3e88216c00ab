// Chat-templated generation end to end on a real GGUF: a small random model whose vocabulary
// carries <|im_start|> / <|im_end|> control tokens and a ChatML tokenizer.chat_template. The
// runner renders each GSM8K-style item through the model's template, the engine reads the control
// tokens as single tokens (not as the characters of their text), and the records hash the
// rendered prompt. A model without a template, or with an unknown one, is an error naming it.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "engine/engine_lm.h"
#include "engine/model.h"
#include "engine/tokenizer.h"
#include "suites/loaders.h"
#include "tests/test_util.h"
#include "tests/worker/chat_model_fixture.h"
#include "worker/runner.h"

namespace gapbench::worker {
namespace {

using testing::kImStart;
using testing::WriteChatModel;

constexpr char kGsm[] =
    "{\"question\": \"Q0?\", \"answer\": \"s0\\n#### 0\"}\n"
    "{\"question\": \"Q1?\", \"answer\": \"s1\\n#### 1\"}\n"
    "{\"question\": \"Q2?\", \"answer\": \"s2\\n#### 2\"}\n";

TEST(ChatRun, GenerationPromptsGoThroughTheModelsTemplate) {
  testing::TempDir dir;
  const auto model = engine::Model::Load(WriteChatModel(dir, "chat", testing::kChatMlTemplate));
  testing::WriteFile(dir / "test.jsonl", kGsm);
  const suites::Suite suite = suites::LoadSuite((dir / "test.jsonl").string());
  const suites::ChatTemplate t = ModelChatTemplate(*model);
  EXPECT_EQ(t.family(), "chatml");

  RunOptions ro;
  ro.shots.k = 1;
  ro.gen_defaults.max_tokens = 3;
  ro.chat = {&t, true, "Be brief."};
  engine::EngineModel lm(*model);
  LazySandbox sandbox;
  std::vector<suites::ItemRecord> records;
  RunItems(suite, 0, 3, ro, lm, sandbox, {}, nullptr,
           [&](ItemResult& r) { records.push_back(r.samples.at(0).record); });
  ASSERT_EQ(records.size(), 3u);
  const engine::Tokenizer& tok = model->tokenizer();
  for (size_t i = 0; i < records.size(); ++i) {
    const suites::ItemRequests req =
        suites::BuildRequests(suite, i, ro.shots, ro.gen_defaults, ro.chat);
    const std::string& prompt = req.gen.at(0).prompt;
    EXPECT_TRUE(prompt.starts_with("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"))
        << prompt;
    EXPECT_TRUE(prompt.ends_with("<|im_end|>\n<|im_start|>assistant\n")) << prompt;
    EXPECT_EQ(records[i].prompt_hash, HashHex(prompt));
    // Control tokens read as one token each: the prompt is shorter than its plain-text reading.
    const auto special = tok.Encode(prompt, false, true);
    const auto plain = tok.Encode(prompt, false, false);
    EXPECT_EQ(records[i].tokens_in, static_cast<int64_t>(special.size()));
    EXPECT_LT(special.size(), plain.size());
    EXPECT_EQ(std::count(special.begin(), special.end(), kImStart), 5);  // 4 turns + generation
  }
}

TEST(ChatRun, AModelWithoutATemplateIsAnErrorNamingIt) {
  testing::TempDir dir;
  const std::string path = WriteChatModel(dir, "plain", "");
  const auto model = engine::Model::Load(path);
  try {
    ModelChatTemplate(*model);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": the model has no tokenizer.chat_template"),
              std::string::npos)
        << e.what();
  }
  const std::string odd = WriteChatModel(dir, "odd", "{{ messages[0]['content'] }}");
  const auto odd_model = engine::Model::Load(odd);
  try {
    ModelChatTemplate(*odd_model);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(odd + ": tokenizer.chat_template is not"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace gapbench::worker
