// Golden test: the committed fixture tests/fixtures/reports/golden/run.jsonl is loaded into a real
// results database and must produce byte-identical results.json, report.md and items.jsonl
// (committed next to it). The outputs carry no clock, no machine paths and no hash-map order, so
// any difference is a change in the numbers or the format: review it, then regenerate with
//   GAPBENCH_UPDATE_GOLDEN=1 build/tests/reports/report_golden_test
// Also: the same fixture inserted in reverse order gives the same bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "reports/gap_metrics.h"
#include "reports/items_jsonl.h"
#include "reports/markdown.h"
#include "reports/results_json.h"
#include "reports/run_data.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;
using gapbench::testing::ReadFile;
using gapbench::testing::SourceDir;
using gapbench::testing::TempDir;

fs::path GoldenDir() { return SourceDir() / "tests/fixtures/reports/golden"; }

struct Outputs {
  std::string results, report, items;
};

Outputs Render(const std::vector<std::string>& lines) {
  TempDir dir;
  const std::string db = (dir / "results.sqlite").string();
  testing::BuildDatabase(db, lines);
  const auto run = LoadRun(db);
  const auto metrics = ComputeMetrics(run);
  return {ResultsJson(run, metrics), MarkdownReport(run, metrics), ItemsJsonl(run)};
}

void CheckGolden(const std::string& name, const std::string& actual) {
  const fs::path path = GoldenDir() / name;
  const char* update = std::getenv("GAPBENCH_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    gapbench::testing::WriteFile(path, actual);
    std::printf("updated %s\n", path.c_str());
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing; run with GAPBENCH_UPDATE_GOLDEN=1";
  const std::string expected = ReadFile(path);
  if (expected == actual) return;
  // Point at the first differing line rather than dumping two large files.
  const auto a = testing::SplitLines(expected), b = testing::SplitLines(actual);
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  ADD_FAILURE() << name << " differs from the golden file at line " << i + 1
                << ":\n  golden: " << (i < a.size() ? a[i] : "<end>")
                << "\n  actual: " << (i < b.size() ? b[i] : "<end>")
                << "\nIf the change is intended: GAPBENCH_UPDATE_GOLDEN=1 " << name;
}

TEST(ReportGoldenTest, FixtureGivesTheCommittedBytes) {
  const auto lines = testing::SplitLines(ReadFile(GoldenDir() / "run.jsonl"));
  ASSERT_GT(lines.size(), 100u);
  const auto out = Render(lines);
  CheckGolden("results.json", out.results);
  CheckGolden("report.md", out.report);
  CheckGolden("items.jsonl", out.items);
}

TEST(ReportGoldenTest, InsertionOrderDoesNotMatter) {
  auto lines = testing::SplitLines(ReadFile(GoldenDir() / "run.jsonl"));
  const auto first_item = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("\"type\":\"item\"") != std::string::npos;
  });
  const auto a = Render(lines);
  std::reverse(first_item, lines.end());
  const auto b = Render(lines);
  EXPECT_EQ(a.results, b.results);
  EXPECT_EQ(a.report, b.report);
  EXPECT_EQ(a.items, b.items);
}

TEST(ReportGoldenTest, OutputsHaveNoClockOrPaths) {
  const auto out = Render(testing::SplitLines(ReadFile(GoldenDir() / "run.jsonl")));
  // The only timestamps are the sweep's own; the database's temporary path never appears.
  for (const std::string* s : {&out.results, &out.report, &out.items}) {
    EXPECT_EQ(s->find("/tmp"), std::string::npos);
    EXPECT_EQ(s->find("results.sqlite"), std::string::npos);
    size_t pos = 0, stamps = 0;
    while ((pos = s->find("T12:", pos)) != std::string::npos) ++stamps, ++pos;
    size_t years = 0;
    pos = 0;
    while ((pos = s->find("2024-", pos)) != std::string::npos) ++years, ++pos;
    EXPECT_EQ(years, stamps);  // every date is one of the sweep's two recorded times
  }
  EXPECT_NE(out.results.find("\"schema_version\": 1"), std::string::npos);
}

}  // namespace
}  // namespace gapbench::reports
