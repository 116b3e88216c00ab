// Scoring of the lm-eval task items (prompt.h's ScoreItem, scoring.h): acc_norm divides by the
// choice as lm-eval's doc_to_choice gives it (no target delimiter), TruthfulQA MC2's normalised
// probability mass, WinoGrande's partial-evaluation requests and shots, llm-foundry's
// greedy language-modelling check, and the record fields they write.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "suites/loaders.h"
#include "suites/perturb/perturb_internal.h"
#include "suites/prompt.h"
#include "suites/record.h"
#include "suites/scoring.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using testing::TempDir;
using testing::WriteFile;

Suite OneItem(Item item) {
  Suite s;
  s.manifest.name = "t";
  item.id = item.id.empty() ? "i0" : item.id;
  s.items.push_back(std::move(item));
  FinishManifest(s);
  return s;
}

std::vector<LoglikResponse> Ll(std::vector<double> lps, bool greedy = false) {
  std::vector<LoglikResponse> out;
  for (double lp : lps) out.push_back({.logprob = lp, .greedy = greedy, .n_tokens = 1});
  return out;
}

TEST(TaskScoring, AccNormDividesByTheChoiceWithoutTheDelimiter) {
  // lm-eval: completion_len = len(choice) for choice in doc_to_choice(doc), i.e. "a" is 1 and
  // "bb" 2 characters, not " a" 2 and " bb" 3. -1/1 = -1 < -1.9/2 = -0.95: choice 1 wins; with
  // the delimiter counted -1/2 = -0.5 > -1.9/3 = -0.63 would pick choice 0.
  Item it;
  it.style = PromptStyle::kCloze;
  it.question = "Q";
  it.choices = {"a", "bb"};
  it.gold = 1;
  const Suite s = OneItem(it);
  const ItemRequests req = BuildRequests(s, 0, {});
  const ItemRecord r = ScoreItem(s, 0, req, Ll({-1.0, -1.9}), {});
  EXPECT_EQ(r.pred, 0);
  EXPECT_EQ(r.pred_norm, 1);
  EXPECT_EQ(r.correct, false);
  EXPECT_EQ(r.correct_norm, true);
  EXPECT_FALSE(r.score.has_value());
}

TEST(TaskScoring, Mc2IsTheNormalisedMassOfTheTrueAnswers) {
  Item it;
  it.style = PromptStyle::kCloze;
  it.question = "Q";
  it.choices = {"t1", "f1", "t2", "f2"};
  it.metric = McMetric::kMc2;
  it.labels = {1, 0, 1, 0};  // a true answer after a false one counts as true (lm-eval 0.4.9)
  it.gold = 0;
  const Suite s = OneItem(it);
  const ItemRequests req = BuildRequests(s, 0, {});
  const std::vector<double> p = {0.1, 0.4, 0.2, 0.3};
  std::vector<double> lps;
  for (double x : p) lps.push_back(std::log(x) - 700);  // exp() alone would underflow
  const ItemRecord r = ScoreItem(s, 0, req, Ll(lps), {});
  ASSERT_TRUE(r.score.has_value());
  EXPECT_NEAR(*r.score, 0.3, 1e-12);
  EXPECT_EQ(r.pred, 1);
  EXPECT_EQ(r.correct, false);  // the top answer is a false one
  // The record carries the score through JSON.
  const ItemRecord back = ItemRecordFromJson(ItemRecordToJson(r), "test");
  ASSERT_TRUE(back.score.has_value());
  EXPECT_DOUBLE_EQ(*back.score, *r.score);
  EXPECT_EQ(ItemRecordToJson(ScoreItem(OneItem([] {
                                         Item i;
                                         i.style = PromptStyle::kCloze;
                                         i.choices = {"a", "b"};
                                         i.gold = 0;
                                         return i;
                                       }()),
                                       0, req, Ll({-1, -2}), {}))
                .find("\"score\""),
            std::string::npos);  // only MC2 records have it
  EXPECT_NEAR(Mc2Score(std::vector<double>{0, 0}, std::vector<int>{1, 0}), 0.5, 1e-15);
}

TEST(TaskScoring, RotatedMc2ChoicesKeepTheirLabels) {
  // choice-permutation on TruthfulQA MC2: a true answer stays true wherever it moves.
  Item it;
  it.style = PromptStyle::kCloze;
  it.choices = {"t1", "f1", "t2"};
  it.metric = McMetric::kMc2;
  it.labels = {1, 0, 1};
  it.gold = 0;
  perturb::RotateChoices(it, 1);
  EXPECT_EQ(it.choices, (std::vector<std::string>{"t2", "t1", "f1"}));
  EXPECT_EQ(it.labels, (std::vector<int>{1, 1, 0}));
  EXPECT_EQ(it.gold, 1);
}

TEST(TaskScoring, PartialEvaluationRequestsAndShots) {
  TempDir dir;
  const auto f = dir / "dev.jsonl";
  WriteFile(
      f,
      R"({"qID":"a","sentence":"A beat B so _ won.","option1":"A","option2":"B","answer":"1"})"
      "\n"
      R"({"qID":"b","sentence":"C met D and _ smiled.","option1":"C","option2":"D","answer":"2"})");
  const Suite s = LoadSuite(f.string());
  const ItemRequests r0 = BuildRequests(s, 0, {});
  ASSERT_EQ(r0.loglik.size(), 2u);
  EXPECT_EQ(r0.loglik[0].context, "A beat B so A");
  EXPECT_EQ(r0.loglik[0].continuation, " won.");
  EXPECT_EQ(r0.loglik[1].context, "A beat B so B");
  EXPECT_EQ(r0.loglik[1].continuation, " won.");
  // One shot (the other item, from the suite): its gold context, the suffix, "\n\n".
  const ItemRequests r1 = BuildRequests(s, 0, {.k = 1});
  EXPECT_EQ(r1.loglik[1].context, "C met D and D smiled.\n\nA beat B so B");
  EXPECT_EQ(r1.prompt.shot_ids, (std::vector<std::string>{"b"}));
  EXPECT_NE(r0.prompt.prompt_hash, r1.prompt.prompt_hash);
  const ItemRecord rec = ScoreItem(s, 0, r0, Ll({-3, -2}), {});
  EXPECT_EQ(rec.pred, 1);
  EXPECT_EQ(rec.correct, false);
}

TEST(TaskScoring, GreedyLanguageModelling) {
  Item it;
  it.style = PromptStyle::kCloze;
  it.question = "He opened the";
  it.choices = {"door"};
  it.metric = McMetric::kGreedy;
  it.gold = 0;
  const Suite s = OneItem(it);
  const ItemRequests req = BuildRequests(s, 0, {});
  ASSERT_EQ(req.loglik.size(), 1u);
  EXPECT_EQ(req.loglik[0].continuation, " door");
  EXPECT_EQ(ScoreItem(s, 0, req, Ll({-5.0}, true), {}).correct, true);
  EXPECT_EQ(ScoreItem(s, 0, req, Ll({-0.1}, false), {}).correct, false);
}

}  // namespace
}  // namespace gapbench::suites
