// The README's recipe end to end: perturb an MMLU folder and a GSM8K file, sweep a fixture model
// over each original and its perturbed sibling with `gapbench run`, and find the generalisation
// gap rows (family mmlu and gsm8k, id vs ood) in report.md and results.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <tuple>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

namespace fs = std::filesystem;
using testing::GapbenchBin;
using testing::RunProcess;

TEST(SuitesPerturbReport, OriginalAndPerturbedPairInTheGeneralisationGap) {
  testing::TempDir dir;
  fs::create_directories(dir / "mmlu" / "dev");
  fs::create_directories(dir / "mmlu" / "test");
  for (const char* subject : {"astronomy", "virology"}) {
    std::string dev, test;
    for (int i = 0; i < 5; ++i) {
      dev += StrCat("Dev question ", i, " about ", subject, "?,one,two,three,four,",
                    static_cast<char>('A' + i % 4), "\n");
    }
    for (int i = 0; i < 6; ++i) {
      test += StrCat("Which planet or virus ", i, "?,red ", i, ",green,blue,yellow,",
                     static_cast<char>('A' + (i + 1) % 4), "\n");
    }
    testing::WriteFile(dir / "mmlu" / "dev" / StrCat(subject, "_dev.csv"), dev);
    testing::WriteFile(dir / "mmlu" / "test" / StrCat(subject, "_test.csv"), test);
  }
  fs::create_directories(dir / "gsm8k");
  std::string gsm;
  for (int i = 0; i < 6; ++i) {
    gsm += StrCat(R"({"question": "Janet has )", i + 2, R"( apples. Tom gives her )", i + 3,
                  R"( more. How many apples does Janet have?", "answer": "Janet has )", 2 * i + 5,
                  R"( apples.\n#### )", 2 * i + 5, "\"}\n");
  }
  testing::WriteFile(dir / "gsm8k" / "test.jsonl", gsm);

  for (const auto& [suite, kind, out] :
       {std::tuple{dir / "mmlu", "choice-permutation", dir / "mmlu-perm.jsonl"},
        std::tuple{dir / "gsm8k" / "test.jsonl", "irrelevant-clause", dir / "gsm8k-noop.jsonl"}}) {
    const auto r = RunProcess({GapbenchBin(), "suites", "perturb", "--suite", suite.string(),
                               "--kind", kind, "--seed", "1", "--out", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const std::string model = (testing::EngineFixtureDir() / "llama-untied-q8_0.gguf").string();
  testing::WriteFile(dir / "sweep.json", StrCat(R"({"name": "gap",
 "models": [{"alias": "mine", "path": ")",
                                                model, R"("}],
 "engines": [{"name": "base", "config": {}}],
 "suites": [{"name": "mmlu", "path": "mmlu", "format": "mmlu", "fewshot": 2},
            {"name": "mmlu-perm", "path": "mmlu-perm.jsonl", "fewshot": 2},
            {"name": "gsm8k", "path": "gsm8k/test.jsonl", "fewshot": 1, "max_tokens": 4},
            {"name": "gsm8k-noop", "path": "gsm8k-noop.jsonl", "fewshot": 1, "max_tokens": 4}],
 "grid": {"model": ["mine"], "engine": ["base"],
          "suite": ["mmlu", "mmlu-perm", "gsm8k", "gsm8k-noop"]},
 "seed": 1, "shard_size": 4}
)"));
  const auto run = RunProcess({GapbenchBin(), "run", (dir / "sweep.json").string(), "--workers",
                               "1", "--out", (dir / "out").string(), "--heartbeat-ms", "200"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const std::string md = testing::ReadFile(dir / "out" / "report.md");
  const size_t section = md.find("## Generalisation gap");
  ASSERT_NE(section, std::string::npos) << md;
  const std::string gap = md.substr(section, md.find("\n## ", section + 3) - section);
  EXPECT_EQ(gap.find("No suite pair"), std::string::npos) << gap;
  EXPECT_NE(gap.find("| mmlu | 12 | 12 |"), std::string::npos) << gap;
  EXPECT_NE(gap.find("| gsm8k | 6 | 6 |"), std::string::npos) << gap;

  const auto results = ParseJson(testing::ReadFile(dir / "out" / "results.json"), "results.json");
  const auto& rows = results["gaps"]["generalisation"];
  ASSERT_TRUE(rows.IsArray());
  std::map<std::string, std::pair<int64_t, int64_t>> families;
  for (const auto& row : rows.GetArray()) {
    families[row["family"].GetString()] = {row["n_id"].GetInt64(), row["n_ood"].GetInt64()};
  }
  EXPECT_EQ(families, (std::map<std::string, std::pair<int64_t, int64_t>>{{"gsm8k", {6, 6}},
                                                                          {"mmlu", {12, 12}}}));
}

}  // namespace
}  // namespace gapbench
