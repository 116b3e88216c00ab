// Prompts against the ones lm-evaluation-harness itself builds for the same small files
// (tests/fixtures/lmeval, written by tools/lmeval_requests.py from LME's mmlu and gsm8k YAMLs:
// "{{question.strip()}}\nA. {{choices[0]}}\n...Answer:", description "The following are multiple
// choice questions (with answers) about {subject}.\n\n", target_delimiter " ", fewshot_delimiter
// "\n\n", first_n sampler over dev; "Question: {{question}}\nAnswer:" with target "{{answer}}"),
// plus shot selection rules and scoring the model's responses into records.
#include "suites/prompt.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "suites/loaders.h"
#include "tests/test_util.h"

namespace gapbench::suites {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::filesystem::path LmEvalDir() { return testing::SourceDir() / "tests" / "fixtures" / "lmeval"; }

// tests/fixtures/lmeval/mmlu_tiny: test/college_physics_test.csv holds one row whose question is
// "  What is g?\n" (quoted) with choices "9.8 m/s^2", " 10 N ", "1 J", "0"; dev/ holds "Unit of
// force?" (A), "Unit of energy?" (B), "Unit of power?" (2, the numeric form of C).
Suite TinyMmlu() { return LoadSuite((LmEvalDir() / "mmlu_tiny").string()); }

// What lm-eval itself builds for item `id` of fixture `name` (tools/lmeval_requests.py): the
// context (the prompt for generation tasks) and the continuations.
struct LmEvalRequest {
  std::string context;
  std::vector<std::string> continuations;
};
LmEvalRequest LmEval(const std::string& name, const std::string& id) {
  const std::string file = (LmEvalDir() / (name + ".json")).string();
  const auto doc = ParseJson(ReadSuiteFile(file), file);
  for (const auto& item : doc["items"].GetArray()) {
    if (std::string_view(item["id"].GetString()) != id) continue;
    LmEvalRequest r;
    r.context = item.HasMember("prompt") ? item["prompt"].GetString() : item["context"].GetString();
    if (item.HasMember("continuations")) {
      for (const auto& c : item["continuations"].GetArray())
        r.continuations.push_back(c.GetString());
    }
    return r;
  }
  Fail(file, ": no item ", id);
}

TEST(Prompt, MmluZeroShotMatchesLme) {
  const Suite s = TinyMmlu();
  const ItemPrompt p = BuildPrompt(s, 0, {});
  // question.strip() removes the spaces and the newline; choices are kept verbatim:
  // "...about college physics.\n\nWhat is g?\nA. 9.8 m/s^2\nB.  10 N \nC. 1 J\nD. 0\nAnswer:"
  const LmEvalRequest lme = LmEval("mmlu_tiny_0shot", "college_physics/0");
  EXPECT_EQ(p.context, lme.context);
  EXPECT_EQ(p.continuations, lme.continuations);
  EXPECT_EQ(p.prompt_hash, HashHex(p.context));
  EXPECT_TRUE(p.shot_ids.empty());
}

TEST(Prompt, MmluFewShotIsFirstNOfDev) {
  const Suite s = TinyMmlu();
  const ItemPrompt p = BuildPrompt(s, 0, {.k = 2});
  // "...physics.\n\nUnit of force?\nA. N\nB. J\nC. W\nD. Pa\nAnswer: A\n\nUnit of energy?..."
  EXPECT_EQ(p.context, LmEval("mmlu_tiny_2shot", "college_physics/0").context);
  EXPECT_EQ(p.shot_ids,
            (std::vector<std::string>{"college_physics/dev/0", "college_physics/dev/1"}));
  // The same shots for every seed: first_n does not sample.
  EXPECT_EQ(BuildPrompt(s, 0, {.k = 2, .seed = 99}).context, p.context);
  EXPECT_THROW(BuildPrompt(s, 0, {.k = 4}), Error);  // the pool holds 3
}

TEST(Prompt, RealMmluFiveShotEverywhere) {
  GB_REQUIRE_SHARED_DATA(data);
  const Suite s = LoadSuite((data / "mmlu").string());
  // The real prompts against lm-eval's own, 0 and 5 shots: lmeval_requests_test.cpp.
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

// tests/fixtures/lmeval/gsm8k_tiny.jsonl: Q0?..Q3? with answers "s0\n#### 0", "s1\n#### 1",
// "s2a\ns2b\n#### 2", "s3\n#### 3"; copied as test.jsonl (the suite is named gsm8k).
Suite TinyGsm(const TempDir& dir) {
  WriteFile(dir / "test.jsonl", ReadSuiteFile((LmEvalDir() / "gsm8k_tiny.jsonl").string()));
  return LoadSuite((dir / "test.jsonl").string());
}

TEST(Prompt, Gsm8kLmeTemplateAndSeededShotsExcludingTheItem) {
  TempDir dir;
  const Suite s = TinyGsm(dir);
  // "Question: Q0?\nAnswer:", as lm-eval's gsm8k.yaml builds it for the same lines.
  const std::string query = LmEval("gsm8k_tiny_0shot", "gsm8k/0").context;
  for (size_t i = 0; i < s.items.size(); ++i) {
    EXPECT_EQ(BuildPrompt(s, i, {}).context, LmEval("gsm8k_tiny_0shot", s.items[i].id).context);
  }
  // Each shot's text ("Question: Q1?\nAnswer: s1\n#### 1\n\n") from lm-eval's 1-shot prompt
  // for item 0 with that line as its only training example.
  std::map<std::string, std::string> shot_text;
  for (int j = 1; j <= 3; ++j) {
    const std::string id = StrCat("gsm8k/", j);
    const std::string lme = LmEval(StrCat("gsm8k_tiny_shot", j), id).context;
    ASSERT_TRUE(lme.ends_with(query));
    shot_text[id] = lme.substr(0, lme.size() - query.size());
  }
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
  const Suite s = TinyMmlu();
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
