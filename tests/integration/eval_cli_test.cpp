// gapbench eval end to end, as a user runs it: real processes on the committed fixture models
// with suites written here in the published formats (MMLU CSV folders, GSM8K JSONL, HumanEval
// JSONL), plus the real data when ../shared/data is present.
#include <gtest/gtest.h>

#include <cmath>
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

std::string Model(const char* name) {
  return (testing::EngineFixtureDir() / (std::string(name) + ".gguf")).string();
}

std::vector<rapidjson::Document> ReadRecords(const std::filesystem::path& p) {
  std::vector<rapidjson::Document> out;
  std::istringstream in(testing::ReadFile(p));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(ParseJson(line, p.string()));
  }
  return out;
}

void WriteMmlu(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "dev");
  std::filesystem::create_directories(dir / "test");
  for (const char* subject : {"astronomy", "virology"}) {
    std::string dev, test;
    for (int i = 0; i < 5; ++i) {
      dev += "Dev question " + std::to_string(i) + " about " + subject + "?,one,two,three,four," +
             std::string(1, static_cast<char>('A' + i % 4)) + "\n";
    }
    for (int i = 0; i < 3; ++i) {
      test += "\"Which, of these " + std::to_string(i) + "?\",red,green,blue,yellow," +
              std::string(1, static_cast<char>('A' + (i + 1) % 4)) + "\n";
    }
    testing::WriteFile(dir / "dev" / (std::string(subject) + "_dev.csv"), dev);
    testing::WriteFile(dir / "test" / (std::string(subject) + "_test.csv"), test);
  }
}

TEST(EvalCli, MmluFolderFewShotRecordsAreConsistent) {
  testing::TempDir dir;
  WriteMmlu(dir / "mmlu");
  const auto records = dir / "records.jsonl";
  auto r = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-untied-q8_0"), "--suite",
                       (dir / "mmlu").string(), "--fewshot", "2", "--out", records.string(),
                       "--json", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = ParseJson(r.out, "eval output");
  EXPECT_EQ(s["n_items"].GetUint64(), 6u);
  const auto recs = ReadRecords(records);
  ASSERT_EQ(recs.size(), 6u);
  int correct = 0;
  for (const auto& rec : recs) {
    ASSERT_EQ(rec["choice_logprobs"].Size(), 4u);
    // acc is the argmax of the summed log-likelihoods; all of them are real log-probabilities.
    int best = 0;
    for (rapidjson::SizeType c = 0; c < 4; ++c) {
      EXPECT_LT(rec["choice_logprobs"][c].GetDouble(), 0.0);
      if (rec["choice_logprobs"][c].GetDouble() > rec["choice_logprobs"][best].GetDouble())
        best = static_cast<int>(c);
    }
    EXPECT_EQ(rec["pred"].GetInt(), best);
    EXPECT_EQ(rec["correct"].GetBool(), best == rec["gold"].GetInt());
    correct += rec["correct"].GetBool() ? 1 : 0;
    EXPECT_EQ(rec["shot_ids"].Size(), 2u);
  }
  EXPECT_NEAR(s["accuracy"].GetDouble(), correct / 6.0, 1e-12);
  EXPECT_GT(s["accuracy_se"].GetDouble(), 0.0);
  // Prefix reuse: fewer tokens evaluated than the prompts hold.
  EXPECT_LT(s["tokens_evaluated"].GetInt64(), s["tokens_in"].GetInt64());
}

TEST(EvalCli, Gsm8kGenerationAndHumanEvalInTheSandbox) {
  testing::TempDir dir;
  testing::WriteFile(
      dir / "gsm.jsonl",
      R"({"question": "Tom has 2 apples and buys 3. How many?", "answer": "2+3=5\n#### 5"})"
      "\n"
      R"({"question": "What is 10 minus 4?", "answer": "10-4=6\n#### 6"})"
      "\n");
  auto g = RunProcess({GapbenchBin(), "eval", "--model", Model("qwen2-tied-f32"), "--suite",
                       (dir / "gsm.jsonl").string(), "--format", "gsm8k", "--max-tokens", "16",
                       "--json", "--out", (dir / "g.jsonl").string()});
  ASSERT_EQ(g.exit_code, 0) << g.err;
  auto gs = ParseJson(g.out, "eval output");
  EXPECT_EQ(gs["n_items"].GetUint64(), 2u);
  EXPECT_EQ(ReadRecords(dir / "g.jsonl").size(), 2u);

  // Two code tasks whose completions (from a random tiny model) cannot pass: pass@1 = 0, and the
  // sandbox runs them without harm.
  testing::WriteFile(
      dir / "he.jsonl",
      R"({"task_id": "T/0", "prompt": "def add(a, b):\n", "canonical_solution": "    return a + b\n", "test": "def check(f):\n    assert f(1, 2) == 3\n", "entry_point": "add"})"
      "\n"
      R"({"task_id": "T/1", "prompt": "def neg(a):\n", "canonical_solution": "    return -a\n", "test": "def check(f):\n    assert f(1) == -1\n", "entry_point": "neg"})"
      "\n");
  auto h = RunProcess({GapbenchBin(), "eval", "--model", Model("qwen2-tied-f32"), "--suite",
                       (dir / "he.jsonl").string(), "--format", "humaneval", "--max-tokens", "12",
                       "--samples", "2", "--temperature", "0.7", "--k", "1,2", "--json",
                       "--timeout", "5"});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  auto hs = ParseJson(h.out, "eval output");
  EXPECT_EQ(hs["pass@1"].GetDouble(), 0.0);
  EXPECT_EQ(hs["pass@2"].GetDouble(), 0.0);
}

TEST(EvalCli, BadInputIsAClearError) {
  testing::TempDir dir;
  auto missing = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-tied-f32"), "--suite",
                             (dir / "none.jsonl").string()});
  EXPECT_EQ(missing.exit_code, 2);  // an input error (README "Exit codes")
  EXPECT_NE(missing.err.find("none.jsonl"), std::string::npos) << missing.err;
  testing::WriteFile(dir / "x.jsonl", R"({"question": "q", "answer": "no marker"})"
                                      "\n");
  auto bad = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-tied-f32"), "--suite",
                         (dir / "x.jsonl").string(), "--format", "gsm8k"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("x.jsonl"), std::string::npos) << bad.err;
  auto k = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-tied-f32"), "--suite",
                       (dir / "x.jsonl").string(), "--k", "5"});
  EXPECT_EQ(k.exit_code, 2);
}

// Few-shot examples come from the whole suite whatever --limit says (as in a sweep's shards):
// item 0 gets the same shots with --limit 4 and --limit 10, and --limit 2 --fewshot 2 works on a
// suite whose shots are drawn from its own items.
TEST(EvalCli, LimitDoesNotChangeTheFewShotDraw) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 12; ++i) {
    text += "{\"kind\":\"multiple_choice\",\"id\":\"q" + std::to_string(i) +
            "\",\"question\":\"Which is " + std::to_string(i) +
            "?\",\"choices\":[\"a\",\"b\",\"c\",\"d\"],\"gold\":" + std::to_string(i % 4) + "}\n";
  }
  testing::WriteFile(dir / "s.jsonl", text);
  auto shots_of_item0 = [&](const char* limit, const char* fewshot) {
    const auto out = dir / (std::string("r") + limit + ".jsonl");
    auto r = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-tied-f32"), "--suite",
                         (dir / "s.jsonl").string(), "--limit", limit, "--fewshot", fewshot,
                         "--out", out.string(), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto recs = ReadRecords(out);
    EXPECT_EQ(recs.size(), static_cast<size_t>(std::stoi(limit)));
    std::vector<std::string> ids;
    if (recs.empty()) return ids;
    for (const auto& s : recs[0]["shot_ids"].GetArray()) ids.emplace_back(s.GetString());
    return ids;
  };
  const auto four = shots_of_item0("4", "3");
  const auto ten = shots_of_item0("10", "3");
  EXPECT_EQ(four.size(), 3u);
  EXPECT_EQ(four, ten);
  EXPECT_EQ(shots_of_item0("2", "2").size(), 2u);
}

// Prompts longer than the model's context (the fixture's training context is 128 positions) are
// left-truncated, counted per record (truncated_tokens) and in the summary; --ctx raises it.
TEST(EvalCli, PromptsPastTheContextAreTruncatedAndCounted) {
  testing::TempDir dir;
  WriteMmlu(dir / "mmlu");
  const auto records = dir / "records.jsonl";
  auto r =
      RunProcess({GapbenchBin(), "eval", "--model", Model("llama-untied-q8_0"), "--suite",
                  (dir / "mmlu").string(), "--fewshot", "5", "--out", records.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = ParseJson(r.out, "eval output");
  ASSERT_TRUE(s.HasMember("truncated_items")) << r.out;
  EXPECT_EQ(s["truncated_items"].GetUint64(), 6u);
  EXPECT_EQ(s["context"].GetInt64(), 128);
  for (const auto& rec : ReadRecords(records)) {
    ASSERT_TRUE(rec.HasMember("truncated_tokens"));
    // What was fed fits: the (truncated) context plus each continuation but its last token.
    int64_t context = rec["tokens_in"].GetInt64();
    for (const auto& c : rec["choice_tokens"].GetArray()) context -= c.GetInt64();
    for (const auto& c : rec["choice_tokens"].GetArray()) {
      EXPECT_LE(context + c.GetInt64() - 1, 128);
    }
    EXPECT_GT(rec["truncated_tokens"].GetInt64(), 0);
  }
  auto wide = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-untied-q8_0"), "--suite",
                          (dir / "mmlu").string(), "--fewshot", "5", "--ctx", "2048", "--json"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  const auto w = ParseJson(wide.out, "eval output");
  EXPECT_EQ(w["truncated_items"].GetUint64(), 0u);
}

// Extra arguments, --limit 0, --out naming a directory: usage errors (exit 2) before any work.
TEST(EvalCli, UsageErrorsExitTwoBeforeAnyWork) {
  testing::TempDir dir;
  WriteMmlu(dir / "mmlu");
  auto extra = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-tied-f32"), "--suite",
                           (dir / "mmlu").string(), "--limit", "2", "extra"});
  EXPECT_EQ(extra.exit_code, 2);
  EXPECT_NE(extra.err.find("unexpected argument 'extra'"), std::string::npos) << extra.err;
  EXPECT_TRUE(extra.out.empty()) << extra.out;
  auto zero = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-tied-f32"), "--suite",
                          (dir / "mmlu").string(), "--limit", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_NE(zero.err.find("--limit"), std::string::npos) << zero.err;
  auto outdir = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-tied-f32"), "--suite",
                            (dir / "mmlu").string(), "--out", dir.path().string()});
  EXPECT_EQ(outdir.exit_code, 2);
  EXPECT_NE(outdir.err.find("is a directory"), std::string::npos) << outdir.err;
}

TEST(EvalCli, RealMmluSubsetRuns) {
  GB_REQUIRE_SHARED_DATA(data);
  auto r = RunProcess({GapbenchBin(), "eval", "--model", Model("llama-untied-q4_0"), "--suite",
                       (data / "mmlu").string(), "--fewshot", "5", "--limit", "6", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = ParseJson(r.out, "eval output");
  EXPECT_EQ(s["n_items"].GetUint64(), 6u);
  EXPECT_GE(s["accuracy"].GetDouble(), 0.0);
}

}  // namespace
}  // namespace gapbench
