// Prompts against strings written out by hand from lm-evaluation-harness's templates
// (mmlu/default/_default_template_yaml: "{{question.strip()}}\nA. {{choices[0]}}\n...Answer:",
// description "The following are multiple choice questions (with answers) about {subject}.\n\n",
// target_delimiter " ", fewshot_delimiter "\n\n", first_n sampler over dev; gsm8k.yaml:
// "Question: {{question}}\nAnswer:" with target "{{answer}}"), plus shot selection rules and
// scoring the model's responses into records.
#include "suites/prompt.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/hash.h"
#include "suites/loaders.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using testing::TempDir;
using testing::WriteFile;

Suite TinyMmlu(const TempDir& dir) {
  std::filesystem::create_directories(dir / "test");
  std::filesystem::create_directories(dir / "dev");
  WriteFile(dir / "test" / "college_physics_test.csv",
            "\"  What is g?\n\",9.8 m/s^2, 10 N ,1 J,0,A\n");
  WriteFile(dir / "dev" / "college_physics_dev.csv",
            "Unit of force?,N,J,W,Pa,A\n"
            "Unit of energy?,N,J,W,Pa,B\n"
            "Unit of power?,N,J,W,Pa,2\n");
  return LoadSuite(dir.path().string());
}

TEST(Prompt, MmluZeroShotMatchesLme) {
  TempDir dir;
  const Suite s = TinyMmlu(dir);
  const ItemPrompt p = BuildPrompt(s, 0, {});
  // question.strip() removes the spaces and the newline; choices are kept verbatim.
  EXPECT_EQ(p.context,
            "The following are multiple choice questions (with answers) about college physics.\n\n"
            "What is g?\nA. 9.8 m/s^2\nB.  10 N \nC. 1 J\nD. 0\nAnswer:");
  EXPECT_EQ(p.continuations, (std::vector<std::string>{" A", " B", " C", " D"}));
  EXPECT_EQ(p.prompt_hash, HashHex(p.context));
  EXPECT_TRUE(p.shot_ids.empty());
}

TEST(Prompt, MmluFewShotIsFirstNOfDev) {
  TempDir dir;
  const Suite s = TinyMmlu(dir);
  const ItemPrompt p = BuildPrompt(s, 0, {.k = 2});
  EXPECT_EQ(p.context,
            "The following are multiple choice questions (with answers) about college physics.\n\n"
            "Unit of force?\nA. N\nB. J\nC. W\nD. Pa\nAnswer: A\n\n"
            "Unit of energy?\nA. N\nB. J\nC. W\nD. Pa\nAnswer: B\n\n"
            "What is g?\nA. 9.8 m/s^2\nB.  10 N \nC. 1 J\nD. 0\nAnswer:");
  EXPECT_EQ(p.shot_ids,
            (std::vector<std::string>{"college_physics/dev/0", "college_physics/dev/1"}));
  // The same shots for every seed: first_n does not sample.
  EXPECT_EQ(BuildPrompt(s, 0, {.k = 2, .seed = 99}).context, p.context);
  EXPECT_THROW(BuildPrompt(s, 0, {.k = 4}), Error);  // the pool holds 3
}

TEST(Prompt, RealMmluOneShotAbstractAlgebra) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadSuite((data / "mmlu").string());
  const ItemPrompt p = BuildPrompt(s, 0, {.k = 1});
  // dev/abstract_algebra_dev.csv line 1: Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a
  // field.,0,1,2,3,B
  EXPECT_EQ(p.context,
            "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
            "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\n"
            "Answer: B\n\n"
            "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\n"
            "A. 0\nB. 4\nC. 2\nD. 6\nAnswer:");
  // 5-shot works for every item: every subject has 5 dev rows.
  for (size_t i = 0; i < s.items.size(); i += 997)
    EXPECT_EQ(BuildPrompt(s, i, {.k = 5}).shot_ids.size(), 5u);
}

TEST(Prompt, PyStripMatchesPython) {
  EXPECT_EQ(PyStrip(" \t\n x y \r\n"), "x y");
  EXPECT_EQ(PyStrip("\u00a0\u3000x\u2009"), "x");  // NBSP, ideographic space, thin space
  EXPECT_EQ(PyStrip("\x1f"
                    "x"),
            "x");                                // Python: '\x1f'.isspace() is True
  EXPECT_EQ(PyStrip("caf\u00e9"), "caf\u00e9");  // a non-space multibyte end stays
  EXPECT_EQ(PyStrip("   "), "");
}

Suite TinyGsm(const TempDir& dir) {
  WriteFile(dir / "test.jsonl", R"({"question": "Q0?", "answer": "s0\n#### 0"})"
                                "\n"
                                R"({"question": "Q1?", "answer": "s1\n#### 1"})"
                                "\n"
                                R"({"question": "Q2?", "answer": "s2a\ns2b\n#### 2"})"
                                "\n"
                                R"({"question": "Q3?", "answer": "s3\n#### 3"})"
                                "\n");
  return LoadSuite((dir / "test.jsonl").string());
}

TEST(Prompt, Gsm8kLmeTemplateAndSeededShotsExcludingTheItem) {
  TempDir dir;
  const Suite s = TinyGsm(dir);
  EXPECT_EQ(BuildPrompt(s, 0, {}).context, "Question: Q0?\nAnswer:");
  const std::map<std::string, std::string> shot_text = {
      {"gsm8k/1", "Question: Q1?\nAnswer: s1\n#### 1\n\n"},
      {"gsm8k/2", "Question: Q2?\nAnswer: s2a\ns2b\n#### 2\n\n"},
      {"gsm8k/3", "Question: Q3?\nAnswer: s3\n#### 3\n\n"}};
  const ItemPrompt p = BuildPrompt(s, 0, {.k = 2, .seed = 7});
  ASSERT_EQ(p.shot_ids.size(), 2u);
  EXPECT_NE(p.shot_ids[0], p.shot_ids[1]);
  EXPECT_EQ(p.context,
            shot_text.at(p.shot_ids[0]) + shot_text.at(p.shot_ids[1]) + "Question: Q0?\nAnswer:");
  // Deterministic by seed; all three others when k = 3; never the item itself.
  EXPECT_EQ(BuildPrompt(s, 0, {.k = 2, .seed = 7}).shot_ids, p.shot_ids);
  for (size_t i = 0; i < s.items.size(); ++i) {
    const auto ids = BuildPrompt(s, i, {.k = 3, .seed = 1}).shot_ids;
    ASSERT_EQ(ids.size(), 3u);
    for (const auto& id : ids) EXPECT_NE(id, s.items[i].id);
  }
  EXPECT_THROW(BuildPrompt(s, 0, {.k = 4}), Error);
  // Different seeds reach different selections for some item.
  bool differs = false;
  for (uint64_t seed = 0; seed < 20 && !differs; ++seed) {
    differs = BuildPrompt(s, 1, {.k = 1, .seed = seed}).shot_ids !=
              BuildPrompt(s, 1, {.k = 1, .seed = seed + 100}).shot_ids;
  }
  EXPECT_TRUE(differs);
}

TEST(Requests, McOneLoglikPerChoiceAndScoring) {
  TempDir dir;
  const Suite s = TinyMmlu(dir);
  const ItemRequests req = BuildRequests(s, 0, {.k = 1});
  ASSERT_EQ(req.loglik.size(), 4u);
  EXPECT_TRUE(req.gen.empty());
  for (const auto& r : req.loglik) EXPECT_EQ(r.context, req.prompt.context);
  EXPECT_EQ(req.loglik[2].continuation, " C");
  // B has the largest sum; all continuations are 2 characters, so acc_norm agrees.
  const std::vector<LoglikResponse> resp = {{.logprob = -3.0, .n_tokens = 1, .context_tokens = 50},
                                            {.logprob = -0.5, .n_tokens = 1, .context_tokens = 50},
                                            {.logprob = -2.0, .n_tokens = 1, .context_tokens = 50},
                                            {.logprob = -9.0, .n_tokens = 1, .context_tokens = 50}};
  const ItemRecord rec = ScoreItem(s, 0, req, resp, {});
  EXPECT_EQ(rec.pred, 1);
  EXPECT_EQ(rec.pred_norm, 1);
  EXPECT_EQ(rec.prediction, "B");
  EXPECT_EQ(rec.reference, "A");
  EXPECT_EQ(rec.correct, false);
  EXPECT_EQ(rec.tokens_in, 54);
  EXPECT_EQ(rec.suite_hash, s.manifest.content_hash);
  EXPECT_EQ(rec.shot_ids, (std::vector<std::string>{"college_physics/dev/0"}));
  auto zero = resp;
  zero[3].n_tokens = 0;
  EXPECT_THROW(ScoreItem(s, 0, req, zero, {}), Error);
  EXPECT_THROW(ScoreItem(s, 0, req, std::span(resp).first(3), {}), Error);
}

TEST(Requests, GenerationCarriesStopsAndScoresNumerically) {
  TempDir dir;
  const Suite s = TinyGsm(dir);
  GenRequest defaults;
  defaults.max_tokens = 99;
  const ItemRequests req = BuildRequests(s, 2, {}, defaults);
  ASSERT_EQ(req.gen.size(), 1u);
  EXPECT_EQ(req.gen[0].prompt, "Question: Q2?\nAnswer:");
  EXPECT_EQ(req.gen[0].stop, (std::vector<std::string>{"Question:", "</s>", "<|im_end|>"}));
  EXPECT_EQ(req.gen[0].max_tokens, 99);
  const std::vector<Generation> gen = {{.text = " 1 + 1 = 2.\n#### 2.00\n\n",
                                        .prompt_tokens = 8,
                                        .completion_tokens = 12,
                                        .finish_reason = "stop"}};
  const ItemRecord rec = ScoreItem(s, 2, req, {}, gen);
  EXPECT_EQ(rec.correct, true);
  EXPECT_EQ(rec.prediction, "2.00");
  EXPECT_EQ(rec.tokens_in, 8);
  EXPECT_EQ(rec.tokens_out, 12);
  EXPECT_EQ(rec.tags.steps, 2);
}

}  // namespace
}  // namespace gapbench::suites
