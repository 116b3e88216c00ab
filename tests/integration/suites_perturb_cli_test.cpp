// `gapbench suites perturb` as a real process: byte-identical output per seed, output that
// `suites validate` accepts and `gapbench eval` runs on a fixture model (few-shot pool included),
// and exit 2 with FILE:LINE on a malformed source or a kind that does not fit. The whole real
// test sets are perturbed in suites_perturb_real_slow_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

namespace fs = std::filesystem;
using testing::GapbenchBin;
using testing::RunProcess;

std::string Model() { return (testing::EngineFixtureDir() / "llama-untied-q8_0.gguf").string(); }

// An MMLU folder in the published layout: two subjects, 5 dev shots and 4 test rows each.
void WriteMmlu(const fs::path& dir) {
  fs::create_directories(dir / "dev");
  fs::create_directories(dir / "test");
  for (const char* subject : {"astronomy", "virology"}) {
    std::string dev, test;
    for (int i = 0; i < 5; ++i) {
      dev += StrCat("Dev question ", i, " about ", subject, "?,one,two,three,four,",
                    static_cast<char>('A' + i % 4), "\n");
    }
    for (int i = 0; i < 4; ++i) {
      test += StrCat("\"Which, of these ", i, "?\",red,green,blue,yellow,",
                     static_cast<char>('A' + (i + 1) % 4), "\n");
    }
    testing::WriteFile(dir / "dev" / StrCat(subject, "_dev.csv"), dev);
    testing::WriteFile(dir / "test" / StrCat(subject, "_test.csv"), test);
  }
}

void WriteGsm8k(const fs::path& file) {
  fs::create_directories(file.parent_path());
  testing::WriteFile(
      file,
      R"({"question": "Janet has 3 apples. Tom gives her 4 more. How many apples does Janet have?", "answer": "Janet has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"})"
      "\n"
      R"({"question": "A box holds 6 pens. How many pens are in 2 boxes?", "answer": "6 * 2 = <<6*2=12>>12\n#### 12"})"
      "\n"
      R"({"question": "Maria walks 5 miles in Boston. Then she walks 2 more. How far did Maria walk?", "answer": "5 + 2 = <<5+2=7>>7\n#### 7"})"
      "\n");
}

testing::ProcessResult Perturb(const fs::path& suite, const char* kind, const char* seed,
                               const fs::path& out, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {GapbenchBin(),  "suites", "perturb",   "--suite",
                                   suite.string(), "--kind", kind,        "--seed",
                                   seed,           "--out",  out.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

TEST(SuitesPerturbCli, DeterministicValidAndEvaluable) {
  testing::TempDir dir;
  WriteMmlu(dir / "mmlu");
  WriteGsm8k(dir / "gsm8k" / "test.jsonl");
  struct Case {
    fs::path suite;
    const char* kind;
    std::vector<std::string> eval_extra;
  };
  const std::vector<Case> cases = {
      {dir / "mmlu", "choice-permutation", {"--fewshot", "2"}},
      {dir / "mmlu", "format-shift", {"--fewshot", "2"}},
      {dir / "gsm8k" / "test.jsonl", "irrelevant-clause", {"--fewshot", "1", "--max-tokens", "4"}},
      {dir / "gsm8k" / "test.jsonl", "name-substitution", {"--fewshot", "1", "--max-tokens", "4"}},
      {dir / "gsm8k" / "test.jsonl", "format-shift", {"--max-tokens", "4"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.kind);
    const fs::path a = dir / "a.jsonl", b = dir / "b.jsonl", other = dir / "c.jsonl";
    auto r = Perturb(c.suite, c.kind, "7", a);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("wrote"), std::string::npos) << r.err;
    ASSERT_EQ(Perturb(c.suite, c.kind, "7", b).exit_code, 0);
    ASSERT_EQ(Perturb(c.suite, c.kind, "8", other).exit_code, 0);
    EXPECT_EQ(testing::ReadFile(a), testing::ReadFile(b));
    EXPECT_NE(testing::ReadFile(a), testing::ReadFile(other));

    const auto v = RunProcess({GapbenchBin(), "suites", "validate", "--json", a.string()});
    ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
    const auto doc = ParseJson(v.out, "validate");
    EXPECT_EQ(doc["manifest"]["splits"]["ood"].GetUint64(), doc["manifest"]["items"].GetUint64());
    if (c.suite.filename() == "mmlu") {
      EXPECT_EQ(doc["manifest"]["fewshot"].GetUint64(), 10u);  // the dev shots came along
    }

    std::vector<std::string> eval = {GapbenchBin(),
                                     "eval",
                                     "--model",
                                     Model(),
                                     "--suite",
                                     a.string(),
                                     "--json",
                                     "--threads",
                                     "2",
                                     "--out",
                                     (dir / "records.jsonl").string()};
    eval.insert(eval.end(), c.eval_extra.begin(), c.eval_extra.end());
    const auto e = RunProcess(eval);
    ASSERT_EQ(e.exit_code, 0) << e.err;
    std::istringstream lines(testing::ReadFile(dir / "records.jsonl"));
    std::string line;
    size_t n = 0;
    while (std::getline(lines, line)) {
      const auto rec = ParseJson(line, "record");
      EXPECT_STREQ(rec["tags"]["split"].GetString(), "ood");
      EXPECT_STREQ(rec["tags"]["family"].GetString(),
                   c.suite.filename() == "mmlu" ? "mmlu" : "gsm8k");
      EXPECT_TRUE(rec["correct"].IsBool());
      ++n;
    }
    EXPECT_EQ(n, c.suite.filename() == "mmlu" ? 8u : 3u);
  }
}

TEST(SuitesPerturbCli, BadInputIsExit2WithFileAndLine) {
  testing::TempDir dir;
  WriteGsm8k(dir / "gsm8k" / "test.jsonl");
  // A kind that does not fit: the first item's file:line.
  auto r = Perturb(dir / "gsm8k" / "test.jsonl", "choice-permutation", "1", dir / "o.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("test.jsonl:1: item 'gsm8k/0': choice-permutation needs multiple-choice"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir / "o.jsonl"));
  WriteMmlu(dir / "mmlu");
  r = Perturb(dir / "mmlu", "irrelevant-clause", "1", dir / "o.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("astronomy_test.csv:1: item 'astronomy/0': irrelevant-clause needs"),
            std::string::npos)
      << r.err;
  // Malformed source lines: every one with its line.
  testing::WriteFile(dir / "bad.jsonl", R"({"question": "Q?", "answer": "1\n#### 1"})"
                                        "\n"
                                        R"({"question": "Q?", "answer": "no final answer"})"
                                        "\n"
                                        "{not json\n");
  r = Perturb(dir / "bad.jsonl", "irrelevant-clause", "1", dir / "o.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.jsonl:2: \"answer\" has no \"#### \""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.jsonl:3: invalid JSON"), std::string::npos) << r.err;
  // Options.
  r = Perturb(dir / "mmlu", "shuffle", "1", dir / "o.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown perturbation 'shuffle'"), std::string::npos) << r.err;
  r = Perturb(dir / "mmlu", "format-shift", "1", dir / "o.jsonl", {"--all-rotations"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--all-rotations applies to choice-permutation only"), std::string::npos)
      << r.err;
  r = Perturb(dir / "mmlu", "choice-permutation", "-1", dir / "o.jsonl");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Perturb(dir / "mmlu", "choice-permutation", "1", dir.path());  // --out a folder
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = Perturb(dir / "nowhere.jsonl", "choice-permutation", "1", dir / "o.jsonl");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(dir / "o.jsonl"));
}

// The default suite name truthfulqa_mc2 brings its format, as in `suites show` and sweeps: the
// perturbed items keep MC2's metric and true/false labels (it was read as MC1: one gold answer).
TEST(SuitesPerturbCli, TruthfulqaMc2ByNameStaysMc2) {
  testing::TempDir dir;
  const fs::path data = dir / "data";
  fs::create_directories(data / "truthfulqa");
  testing::WriteFile(data / "truthfulqa" / "mc_task.json",
                     R"([{"question": "Is the sky green?", "mc1_targets": {"No.": 1, "Yes.": 0},
                          "mc2_targets": {"No.": 1, "Never.": 1, "Yes.": 0}},
                         {"question": "Do fish fly?", "mc1_targets": {"Mostly not.": 1, "Yes.": 0},
                          "mc2_targets": {"Mostly not.": 1, "Yes.": 0, "Always.": 0}}])");
  const auto r = RunProcess({GapbenchBin(), "suites", "perturb", "--suite", "truthfulqa_mc2",
                             "--data-dir", data.string(), "--kind", "choice-permutation", "--seed",
                             "3", "--out", (dir / "o.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(testing::ReadFile(dir / "o.jsonl"));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    if (line.find("\"fewshot\":true") != std::string::npos) continue;
    const rapidjson::Document d = ParseJson(line, "o.jsonl");
    ASSERT_TRUE(d.HasMember("metric")) << line;
    EXPECT_STREQ(d["metric"].GetString(), "mc2") << line;
    ASSERT_TRUE(d.HasMember("labels")) << line;
    EXPECT_EQ(d["labels"].Size(), 3u) << line;
    ++n;
  }
  EXPECT_EQ(n, 2);
}

}  // namespace
}  // namespace gapbench
