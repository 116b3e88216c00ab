// "chat": true in a sweep: validated against every model combined with the suite (a known
// tokenizer.chat_template) and against the suite (generation items only); part of the shard key
// only when set, so sweeps without chat keep their shard ids; carried to the worker in the task.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "coordinator/expand.h"
#include "coordinator/protocol.h"
#include "coordinator/registration.h"
#include "coordinator/sweep.h"
#include "tests/coordinator/sweep_errors.h"
#include "tests/coordinator/sweep_fixture.h"
#include "tests/worker/chat_model_fixture.h"

namespace gapbench::coordinator {
namespace {

using testing::TempDir;
using testing::WriteFile;

constexpr char kSweep[] = R"({"name": "chat",
 "models": [{"alias": "chat", "path": "chat.gguf"}, {"alias": "plain", "path": "plain.gguf"}],
 "engines": [{"name": "base"}],
 "suites": [%SUITES%],
 "combinations": [%COMBOS%]})";

std::string Sweep(const std::string& suites, const std::string& combos) {
  std::string s = kSweep;
  s.replace(s.find("%SUITES%"), 8, suites);
  s.replace(s.find("%COMBOS%"), 8, combos);
  return s;
}

class SweepChat : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteChatModel(dir_, "chat", testing::kChatMlTemplate);
    testing::CopyModel(dir_ / "plain.gguf");
    testing::WriteGsm8k(dir_ / "gsm.jsonl", 12);
    testing::WriteMmluFolder(dir_ / "mmlu", 6);
  }
  SweepCheck Check(const std::string& text) {
    WriteFile(dir_ / "s.json", text);
    return CheckSweepFile((dir_ / "s.json").string());
  }
  TempDir dir_;
};

TEST_F(SweepChat, ModelsAndSuitesAreCheckedAtValidation) {
  const SweepCheck c = Check(Sweep(R"({"name": "mmlu", "path": "mmlu", "chat": true},
         {"name": "loose", "path": "gsm.jsonl", "fewshot_as_multiturn": true},
         {"name": "typed", "path": "gsm.jsonl", "chat": "yes"})",
                                   R"({"model": "chat", "engine": "base", "suite": "mmlu"})"));
  EXPECT_TRUE(HasError(c, {"$.suites[0].chat", "is multiple choice"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.suites[1].chat", "need \"chat\": true"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.suites[2].chat", "expected true or false"})) << AllErrors(c);
  // Models are checked against their combinations once the sweep is otherwise valid.
  const SweepCheck m =
      Check(Sweep(R"({"name": "gsm", "path": "gsm.jsonl", "chat": true, "fewshot": 2})",
                  R"({"model": "plain", "engine": "base", "suite": "gsm"},
                     {"model": "chat", "engine": "base", "suite": "gsm"})"));
  EXPECT_EQ(m.errors.size(), 1u) << AllErrors(m);
  EXPECT_TRUE(HasError(
      m, {"$.suites[0].chat", "model 'plain'", "plain.gguf", "has no tokenizer.chat_template"}))
      << AllErrors(m);
}

TEST_F(SweepChat, ChatIsInTheShardKeyOnlyWhenSetAndReachesTheTask) {
  const SweepCheck plain = Check(Sweep(R"({"name": "gsm", "path": "gsm.jsonl", "fewshot": 2})",
                                       R"({"model": "chat", "engine": "base", "suite": "gsm"})"));
  ASSERT_TRUE(plain.ok()) << AllErrors(plain);
  const SweepCheck chat = Check(Sweep(
      R"({"name": "gsm", "path": "gsm.jsonl", "fewshot": 2, "chat": true,
          "fewshot_as_multiturn": true, "system_prompt": "Be brief."})",
      R"({"model": "chat", "engine": "base", "suite": "gsm"})"));
  ASSERT_TRUE(chat.ok()) << AllErrors(chat);
  const Expansion a = ExpandSweep(plain.sweep), b = ExpandSweep(chat.sweep);
  ASSERT_EQ(a.shards.size(), b.shards.size());
  EXPECT_EQ(a.shards[0].key.find("\"chat\":{"), std::string::npos) << a.shards[0].key;
  EXPECT_NE(
      b.shards[0].key.find(R"("chat":{"fewshot_as_multiturn":true,"system_prompt":"Be brief."})"),
      std::string::npos)
      << b.shards[0].key;
  EXPECT_NE(a.shards[0].id, b.shards[0].id);

  const ShardTask task = MakeShardTask(chat.sweep, b.shards[0]);
  EXPECT_TRUE(task.chat);
  const ShardTask back = ShardTaskFromJson(ShardTaskToJson(task), "task");
  EXPECT_TRUE(back.chat);
  EXPECT_TRUE(back.fewshot_as_multiturn);
  EXPECT_EQ(back.system_prompt, "Be brief.");
  const ShardTask plain_task = MakeShardTask(plain.sweep, a.shards[0]);
  EXPECT_EQ(ShardTaskToJson(plain_task).find("\"chat\":{"), std::string::npos);
  EXPECT_FALSE(ShardTaskFromJson(ShardTaskToJson(plain_task), "task").chat);
}

}  // namespace
}  // namespace gapbench::coordinator
