// A graded item score (TruthfulQA MC2's record.score, a probability mass in [0, 1]) is the
// item's score in the report, not the 0/1 `correct` that rides along with it.
#include <gtest/gtest.h>

#include "reports/compare.h"
#include "reports/gap_metrics.h"
#include "reports/run_data.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

TEST(GradedScore, Mc2ScoreIsTheItemScore) {
  gapbench::testing::TempDir dir;
  std::vector<std::string> lines = {
      R"({"type":"sweep","id":"sw1","name":"n","git_commit":"abc","gapbench_version":"0.1","machine":"m","started_at":"2024-05-01T00:00:00Z","ended_at":"2024-05-01T01:00:00Z"})",
      R"({"type":"model","id":"m1","alias":"small","size_bytes":1,"file_hash":"f","metadata":{}})",
      R"({"type":"config","hash":"c1","name":"base","canonical":{}})",
      R"({"type":"suite","content_hash":"h1","name":"truthfulqa_mc2","n_items":4})"};
  const double scores[] = {0.2, 0.9, 0.5, 0.6};
  for (int i = 0; i < 4; ++i) {
    suites::ItemRecord r;
    r.item_id = StrCat("truthfulqa_mc2/", i);
    r.suite = "truthfulqa_mc2";
    r.kind = suites::ItemKind::kMultipleChoice;
    r.choice_logprobs = {-1, -2};
    r.gold = 0;
    r.pred = 0;
    r.correct = true;  // the top answer is true every time: acc would say 1.0
    r.score = scores[i];
    lines.push_back(
        StrCat(R"({"type":"item","model":"m1","config":"c1","suite":"truthfulqa_mc2","index":)", i,
               R"(,"record":)", suites::ItemRecordToJson(r), "}"));
  }
  testing::BuildDatabase((dir / "results.sqlite").string(), lines);
  const RunData run = LoadRun(dir.path().string());
  const RunMetrics m = ComputeMetrics(run);
  ASSERT_EQ(m.groups.size(), 1u);
  EXPECT_NEAR(m.groups[0].accuracy.mean.value, (0.2 + 0.9 + 0.5 + 0.6) / 4, 1e-12);
  EXPECT_FALSE(m.groups[0].accuracy.binary);
}

// A one-group run of MC2 records with these graded scores, `correct` true on every item (the top
// answer is a true one), in its own database under `dir`.
RunData Mc2Run(const gapbench::testing::TempDir& dir, const std::string& file,
               const std::vector<double>& scores) {
  std::vector<std::string> lines = {
      R"({"type":"sweep","id":"sw1","name":"n","git_commit":"abc","gapbench_version":"0.1","machine":"m","started_at":"2024-05-01T00:00:00Z","ended_at":"2024-05-01T01:00:00Z"})",
      R"({"type":"model","id":"m1","alias":"small","size_bytes":1,"file_hash":"f","metadata":{}})",
      R"({"type":"config","hash":"c1","name":"base","canonical":{}})",
      StrCat(R"({"type":"suite","content_hash":"h1","name":"truthfulqa_mc2","n_items":)",
             scores.size(), "}")};
  for (size_t i = 0; i < scores.size(); ++i) {
    suites::ItemRecord r;
    r.item_id = StrCat("truthfulqa_mc2/", i);
    r.suite = "truthfulqa_mc2";
    r.kind = suites::ItemKind::kMultipleChoice;
    r.choice_logprobs = {-1, -2};
    r.gold = 0;
    r.pred = 0;
    r.correct = true;
    r.score = scores[i];
    lines.push_back(
        StrCat(R"({"type":"item","model":"m1","config":"c1","suite":"truthfulqa_mc2","index":)", i,
               R"(,"record":)", suites::ItemRecordToJson(r), "}"));
  }
  testing::BuildDatabase((dir / file).string(), lines);
  return LoadRun((dir / file).string());
}

// `gapbench compare` pairs MC2 items on their graded score, a continuous value: the paired
// bootstrap over items, the difference of the mean masses. It read `correct` (1 on both sides
// here), so a drop of the true answers' mass went unseen (McNemar on equal 0/1 scores, diff 0).
TEST(GradedScore, CompareUsesTheMc2ScoreAsAContinuousItemScore) {
  gapbench::testing::TempDir dir;
  std::vector<double> base, cand;
  for (int i = 0; i < 40; ++i) {
    base.push_back(0.55 + 0.01 * (i % 10));
    cand.push_back(base.back() - 0.2 - 0.005 * (i % 3));
  }
  const CompareRun b = ToCompareRun(Mc2Run(dir, "base.sqlite", base));
  const CompareRun c = ToCompareRun(Mc2Run(dir, "cand.sqlite", cand));
  ASSERT_EQ(b.groups.size(), 1u);
  ASSERT_EQ(b.groups[0].items.size(), base.size());
  for (size_t i = 0; i < base.size(); ++i) {
    ASSERT_TRUE(b.groups[0].items[i].score.has_value());
  }
  const Comparison cmp = CompareRuns(b, c);
  ASSERT_EQ(cmp.groups.size(), 1u);
  const GroupComparison& g = cmp.groups[0];
  double mean_diff = 0, mean_base = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    mean_diff += (cand[i] - base[i]) / static_cast<double>(base.size());
    mean_base += base[i] / static_cast<double>(base.size());
  }
  EXPECT_FALSE(g.binary);
  EXPECT_EQ(g.test, "bootstrap");
  EXPECT_NEAR(g.base_accuracy, mean_base, 1e-12);
  EXPECT_NEAR(g.diff.value, mean_diff, 1e-12);
  ASSERT_TRUE(g.diff.ci.has_value());
  EXPECT_LT(g.diff.ci->hi, 0);
  EXPECT_LT(g.p_value, 0.01);
  EXPECT_EQ(g.verdict, Verdict::kRegression);
}

}  // namespace
}  // namespace gapbench::reports
