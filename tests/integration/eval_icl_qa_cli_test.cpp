// `gapbench eval` on an llm-foundry question-answering file (icl_question_answering) as a user
// runs it, on a committed fixture model: every item scored by llm-foundry's normalised prefix
// match, an answer the model did give scored correct (through an alias), and `suites validate`
// naming the bad lines.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <sstream>
#include <string>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

std::vector<rapidjson::Document> ReadRecords(const std::filesystem::path& p) {
  std::vector<rapidjson::Document> out;
  std::istringstream in(testing::ReadFile(p));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(ParseJson(line, p.string()));
  }
  return out;
}

// One question-answering line: {"context": context, "answer": answer, "aliases": [alias]}.
std::string QaLine(const std::string& context, const std::string& answer,
                   const std::string& alias) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("context");
  WriteJsonString(w, context);
  w.Key("answer");
  WriteJsonString(w, answer);
  w.Key("aliases");
  w.StartArray();
  WriteJsonString(w, alias);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString()) + "\n";
}

TEST(EvalIclQaCli, ScoresGenerationsAsLlmFoundry) {
  testing::TempDir dir;
  const std::string model = (testing::EngineFixtureDir() / "qwen2-tied-f32.gguf").string();
  const std::vector<std::string> contexts = {
      "Q: What is the capital of France?\nA:", "Q: Who wrote Hamlet?\nA:", "Q: What is 2+2?\nA:"};
  auto eval = [&](const std::string& text, const char* name) {
    const auto suite = dir / (std::string(name) + ".jsonl");
    const auto out = dir / (std::string(name) + "-records.jsonl");
    testing::WriteFile(suite, text);
    auto r = RunProcess({GapbenchBin(), "eval", "--model", model, "--suite", suite.string(),
                         "--format", "icl_question_answering", "--max-tokens", "8", "--json",
                         "--out", out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ReadRecords(out);
  };
  // Pass 1: answers the random model will not produce.
  std::string text;
  for (const auto& c : contexts) text += QaLine(c, "zzq never", "qqz never");
  const auto first = eval(text, "first");
  ASSERT_EQ(first.size(), contexts.size());
  std::string said;  // the first generation that normalises to some words
  size_t said_item = 0;
  for (size_t i = 0; i < first.size(); ++i) {
    const auto& rec = first[i];
    EXPECT_FALSE(rec["correct"].GetBool());
    EXPECT_EQ(std::string(rec["reference"].GetString()), "zzq never");
    const std::string gen = rec["generation"].GetString();
    EXPECT_EQ(gen.find('\n'), std::string::npos) << "the newline stop ends the answer";
    // The prediction is the normalised text: no ASCII capitals or punctuation, single spaces.
    const std::string pred = rec["prediction"].GetString();
    for (char ch : pred) {
      EXPECT_FALSE(std::isupper(static_cast<unsigned char>(ch)) ||
                   std::ispunct(static_cast<unsigned char>(ch)))
          << pred;
    }
    EXPECT_EQ(pred.find("  "), std::string::npos) << pred;
    if (said.empty() && !pred.empty()) {
      said = gen;
      said_item = i;
    }
  }
  ASSERT_FALSE(said.empty()) << "every generation normalised to nothing";
  // Pass 2 (0-shot, so the prompts are unchanged and greedy decoding repeats itself): the item's
  // alias is what the model said, shouted and punctuated; normalisation makes it match.
  std::string shouted;
  for (char ch : said)
    shouted.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  text.clear();
  for (size_t i = 0; i < contexts.size(); ++i) {
    text += QaLine(contexts[i], "zzq never", i == said_item ? shouted + "!!" : "qqz never");
  }
  const auto second = eval(text, "second");
  ASSERT_EQ(second.size(), contexts.size());
  for (size_t i = 0; i < second.size(); ++i) {
    EXPECT_EQ(std::string(second[i]["generation"].GetString()),
              std::string(first[i]["generation"].GetString()));
    EXPECT_EQ(second[i]["correct"].GetBool(), i == said_item) << i;
  }
  EXPECT_EQ(std::string(second[said_item]["reference"].GetString()), shouted + "!!");

  // suites validate names every bad line.
  const auto bad = dir / "bad.jsonl";
  testing::WriteFile(bad, QaLine("Q", "A", "ok") +
                              R"({"answer": "x"})"
                              "\n" +
                              R"({"context": "Q", "answer": "y", "aliases": [1]})");
  auto v = RunProcess(
      {GapbenchBin(), "suites", "validate", bad.string(), "--format", "icl_question_answering"});
  EXPECT_EQ(v.exit_code, 1) << v.out << v.err;
  const std::string all = v.out + v.err;
  EXPECT_NE(all.find(bad.string() + ":1:"), std::string::npos) << all;  // "A" is an article
  EXPECT_NE(all.find(bad.string() + ":2:"), std::string::npos) << all;
  EXPECT_NE(all.find(bad.string() + ":3:"), std::string::npos) << all;
}

}  // namespace
}  // namespace gapbench
