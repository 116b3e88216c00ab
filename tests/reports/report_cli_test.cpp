// `gapbench report` and `gapbench leaderboard` as real processes over real databases: the four
// files land where documented, a bad path is a clear error, and a leaderboard of two runs holding
// different models equals the report of one database holding both (merge = union of groups).
#include <gtest/gtest.h>

#include "common/json.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;
using gapbench::testing::ReadFile;
using gapbench::testing::RunProcess;
using gapbench::testing::TempDir;

std::vector<std::string> FixtureLines() {
  return testing::SplitLines(
      ReadFile(gapbench::testing::SourceDir() / "tests/fixtures/reports/golden/run.jsonl"));
}

// The fixture without the items of `model` (header lines kept).
std::vector<std::string> Without(const std::string& model) {
  std::vector<std::string> out;
  for (const auto& l : FixtureLines()) {
    if (l.find(StrCat("\"model\":\"", model, "\"")) == std::string::npos) out.push_back(l);
  }
  return out;
}

TEST(ReportCliTest, WritesFourFilesIntoTheRunDirectory) {
  TempDir dir;
  testing::BuildDatabase((dir / "results.sqlite").string(), FixtureLines());
  const auto r = RunProcess({gapbench::testing::GapbenchBin(), "report", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"results.json", "items.jsonl", "report.md", "index.html"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
    EXPECT_FALSE(fs::exists(dir / StrCat(f, ".tmp"))) << f;
  }
  const auto doc = ParseJson(ReadFile(dir / "results.json"), "results.json");
  EXPECT_EQ(doc["schema_version"].GetInt(), 1);
  EXPECT_EQ(doc["groups"].Size(), 15u);
  // --out elsewhere, from the database path: same bytes.
  TempDir out;
  const auto r2 = RunProcess({gapbench::testing::GapbenchBin(), "report",
                              (dir / "results.sqlite").string(), "--out", out.path().string()});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(ReadFile(out / "results.json"), ReadFile(dir / "results.json"));
  EXPECT_EQ(ReadFile(out / "index.html"), ReadFile(dir / "index.html"));
}

TEST(ReportCliTest, BadInputIsAClearError) {
  TempDir dir;
  auto r = RunProcess({gapbench::testing::GapbenchBin(), "report", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);  // input errors exit 2 (README "Exit codes")
  EXPECT_NE(r.err.find("results.sqlite"), std::string::npos) << r.err;
  gapbench::testing::WriteFile(dir / "results.sqlite", "not a database at all");
  r = RunProcess({gapbench::testing::GapbenchBin(), "report", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("results.sqlite"), std::string::npos) << r.err;
  r = RunProcess({gapbench::testing::GapbenchBin(), "leaderboard", dir.path().string()});
  EXPECT_EQ(r.exit_code, 2);  // --out is required
}

// A poisoned shard's reason reaches report.md, one row per shard (an input error fails at once
// and says why; the report used to print "1 poison" and nothing else).
TEST(ReportCliTest, PoisonedShardsAreListedWithTheirReason) {
  TempDir dir;
  const std::string db = (dir / "results.sqlite").string();
  testing::BuildDatabase(db, FixtureLines());
  {
    auto store = ResultsStore::Open(db);
    const std::string sweep_id = store.Sweeps().at(0).id;
    ShardRow s = store.Shards().at(0);
    s.id = "poisonedshard001";
    s.key = "{\"poisoned\":1}";
    s.begin = 100;
    s.end = 110;
    store.AddShards(sweep_id, std::vector<ShardRow>{s});
    store.SetShardState(s.id, ShardState::kPoison, 1,
                        "input error: item x: 6-shot needs 6 examples, found 5", "w1");
  }
  const auto r = RunProcess({gapbench::testing::GapbenchBin(), "report", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = ReadFile(dir / "report.md");
  EXPECT_NE(md.find("## Failed shards"), std::string::npos) << md;
  EXPECT_NE(md.find("| poisonedshard001 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| [100, 110) | 1 | input error: item x: 6-shot needs 6 examples, found 5 |"),
            std::string::npos)
      << md;
  const std::string html = ReadFile(dir / "index.html");
  EXPECT_NE(html.find("<h2>Failed shards</h2>"), std::string::npos);
  EXPECT_NE(html.find("input error: item x: 6-shot needs 6 examples, found 5"), std::string::npos);
}

TEST(ReportCliTest, LeaderboardOfTwoRunsEqualsOneRunWithBoth) {
  TempDir a, b, both, out, ref;
  testing::BuildDatabase((a / "results.sqlite").string(), Without("big00002"));
  testing::BuildDatabase((b / "results.sqlite").string(), Without("tiny0001"));
  testing::BuildDatabase((both / "results.sqlite").string(), FixtureLines());
  const auto bin = gapbench::testing::GapbenchBin();
  auto r = RunProcess(
      {bin, "leaderboard", a.path().string(), b.path().string(), "--out", out.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunProcess({bin, "report", both.path().string(), "--out", ref.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto merged = ParseJson(ReadFile(out / "results.json"), "merged");
  const auto single = ParseJson(ReadFile(ref / "results.json"), "single");
  // Each run holds all 15 shards of the sweep (a shard is counted per run), so compare content:
  // the groups, gaps and Pareto fronts, and every item line.
  for (const char* key : {"groups", "gaps", "pareto", "models", "configurations"}) {
    rapidjson::StringBuffer x, y;
    JsonWriter wx(x), wy(y);
    merged[key].Accept(wx);
    single[key].Accept(wy);
    EXPECT_STREQ(x.GetString(), y.GetString()) << key;
  }
  EXPECT_EQ(ReadFile(out / "items.jsonl"), ReadFile(ref / "items.jsonl"));
  // The same run twice: every record is a duplicate of the first copy, numbers unchanged.
  TempDir twice;
  r = RunProcess({bin, "leaderboard", both.path().string(), both.path().string(), "--out",
                  twice.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(twice / "items.jsonl"), ReadFile(ref / "items.jsonl"));
  const auto t = ParseJson(ReadFile(twice / "results.json"), "twice");
  EXPECT_EQ(t["shards"]["duplicate_records"].GetInt(),
            static_cast<int>(testing::SplitLines(ReadFile(ref / "items.jsonl")).size()));
}

}  // namespace
}  // namespace gapbench::reports
