// `gapbench suites exec` as a real process: pass@k over a small hand-made suite (values computed
// by hand from the binomial formula), per-sample JSONL, timeouts counted apart, and bad sample
// lines (the real HumanEval is in suites_exec_humaneval_slow_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench::testing {
namespace {

// Two tasks in HumanEval's JSONL form.
constexpr const char* kSuite =
    R"({"task_id": "T/0", "prompt": "def add(a, b):\n", "canonical_solution": "    return a + b\n", "test": "def check(f):\n    assert f(2, 3) == 5\n    assert f(-1, 1) == 0\n", "entry_point": "add"})"
    "\n"
    R"({"task_id": "T/1", "prompt": "def neg(x):\n", "canonical_solution": "    return -x\n", "test": "def check(f):\n    assert f(4) == -4\n", "entry_point": "neg"})"
    "\n";

std::string SampleLine(const std::string& task, const std::string& completion) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("task_id");
  w.String(task.c_str());
  w.Key("completion");
  w.String(completion.c_str());
  w.EndObject();
  return std::string(buf.GetString()) + "\n";
}

std::vector<rapidjson::Document> ReadJsonLines(const std::filesystem::path& p) {
  std::vector<rapidjson::Document> docs;
  std::istringstream in(ReadFile(p));
  std::string line;
  while (std::getline(in, line)) docs.push_back(ParseJson(line, p.string()));
  return docs;
}

TEST(SuitesExecCli, PassAtKTimeoutsAndPerSampleResults) {
  TempDir dir;
  WriteFile(dir / "suite.jsonl", kSuite);
  // T/0: 2 of 3 correct; T/1: 0 of 3 correct (one wrong, one os._exit(0), one endless loop).
  WriteFile(dir / "samples.jsonl",
            SampleLine("T/0", "    return a + b\n") + SampleLine("T/0", "    return a - b\n") +
                SampleLine("T/0", "    return b + a\n") + SampleLine("T/1", "    return x\n") +
                SampleLine("T/1", "    import os\n    os._exit(0)\n") +
                SampleLine("T/1", "    while True:\n        pass\n"));
  ProcessResult r =
      RunProcess({GapbenchBin(), "suites", "exec", "--suite", (dir / "suite.jsonl").string(),
                  "--samples", (dir / "samples.jsonl").string(), "--k", "1,2,5", "--timeout", "1",
                  "--out", (dir / "out.jsonl").string(), "--parallel", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document summary = ParseJson(r.out, "stdout");
  // pass@k = mean over tasks of 1 - C(n-c, k)/C(n, k): T/0 (n=3, c=2), T/1 (n=3, c=0).
  EXPECT_NEAR(summary["pass@1"].GetDouble(), (2.0 / 3.0 + 0.0) / 2.0, 1e-12);
  EXPECT_NEAR(summary["pass@2"].GetDouble(), (1.0 - 0.0 / 3.0 + 0.0) / 2.0, 1e-12);
  EXPECT_FALSE(summary.HasMember("pass@5"));  // more than the 3 samples per task
  EXPECT_NE(r.err.find("pass@5 skipped"), std::string::npos) << r.err;
  EXPECT_EQ(summary["n_tasks"].GetInt(), 2);
  EXPECT_EQ(summary["n_samples"].GetInt(), 6);
  EXPECT_EQ(summary["passed"].GetInt(), 2);
  EXPECT_EQ(summary["timeouts"].GetInt(), 1);

  auto lines = ReadJsonLines(dir / "out.jsonl");
  ASSERT_EQ(lines.size(), 6u);
  const char* expected_status[] = {"passed", "failed", "passed", "failed", "failed", "timeout"};
  const int expected_id[] = {0, 1, 2, 0, 1, 2};
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_STREQ(lines[i]["task_id"].GetString(), i < 3 ? "T/0" : "T/1");
    EXPECT_EQ(lines[i]["completion_id"].GetInt(), expected_id[i]);
    EXPECT_STREQ(lines[i]["status"].GetString(), expected_status[i]);
    EXPECT_DOUBLE_EQ(lines[i]["time_limit"].GetDouble(), 1.0);
    EXPECT_GT(lines[i]["duration"].GetDouble(), 0.0);
  }
  // The completion's os._exit(0) ends its own process only: the judge fails (exit code 1).
  EXPECT_EQ(lines[4]["exit_code"].GetInt(), 1);
  EXPECT_NE(std::string(lines[4]["output"].GetString()).find("completion process ended"),
            std::string::npos)
      << lines[4]["output"].GetString();
  EXPECT_NE(std::string(lines[1]["output"].GetString()).find("AssertionError"), std::string::npos);
}

TEST(SuitesExecCli, ScaledTimeLimitsComeFromTheCanonicalRuntime) {
  TempDir dir;
  WriteFile(dir / "suite.jsonl", kSuite);
  WriteFile(dir / "samples.jsonl", SampleLine("T/1", "    return -x\n"));
  ProcessResult r =
      RunProcess({GapbenchBin(), "suites", "exec", "--suite", (dir / "suite.jsonl").string(),
                  "--samples", (dir / "samples.jsonl").string(), "--timeout-floor", "0.5",
                  "--timeout-factor", "1000", "--out", (dir / "out.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = ReadJsonLines(dir / "out.jsonl");
  ASSERT_EQ(lines.size(), 1u);
  // 1000 x a canonical run of a few ms or more: well above the 0.5 s floor, and finite.
  const double limit = lines[0]["time_limit"].GetDouble();
  EXPECT_GT(limit, 0.5);
  EXPECT_LT(limit, 1000.0);
  EXPECT_STREQ(lines[0]["status"].GetString(), "passed");
}

TEST(SuitesExecCli, BadSampleLinesNameTheFileAndLine) {
  TempDir dir;
  WriteFile(dir / "suite.jsonl", kSuite);
  const std::pair<std::string, std::string> cases[] = {
      {"{not json\n", ":2:"},
      {R"({"task_id": "T/0"})"
       "\n",
       "missing \"completion\""},
      {R"({"task_id": 3, "completion": ""})"
       "\n",
       "\"task_id\" must be a string"},
      {R"({"task_id": "T/9", "completion": ""})"
       "\n",
       "'T/9' is not in the suite"},
  };
  for (const auto& [bad_line, expected] : cases) {
    SCOPED_TRACE(bad_line);
    WriteFile(dir / "samples.jsonl", SampleLine("T/0", "    return a + b\n") + bad_line);
    ProcessResult r =
        RunProcess({GapbenchBin(), "suites", "exec", "--suite", (dir / "suite.jsonl").string(),
                    "--samples", (dir / "samples.jsonl").string(), "--timeout", "2"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find((dir / "samples.jsonl").string() + ":2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace gapbench::testing
