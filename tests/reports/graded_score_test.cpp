// A graded item score (TruthfulQA MC2's record.score, a probability mass in [0, 1]) is the
// item's score in the report, not the 0/1 `correct` that rides along with it.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace gapbench::reports
