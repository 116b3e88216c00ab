// llm-foundry's in-context-learning question answering (icl_question_answering, icl.cpp): the
// JSONL file with `context`, `answer` and optional `aliases` loads with every bad line named, the
// prompt is the one llm-foundry builds, and the generation is scored as its
// InContextLearningGenerationExactMatchAccuracy scores it (normalised prefix match).
#include <gtest/gtest.h>

#include <algorithm>

#include "suites/loaders.h"
#include "suites/prompt.h"
#include "suites/record.h"
#include "suites/scoring.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using testing::TempDir;
using testing::WriteFile;

bool HasIssue(const LoadResult& r, const std::string& file, size_t line, const std::string& part) {
  return std::any_of(r.issues.begin(), r.issues.end(), [&](const LoadIssue& i) {
    return i.file == file && i.line == line && i.message.find(part) != std::string::npos;
  });
}

std::string IssueList(const LoadResult& r) {
  std::string out;
  for (const auto& i : r.issues) out += i.ToString() + "\n";
  return out;
}

TEST(IclQuestionAnswering, LoadsTheFileAndNamesEveryBadLine) {
  TempDir dir;
  const auto f = dir / "triviaqa.jsonl";
  // A BOM, a CRLF line, and no final newline: the quirks real files have.
  WriteFile(
      f,
      "\xEF\xBB\xBF"
      R"({"context": "  Question: What is the capital of France?\nAnswer:", "answer": " Paris ", "aliases": ["Paris", "City of Light", "Paris"]})"
      "\r\n"
      R"({"answer": "x"})"
      "\n"
      R"({"context": "Q", "answer": "y", "aliases": "y"})"
      "\n"
      R"({"context": "Q", "answer": "y", "aliases": ["y", 3]})"
      "\n"
      R"({"context": "Q", "answer": "The"})"
      "\n"
      R"({"context": "Q", "answer": "z", "aliases": ["..."]})"
      "\n"
      R"({"context": "   ", "answer": "z"})"
      "\n"
      "{not json\n"
      R"({"context": "Who wrote Hamlet?", "answer": "Shakespeare"})");
  EXPECT_EQ(DetectFormat(f.string()), "icl_question_answering");
  const LoadResult r = LoadSuiteChecked(f.string());
  EXPECT_EQ(r.suite.manifest.format, "icl_question_answering");
  ASSERT_EQ(r.suite.items.size(), 2u) << IssueList(r);
  const Item& a = r.suite.items[0];
  EXPECT_EQ(a.kind, ItemKind::kGeneration);
  EXPECT_EQ(a.style, PromptStyle::kIcl);
  EXPECT_EQ(a.match, MatchRule::kNormalized);
  EXPECT_EQ(a.id, "question_answering/0");
  EXPECT_EQ(a.source, f.string() + ":1");
  // strip_dataset (default True) strips the string fields; the aliases keep their text, less
  // the repeat of the answer and the repeated alias (llm-foundry makes them a set).
  EXPECT_EQ(a.prompt, "Question: What is the capital of France?\nAnswer:");
  EXPECT_EQ(a.reference, "Paris");
  EXPECT_EQ(a.solution, "Paris");
  EXPECT_EQ(a.aliases, (std::vector<std::string>{"City of Light"}));
  EXPECT_EQ(a.stop, (std::vector<std::string>{"\n"}));
  const Item& b = r.suite.items[1];
  EXPECT_EQ(b.id, "question_answering/8");
  EXPECT_EQ(b.source, f.string() + ":9");
  EXPECT_TRUE(b.aliases.empty());
  EXPECT_EQ(r.issues.size(), 7u) << IssueList(r);
  EXPECT_TRUE(HasIssue(r, f.string(), 2, "\"context\"")) << IssueList(r);
  EXPECT_TRUE(HasIssue(r, f.string(), 3, "\"aliases\" must be an array of strings"));
  EXPECT_TRUE(HasIssue(r, f.string(), 4, "\"aliases\" must be an array of strings"));
  EXPECT_TRUE(HasIssue(r, f.string(), 5, "would match any generation"));
  EXPECT_TRUE(HasIssue(r, f.string(), 6, "alias '...'"));
  EXPECT_TRUE(HasIssue(r, f.string(), 7, "empty \"context\""));
  EXPECT_TRUE(HasIssue(r, f.string(), 8, ""));
  // The same file under an explicit format, and the native round trip of the new fields.
  EXPECT_EQ(LoadSuiteChecked(f.string(), {.format = "icl_question_answering"}).suite.items.size(),
            2u);
  const auto native = dir / "native.jsonl";
  WriteFile(native, ItemToJson(a) + "\n");
  const Suite back = LoadSuite(native.string());
  ASSERT_EQ(back.items.size(), 1u);
  EXPECT_EQ(ContentHash(back.items, {}), ContentHash({a}, {})) << ItemToJson(a);
}

// llm-foundry (llmfoundry/eval/datasets/in_context_learning_evaluation.py,
// InContextLearningDataset): prompt_and_fewshot = prompt_string + for each shot
// construct_context(shot, preceding, add_answer=True), where construct_context gives
// (example_delimiter if preceding else "") + context + continuation_delimiter [+ answer];
// the item is construct_context(item, prompt_and_fewshot) with the trailing whitespace removed
// (tokenize_example's ctxt.rstrip() under strip_data). Defaults: prompt_string "",
// example_delimiter "\n", continuation_delimiter " ".
TEST(IclQuestionAnswering, PromptIsLlmFoundrys) {
  TempDir dir;
  const auto f = dir / "qa.jsonl";
  WriteFile(f, R"({"context": "Q: capital of France?", "answer": "Paris"})"
               "\n"
               R"({"context": "Q: 2+2?", "answer": "4"})"
               "\n"
               R"({"context": "Q: colour of the sky?", "answer": "blue "})"
               "\n");
  const Suite s = LoadSuite(f.string());
  ASSERT_EQ(s.items.size(), 3u);
  // 0-shot: the context alone (" " delimiter stripped away).
  ItemRequests zero = BuildRequests(s, 0, {});
  ASSERT_EQ(zero.gen.size(), 1u);
  EXPECT_EQ(zero.gen[0].prompt, "Q: capital of France?");
  EXPECT_EQ(zero.gen[0].stop, (std::vector<std::string>{"\n"}));
  // 2-shot from the suite itself (never the item): whichever order the draw gives.
  const ItemRequests two = BuildRequests(s, 0, {.k = 2, .source = ShotSource::kSuite});
  ASSERT_EQ(two.prompt.shot_ids.size(), 2u);
  const std::string one = "Q: 2+2? 4";
  const std::string sky = "Q: colour of the sky? blue";
  const std::string expected = two.prompt.shot_ids[0] == "question_answering/1"
                                   ? one + "\n" + sky + "\nQ: capital of France?"
                                   : sky + "\n" + one + "\nQ: capital of France?";
  EXPECT_EQ(two.gen[0].prompt, expected);
}

TEST(IclQuestionAnswering, NormalisationAsLlmFoundry) {
  // normalize_answer: '_' -> ' ', lower, string.punctuation and ‘’´` -> ' ', \b(a|an|the)\b
  // -> ' ', ' '.join(split()).
  EXPECT_EQ(NormalizeAnswer("  The Eiffel   Tower! "), "eiffel tower");
  EXPECT_EQ(NormalizeAnswer("an apple, a pear & THE plum."), "apple pear plum");
  EXPECT_EQ(NormalizeAnswer("theatre anna"), "theatre anna");  // whole words only
  EXPECT_EQ(NormalizeAnswer("snake_case-name"), "snake case name");
  EXPECT_EQ(NormalizeAnswer("\xE2\x80\x98quoted\xE2\x80\x99 it\xC2\xB4s `x`"), "quoted it s x");
  EXPECT_EQ(NormalizeAnswer("\xC3\x89LYS\xC3\x89\x45 the\xC2\xA0\xE3\x80\x80the"),
            "\xC3\xA9lys\xC3\xA9\x65");
  EXPECT_EQ(NormalizeAnswer("a.b"), "b");  // punctuation first, then the article "a"
  EXPECT_EQ(NormalizeAnswer("\xC3\xA0 la"), "\xC3\xA0 la");  // "à" is a word, not "a"
  EXPECT_EQ(NormalizeAnswer("The"), "");
}

TEST(IclQuestionAnswering, ScoredAsExactMatchOfTheNormalisedPrefix) {
  Item it;
  it.kind = ItemKind::kGeneration;
  it.style = PromptStyle::kIcl;
  it.match = MatchRule::kNormalized;
  it.id = "q";
  it.prompt = "Q";
  it.reference = "Paris";
  it.aliases = {"City of Light"};
  it.stop = {"\n"};
  auto check = [&](const std::string& gen) { return MatchGeneration(it, gen); };
  MatchResult m = check(" Paris.\nQ: next question");
  EXPECT_TRUE(m.correct);
  EXPECT_EQ(m.extracted, "paris");
  EXPECT_EQ(m.matched, "Paris");
  m = check(" the city of light, of course");  // startswith, as llm-foundry
  EXPECT_TRUE(m.correct);
  EXPECT_EQ(m.matched, "City of Light");
  EXPECT_FALSE(check(" It is Paris").correct);  // a prefix, not a substring
  EXPECT_FALSE(check("\nParis").correct);       // cut at the first newline: nothing left
  EXPECT_FALSE(check(" Lyon").correct);
  EXPECT_EQ(check(" Lyon").matched, "");
  // Through ScoreItem: the record names the answer that matched.
  Suite s;
  s.manifest.name = "t";
  s.items.push_back(it);
  FinishManifest(s);
  const ItemRequests req = BuildRequests(s, 0, {});
  const std::vector<Generation> gen = {{.text = " City of light\n", .finish_reason = "stop"}};
  const ItemRecord rec = ScoreItem(s, 0, req, {}, gen);
  EXPECT_EQ(rec.correct, true);
  EXPECT_EQ(rec.prediction, "city of light");
  EXPECT_EQ(rec.reference, "City of Light");
  const std::vector<Generation> wrong = {{.text = " Rome", .finish_reason = "length"}};
  const ItemRecord bad = ScoreItem(s, 0, req, {}, wrong);
  EXPECT_EQ(bad.correct, false);
  EXPECT_EQ(bad.reference, "Paris");
}

}  // namespace
}  // namespace gapbench::suites
