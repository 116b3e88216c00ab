// The chat-template families against Python jinja2: every fixture in tests/fixtures/chat/ (written
// by tools/chat_template_fixtures.py from the real template strings: the vocabulary files'
// tokenizer.chat_template and the published ones) is recognised as its family and every
// conversation renders byte for byte as jinja2 rendered it.
#include "suites/chat_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "common/error.h"
#include "common/json.h"
#include "suites/loaders.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

namespace fs = std::filesystem;

fs::path FixtureDir() { return testing::SourceDir() / "tests" / "fixtures" / "chat"; }

std::string Str(const rapidjson::Value& v) {
  return std::string(v.GetString(), v.GetStringLength());
}

// The family each fixture must be recognised as.
const std::map<std::string, std::string>& Families() {
  static const std::map<std::string, std::string> kFamilies = {
      {"chatml", "chatml"},        {"smollm2", "chatml"},
      {"qwen2", "chatml"},         {"qwen2.5", "chatml"},
      {"qwen3", "qwen3"},          {"llama3", "llama3"},
      {"llama3.2", "llama3.1"},    {"gemma2", "gemma"},
      {"gemma3", "gemma3"},        {"phi3", "phi3"},
      {"phi3.5", "phi3.5"},        {"phi3-small", "phi3-small"},
      {"mistral-v0.2", "mistral"},
  };
  return kFamilies;
}

TEST(ChatTemplate, EveryFixtureRendersAsJinja2) {
  size_t n_fixtures = 0, n_cases = 0;
  for (const auto& [name, family] : Families()) {
    SCOPED_TRACE(name);
    const fs::path file = FixtureDir() / (name + ".json");
    ASSERT_TRUE(fs::exists(file)) << file;
    const auto doc = ParseJson(ReadSuiteFile(file.string()), file.string());
    const ChatTemplate t = ChatTemplate::Recognise(Str(doc["template"]), file.string(),
                                                   Str(doc["bos_token"]), Str(doc["eos_token"]));
    EXPECT_EQ(t.family(), family);
    for (const auto& c : doc["cases"].GetArray()) {
      SCOPED_TRACE(Str(c["name"]));
      std::vector<ChatMessage> messages;
      for (const auto& m : c["messages"].GetArray()) {
        messages.push_back({Str(m["role"]), Str(m["content"])});
      }
      EXPECT_EQ(t.Render(messages, c["add_generation_prompt"].GetBool()), Str(c["expected"]));
      ++n_cases;
    }
    ++n_fixtures;
  }
  EXPECT_EQ(n_fixtures, 13u);
  EXPECT_GE(n_cases, 13u * 9u);
}

// Every fixture on disk is checked above (a new one must be given its family).
TEST(ChatTemplate, NoFixtureIsLeftUnchecked) {
  for (const auto& entry : fs::directory_iterator(FixtureDir())) {
    EXPECT_TRUE(Families().count(entry.path().stem().string())) << entry.path();
  }
}

TEST(ChatTemplate, UnknownTemplateIsAnErrorNamingTheModel) {
  const std::string llama2 =
      "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + "
      "messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}{% endif %}{{ '[INST] ' + content }}";
  for (const std::string& text : {std::string("{{ messages }}"), llama2,
                                  std::string("<|im_start|>{{ message['content'] | trim }}")}) {
    try {
      ChatTemplate::Recognise(text, "models/odd.gguf", "<s>", "</s>");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("models/odd.gguf: tokenizer.chat_template is not"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(ChatTemplate, RefusedConversationsAreErrors) {
  const auto doc = ParseJson(ReadSuiteFile((FixtureDir() / "gemma2.json").string()), "gemma2");
  const ChatTemplate t = ChatTemplate::Recognise(Str(doc["template"]), "g.gguf", "<bos>", "<eos>");
  const std::vector<ChatMessage> twice_user = {{"user", "a"}, {"user", "b"}};
  EXPECT_THROW(t.Render(twice_user, true), Error);
  const std::vector<ChatMessage> only_system = {{"system", "s"}};
  EXPECT_THROW(t.Render(only_system, true), Error);
  const std::vector<ChatMessage> tool = {{"tool", "x"}};
  EXPECT_THROW(t.Render(tool, true), Error);
}

}  // namespace
}  // namespace gapbench::suites
