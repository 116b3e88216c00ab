// `gapbench suites` as a real process: validate exits 0 on the real data sets with the counts,
// and non-zero with every bad line (file:line) on a broken file; show/list shapes; bad usage.
#include <gtest/gtest.h>

#include "common/json.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;

TEST(SuitesCli, ValidateRealData) {
  GB_REQUIRE_SHARED_DATA(data);
  struct Case {
    std::string path;
    std::string items;
  };
  for (const Case& c : {Case{(data / "mmlu").string(), "14042"},
                        Case{(data / "humaneval" / "HumanEval.jsonl.gz").string(), "164"},
                        Case{(data / "gsm8k" / "test.jsonl").string(), "1319"}}) {
    const auto r = RunProcess({GapbenchBin(), "suites", "validate", c.path});
    EXPECT_EQ(r.exit_code, 0) << c.path << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("items         " + c.items + " "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("content_hash  "), std::string::npos);
    EXPECT_NE(r.out.find("valid"), std::string::npos);
  }
  const auto j =
      RunProcess({GapbenchBin(), "suites", "validate", "--json", (data / "mmlu").string()});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = ParseJson(j.out, "validate --json");
  EXPECT_TRUE(doc["valid"].GetBool());
  EXPECT_EQ(doc["manifest"]["items"].GetUint64(), 14042u);
  EXPECT_EQ(doc["manifest"]["subjects"].MemberCount(), 57u);
  EXPECT_EQ(std::string(doc["manifest"]["content_hash"].GetString()).size(), 16u);
}

TEST(SuitesCli, ValidateReportsEveryBadLine) {
  testing::TempDir dir;
  const auto path = dir / "broken.jsonl";
  testing::WriteFile(
      path,
      R"({"kind":"generation","id":"a","prompt":"1+1=","reference":"2","match":"numeric"})"
      "\n"
      R"({"kind":"generation","id":"b","prompt":"1+1=","reference":"2")"
      "\n"  // 2: cut short
      R"({"kind":"generation","id":"c","prompt":"1+1=","reference":"2","match":"fuzzy"})"
      "\n"
      R"({"kind":"generation","id":"d","prompt":"1+1=","reference":"2"})"
      "\n");
  const auto r = RunProcess({GapbenchBin(), "suites", "validate", path.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find(path.string() + ":2: invalid JSON"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(path.string() + ":3: unknown match 'fuzzy'"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(":1:"), std::string::npos);
  EXPECT_EQ(r.out.find(":4:"), std::string::npos);
  EXPECT_NE(r.err.find("2 problem(s)"), std::string::npos) << r.err;

  // A broken MMLU CSV: the bad record's line, not the first line of the file.
  std::filesystem::create_directories(dir / "mmlu" / "test");
  testing::WriteFile(dir / "mmlu" / "test" / "virology_test.csv",
                     "Q1?,a,b,c,d,A\n\"Q2\nspans lines\",a,b,c,d,B\nQ3?,a,b,c,d,X\n");
  const auto m = RunProcess({GapbenchBin(), "suites", "validate", (dir / "mmlu").string()});
  EXPECT_NE(m.exit_code, 0);
  EXPECT_NE(m.out.find("virology_test.csv:4: answer 'X'"), std::string::npos) << m.out;
}

TEST(SuitesCli, ShowAndList) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto r = RunProcess({GapbenchBin(), "suites", "show",
                             (data / "gsm8k" / "test.jsonl").string(), "--limit", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = ParseJson(r.out, "show --json");
  ASSERT_EQ(doc["items"].Size(), 2u);
  EXPECT_STREQ(doc["items"][0]["reference"].GetString(), "18");
  EXPECT_EQ(doc["items"][0]["tags"]["steps"].GetInt(), 2);
  EXPECT_STREQ(doc["manifest"]["format"].GetString(), "gsm8k");

  const auto t =
      RunProcess({GapbenchBin(), "suites", "show", (data / "mmlu").string(), "--limit", "1"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("about abstract algebra.\n\nFind the degree"), std::string::npos) << t.out;

  const auto l = RunProcess({GapbenchBin(), "suites", "list", "--data-dir", data.string()});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  for (const char* name : {"mmlu", "humaneval", "gsm8k"}) {
    EXPECT_NE(l.out.find(name), std::string::npos) << l.out;
  }
  EXPECT_NE(l.out.find("14042"), std::string::npos);
}

TEST(SuitesCli, LmEvalTaskNames) {
  GB_REQUIRE_SHARED_DATA(data);
  const auto l = RunProcess({GapbenchBin(), "suites", "list", "--data-dir", data.string()});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  for (const char* line : {"arc_challenge", "truthfulqa_mc2", "winogrande", "piqa", "boolq"}) {
    EXPECT_NE(l.out.find(line), std::string::npos) << l.out;
  }
  // A name brings its format: the same file is MC1 by detection and MC2 by name.
  const auto v = RunProcess({GapbenchBin(), "suites", "validate", "truthfulqa_mc2", "--data-dir",
                             data.string(), "--json"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  const auto doc = ParseJson(v.out, "validate --json");
  EXPECT_STREQ(doc["manifest"]["format"].GetString(), "truthfulqa_mc2") << v.out;
  EXPECT_EQ(doc["manifest"]["items"].GetInt(), 817);
  // show prints a partial-evaluation item with its gold context and the shared continuation.
  const auto w = RunProcess(
      {GapbenchBin(), "suites", "show", "winogrande", "--data-dir", data.string(), "--limit", "1"});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_NE(w.out.find("than Maria so Maria always got the easier cases.    <- gold"),
            std::string::npos)
      << w.out;
}

TEST(SuitesCli, BadUsage) {
  EXPECT_NE(RunProcess({GapbenchBin(), "suites"}).exit_code, 0);
  const auto u = RunProcess({GapbenchBin(), "suites", "frobnicate"});
  EXPECT_NE(u.exit_code, 0);
  EXPECT_NE(u.err.find("unknown subcommand"), std::string::npos);
  const auto m = RunProcess({GapbenchBin(), "suites", "validate", "/no/such/suite.jsonl"});
  EXPECT_EQ(m.exit_code, 2);
  EXPECT_NE(m.err.find("/no/such/suite.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace gapbench
