// One standard-error convention in `gapbench eval` and `gapbench report` (issue 10): the same
// records, once summarised by eval itself and once stored in a results database and summarised by
// the report, give the same accuracy, SE and interval. Real processes: eval runs a committed
// fixture model on an MMLU folder written here, its --out records become the database, and
// `gapbench report` writes results.json. (Before: eval divided by n − 1, the report by n.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;
using gapbench::testing::GapbenchBin;
using gapbench::testing::ReadFile;
using gapbench::testing::RunProcess;
using gapbench::testing::TempDir;

void WriteMmlu(const fs::path& dir) {
  fs::create_directories(dir / "dev");
  fs::create_directories(dir / "test");
  for (const char* subject : {"astronomy", "virology"}) {
    std::string dev, test;
    for (int i = 0; i < 5; ++i) {
      dev += StrCat("Dev question ", i, " about ", subject, "?,one,two,three,four,",
                    static_cast<char>('A' + i % 4), "\n");
    }
    for (int i = 0; i < 5; ++i) {
      test += StrCat("\"Which, of these ", i, "?\",red,green,blue,yellow,",
                     static_cast<char>('A' + (i + 1) % 4), "\n");
    }
    gapbench::testing::WriteFile(dir / "dev" / StrCat(subject, "_dev.csv"), dev);
    gapbench::testing::WriteFile(dir / "test" / StrCat(subject, "_test.csv"), test);
  }
}

// `n_subjects` subjects of `per_subject` test items each (5 dev items each for the shots).
void WriteManySubjects(const fs::path& dir, int n_subjects, int per_subject) {
  fs::create_directories(dir / "dev");
  fs::create_directories(dir / "test");
  for (int s = 0; s < n_subjects; ++s) {
    const std::string subject = StrCat("subject", static_cast<char>('a' + s));
    std::string dev, test;
    for (int i = 0; i < 5; ++i) {
      dev += StrCat("Dev ", i, " on ", subject, "?,one,two,three,four,",
                    static_cast<char>('A' + i % 4), "\n");
    }
    for (int i = 0; i < per_subject; ++i) {
      test += StrCat("\"Pick ", s, "-", i, " of these?\",red,green,blue,yellow,",
                     static_cast<char>('A' + (s + i) % 4), "\n");
    }
    gapbench::testing::WriteFile(dir / "dev" / StrCat(subject, "_dev.csv"), dev);
    gapbench::testing::WriteFile(dir / "test" / StrCat(subject, "_test.csv"), test);
  }
}

// Writes the eval records of `records` into a results database in `dir` as a worker would and
// runs `gapbench report` on it; returns results.json's first group.
rapidjson::Document ReportOf(const fs::path& dir, const fs::path& records,
                             const std::string& suite_hash, int n_items) {
  std::vector<std::string> lines = {
      R"({"type":"model","id":"m","alias":"fixture","size_bytes":1,"file_hash":"f"})",
      R"({"type":"config","hash":"c","name":"base","canonical":{}})",
      StrCat(R"({"type":"suite","content_hash":")", suite_hash,
             R"(","name":"mmlu","format":"mmlu","n_items":)", n_items, "}")};
  int index = 0;
  for (const auto& line : testing::SplitLines(ReadFile(records))) {
    if (line.empty()) continue;
    lines.push_back(StrCat(R"({"type":"item","model":"m","config":"c","suite":")", suite_hash,
                           R"(","index":)", index++, R"(,"record":)", line, "}"));
  }
  testing::BuildDatabase((dir / "results.sqlite").string(), lines);
  const auto rep = RunProcess({GapbenchBin(), "report", dir.string()});
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  auto results = ParseJson(ReadFile(dir / "results.json"), "results.json");
  rapidjson::Document group;
  group.CopyFrom(results["groups"][0], group.GetAllocator());
  return group;
}

// Items that share a subject are not independent: from 10 subjects on the report's headline
// interval is the clustered one. eval summarises through the same code, so it shows the same
// interval under the same name (before: eval always printed the iid Wilson interval).
TEST(EvalReportSe, EvalShowsTheReportsHeadlineIntervalForClusteredItems) {
  TempDir dir;
  WriteManySubjects(dir / "mmlu", 12, 3);
  const fs::path records = dir / "records.jsonl";
  const std::string model =
      (gapbench::testing::EngineFixtureDir() / "llama-untied-q8_0.gguf").string();
  const auto ev =
      RunProcess({GapbenchBin(), "eval", "--model", model, "--suite", (dir / "mmlu").string(),
                  "--out", records.string(), "--json", "--threads", "2"});
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  const auto eval = ParseJson(ev.out, "eval --json");
  ASSERT_EQ(eval["n_items"].GetUint64(), 36u);
  const auto group = ReportOf(dir.path(), records, eval["suite_hash"].GetString(), 36);
  const auto& acc = group["accuracy"];
  ASSERT_EQ(std::string(acc["ci_method"].GetString()), "clustered");
  EXPECT_DOUBLE_EQ(eval["accuracy"].GetDouble(), acc["value"].GetDouble());
  EXPECT_EQ(std::string(eval["accuracy_ci_method"].GetString()), "clustered");
  EXPECT_NEAR(eval["accuracy_ci"][0].GetDouble(), acc["ci"][0].GetDouble(),
              1e-9);  // results.json: 10 digits
  EXPECT_NEAR(eval["accuracy_ci"][1].GetDouble(), acc["ci"][1].GetDouble(), 1e-9);
}

TEST(EvalReportSe, EvalAndReportPrintTheSameStandardErrorAndInterval) {
  TempDir dir;
  WriteMmlu(dir / "mmlu");
  const fs::path records = dir / "records.jsonl";
  const std::string model =
      (gapbench::testing::EngineFixtureDir() / "llama-untied-q8_0.gguf").string();
  const auto ev =
      RunProcess({GapbenchBin(), "eval", "--model", model, "--suite", (dir / "mmlu").string(),
                  "--out", records.string(), "--json", "--threads", "2"});
  ASSERT_EQ(ev.exit_code, 0) << ev.err;
  const auto eval = ParseJson(ev.out, "eval --json");
  const double se_eval = eval["accuracy_se"].GetDouble();
  const double acc = eval["accuracy"].GetDouble();
  const double n = static_cast<double>(eval["n_items"].GetUint64());
  ASSERT_EQ(n, 10);
  // A zero SE would make the comparison vacuous; the fixture model gets some right, some wrong.
  ASSERT_GT(acc, 0);
  ASSERT_LT(acc, 1);

  // The same records, as a worker would store them.
  std::vector<std::string> lines = {
      R"({"type":"model","id":"m","alias":"fixture","size_bytes":1,"file_hash":"f"})",
      R"({"type":"config","hash":"c","name":"base","canonical":{}})",
      StrCat(R"({"type":"suite","content_hash":")", eval["suite_hash"].GetString(),
             R"(","name":"mmlu","format":"mmlu","n_items":10})")};
  int index = 0;
  for (const auto& line : testing::SplitLines(ReadFile(records))) {
    if (line.empty()) continue;
    lines.push_back(StrCat(R"({"type":"item","model":"m","config":"c","suite":")",
                           eval["suite_hash"].GetString(), R"(","index":)", index++,
                           R"(,"record":)", line, "}"));
  }
  testing::BuildDatabase((dir / "results.sqlite").string(), lines);
  const auto rep = RunProcess({GapbenchBin(), "report", dir.path().string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const auto results = ParseJson(ReadFile(dir / "results.json"), "results.json");
  const auto& iid = results["groups"][0]["accuracy"]["iid"];
  EXPECT_DOUBLE_EQ(iid["value"].GetDouble(), acc);
  // The convention both follow: plug-in SE sqrt(p(1 − p)/n) (docs/STATISTICS.md).
  EXPECT_NEAR(se_eval, std::sqrt(acc * (1 - acc) / n), 1e-12);
  EXPECT_NEAR(iid["se"].GetDouble(), se_eval, 1e-9);
  // And the same interval, named the same way.
  EXPECT_NEAR(iid["ci"][0].GetDouble(), eval["accuracy_ci"][0].GetDouble(), 1e-9);
  EXPECT_NEAR(iid["ci"][1].GetDouble(), eval["accuracy_ci"][1].GetDouble(), 1e-9);
  EXPECT_EQ(std::string(iid["method"].GetString()), eval["accuracy_ci_method"].GetString());
}

}  // namespace
}  // namespace gapbench::reports
