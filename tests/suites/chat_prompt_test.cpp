// Chat-templated generation prompts against lm-evaluation-harness itself: the fixture
// tests/fixtures/lmeval/gsm8k_tiny_chat.json was written by tools/lmeval_requests.py, which calls
// lm-eval's own fewshot_context(apply_chat_template=True, fewshot_as_multiturn=..,
// system_instruction=..) on the tiny GSM8K with real chat templates rendered by jinja2 (as
// HFLM.apply_chat_template renders them). gapbench's prompt for the same item, shots, options and
// template must be byte-identical.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "common/error.h"
#include "common/json.h"
#include "suites/chat_template.h"
#include "suites/loaders.h"
#include "suites/prompt.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

fs::path Fixtures() { return testing::SourceDir() / "tests" / "fixtures"; }

std::string Str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

ChatTemplate FixtureTemplate(const std::string& name) {
  const fs::path file = Fixtures() / "chat" / (name + ".json");
  const auto doc = ParseJson(ReadSuiteFile(file.string()), file.string());
  return ChatTemplate::Recognise(Str(doc["template"]), file.string(), Str(doc["bos_token"]),
                                 Str(doc["eos_token"]));
}

Suite TinyGsm(const TempDir& dir) {
  testing::WriteFile(dir / "test.jsonl",
                     ReadSuiteFile((Fixtures() / "lmeval" / "gsm8k_tiny.jsonl").string()));
  return LoadSuite((dir / "test.jsonl").string());
}

TEST(ChatPrompt, Gsm8kPromptsAreLmEvalsForEveryShotOrderAndOption) {
  TempDir dir;
  const Suite s = TinyGsm(dir);
  const fs::path file = Fixtures() / "lmeval" / "gsm8k_tiny_chat.json";
  const auto doc = ParseJson(ReadSuiteFile(file.string()), file.string());
  ASSERT_EQ(s.items[0].id, Str(doc["item"]));
  // (template, shot ids, multiturn, system) -> lm-eval's prompt.
  using Key = std::tuple<std::string, std::vector<std::string>, bool, std::string>;
  std::map<Key, std::string> want;
  for (const auto& e : doc["entries"].GetArray()) {
    std::vector<std::string> shots;
    for (const auto& id : e["shots"].GetArray()) shots.push_back(Str(id));
    want[{Str(e["template"]), shots, e["fewshot_as_multiturn"].GetBool(),
          Str(e["system_instruction"])}] = Str(e["prompt"]);
  }
  ASSERT_GE(want.size(), 3u * 7u * 4u);
  std::set<Key> compared;
  for (const char* name : {"qwen2", "gemma2", "llama3.2"}) {
    const ChatTemplate t = FixtureTemplate(name);
    for (const int k : {0, 2}) {
      // gapbench draws GSM8K shots from the suite by seed: seeds reach every ordered pair.
      for (uint64_t seed = 0; seed < 200; ++seed) {
        for (const bool multiturn : {false, true}) {
          for (const std::string& system : {std::string(), std::string("Solve the problem.")}) {
            const ChatOptions chat{&t, multiturn, system};
            const ItemRequests r = BuildRequests(s, 0, {.k = k, .seed = seed}, {}, chat);
            const Key key{name, r.prompt.shot_ids, multiturn, system};
            const auto at = want.find(key);
            ASSERT_NE(at, want.end()) << name << " seed " << seed;
            SCOPED_TRACE(
                StrCat(name, " seed ", seed, " multiturn ", multiturn, " system '", system, "'"));
            ASSERT_EQ(r.gen.size(), 1u);
            EXPECT_EQ(r.gen[0].prompt, at->second);
            EXPECT_TRUE(r.gen[0].parse_special);
            EXPECT_EQ(r.gen[0].stop, s.items[0].stop);
            compared.insert(key);
          }
        }
        if (k == 0) break;
      }
    }
  }
  EXPECT_EQ(compared.size(), want.size()) << "some lm-eval prompts were never reached";
}

TEST(ChatPrompt, PlainPromptsAreUnchangedWithoutATemplate) {
  TempDir dir;
  const Suite s = TinyGsm(dir);
  const ItemRequests plain = BuildRequests(s, 1, {.k = 2, .seed = 3});
  const ItemRequests none = BuildRequests(s, 1, {.k = 2, .seed = 3}, {}, ChatOptions{});
  EXPECT_EQ(plain.gen[0].prompt, none.gen[0].prompt);
  EXPECT_FALSE(none.gen[0].parse_special);
  // The single-turn conversation's user turn is the plain prompt (lm-eval's get_context).
  const ChatTemplate t = FixtureTemplate("chatml");
  const auto messages = BuildChat(s, 1, {.k = 2, .seed = 3}, {&t, false, ""});
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].content, plain.gen[0].prompt);
  // The chat prompt is what is hashed into the record.
  const ItemRequests chat = BuildRequests(s, 1, {.k = 2, .seed = 3}, {}, {&t, false, ""});
  EXPECT_NE(chat.prompt.prompt_hash, plain.prompt.prompt_hash);
  EXPECT_EQ(chat.prompt.shot_ids, plain.prompt.shot_ids);
}

TEST(ChatPrompt, OnlyGenerationItemsTakeChatTemplates) {
  TempDir dir;
  testing::WriteFile(dir / "mc.jsonl",
                     "{\"id\": \"m1\", \"kind\": \"multiple_choice\", \"question\": \"2+2?\", "
                     "\"choices\": [\"3\", \"4\"], \"gold\": 1}\n");
  const Suite mc = LoadSuite((dir / "mc.jsonl").string());
  const std::string why = CheckChat(mc, mc.items.size());
  EXPECT_NE(why.find("'m1' is multiple choice"), std::string::npos) << why;
  const ChatTemplate t = FixtureTemplate("chatml");
  EXPECT_THROW(BuildRequests(mc, 0, {}, {}, {&t, false, ""}), Error);
  const Suite gsm = TinyGsm(dir);
  EXPECT_EQ(CheckChat(gsm, gsm.items.size()), "");
}

}  // namespace
}  // namespace gapbench::suites
