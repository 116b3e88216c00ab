// The small − large gap rows of a model zoo: with three models every pair is compared (the
// smaller first), and the rows of a synthetic world's suites are grouped by family -- through a
// real results database into the metrics, results.json and report.md.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "reports/gap_metrics.h"
#include "reports/markdown.h"
#include "reports/results_json.h"
#include "reports/run_data.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

// Model `q` (0 small .. 2 large) answers item `i` correctly by a fixed formula; better models and
// id items are right more often.
bool Correct(int q, int i, bool ood) { return (i * 7 + q * 3) % 5 < (ood ? 1 : 2) + q; }

std::string Item(const std::string& model, int q, const std::string& suite, int i) {
  const bool ood = i % 2 == 1;
  const bool knowledge = suite == "world.knowledge";
  const std::string tags =
      knowledge ? StrCat(R"({"split":")", ood ? "ood" : "id",
                         R"(","family":"knowledge","fact_frequency":)", (i / 2) % 4 * 10 + 1, "}")
                : StrCat(R"({"split":")", i % 8 < 4 ? "id" : "ood",
                         R"(","family":"reasoning","steps":)", i % 8 + 1, "}");
  const bool ok = Correct(q, i, knowledge ? ood : i % 8 >= 4);
  const std::string kind = knowledge ? "multiple_choice" : "generation";
  return StrCat(R"({"type":"item","model":")", model, R"(","config":"c","suite":")", suite,
                R"(","index":)", i, R"(,"record":{"item_id":")", suite, "/", i, R"(","suite":")",
                suite, R"(","suite_hash":")", suite, R"(","kind":")", kind, R"(","tags":)", tags,
                R"(,"gold":0,"pred":)", ok ? 0 : 1,
                knowledge ? R"(,"choice_logprobs":[-1,-2,-3,-4])" : "", R"(,"correct":)",
                ok ? "true" : "false", "}}");
}

TEST(ModelPairs, EveryPairSmallerFirstGroupedByFamily) {
  std::vector<std::string> lines = {
      R"({"type":"config","hash":"c","name":"base","canonical":{}})",
      R"({"type":"suite","content_hash":"world.knowledge","name":"world.knowledge","n_items":40})",
      R"({"type":"suite","content_hash":"world.reasoning","name":"world.reasoning","n_items":40})"};
  const std::vector<std::pair<std::string, int>> models = {{"l", 2}, {"s", 0}, {"m", 1}};
  const int params[] = {1000000, 5000000, 20000000};
  for (const auto& [alias, q] : models) {
    lines.push_back(StrCat(R"({"type":"model","id":")", alias, R"(","alias":")", alias,
                           R"(","size_bytes":1,"file_hash":")", alias,
                           R"(","metadata":{"parameters":)", params[q], "}}"));
  }
  for (const auto& [alias, q] : models) {
    for (const char* suite : {"world.knowledge", "world.reasoning"}) {
      for (int i = 0; i < 40; ++i) lines.push_back(Item(alias, q, suite, i));
    }
  }
  gapbench::testing::TempDir dir;
  testing::BuildDatabase((dir / "results.sqlite").string(), lines);
  const RunData run = LoadRun((dir / "results.sqlite").string());
  const RunMetrics m = ComputeMetrics(run);

  // Three pairs in size order, the smaller first.
  ASSERT_EQ(m.pairs.size(), 3u);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"s", "m"}, {"s", "l"}, {"m", "l"}};
  for (size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(m.pairs[p].small_alias, want[p].first);
    EXPECT_EQ(m.pairs[p].large_alias, want[p].second);
  }
  EXPECT_EQ(m.small_model_alias, "s");
  EXPECT_EQ(m.large_model_alias, "l");

  // Generalisation: one row per family and pair, families in order, pairs in size order; the
  // paired difference of the gaps is gap(small) − gap(large), each gap from the arm's own row.
  ASSERT_EQ(m.generalisation_diff.size(), 6u);
  for (size_t r = 0; r < 6; ++r) {
    const auto& d = m.generalisation_diff[r];
    EXPECT_EQ(d.family, r < 3 ? "knowledge" : "reasoning");
    EXPECT_EQ(d.small_alias, want[r % 3].first);
    EXPECT_EQ(d.large_alias, want[r % 3].second);
    EXPECT_TRUE(d.paired);
    double gap_small = 0, gap_large = 0;
    for (const auto& g : m.generalisation) {
      if (g.family != d.family) continue;
      if (g.arm.model_alias == d.small_alias) gap_small = g.gap.value;
      if (g.arm.model_alias == d.large_alias) gap_large = g.gap.value;
    }
    EXPECT_NEAR(d.gap_small.value, gap_small, 1e-12);
    EXPECT_NEAR(d.diff.value, gap_small - gap_large, 1e-12);
    ASSERT_TRUE(d.diff.ci.has_value());
  }
  // Reasoning and knowledge: one row per pair, filed under the suite's family.
  ASSERT_EQ(m.reasoning_diff.size(), 3u);
  ASSERT_EQ(m.knowledge_diff.size(), 3u);
  for (size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(m.reasoning_diff[p].family, "reasoning");
    EXPECT_EQ(m.reasoning_diff[p].small_alias, want[p].first);
    EXPECT_NEAR(m.reasoning_diff[p].diff.value,
                m.reasoning_diff[p].slope_small.value - m.reasoning_diff[p].slope_large.value,
                1e-15);
    EXPECT_EQ(m.knowledge_diff[p].family, "knowledge");
    EXPECT_EQ(m.knowledge_diff[p].large_alias, want[p].second);
    EXPECT_FALSE(m.knowledge_diff[p].rows.empty());
  }

  const auto doc = ParseJson(ResultsJson(run, m), "results.json");
  ASSERT_EQ(doc["gaps"]["pairs"].Size(), 3u);
  EXPECT_STREQ(doc["gaps"]["pairs"][2]["small_model_alias"].GetString(), "m");
  EXPECT_STREQ(doc["gaps"]["generalisation_small_minus_large"][4]["large_model_alias"].GetString(),
               "l");
  EXPECT_STREQ(doc["gaps"]["reasoning_small_minus_large"][0]["family"].GetString(), "reasoning");
  const std::string md = MarkdownReport(run, m);
  EXPECT_NE(md.find("| knowledge | s | m | base |"), std::string::npos) << md;
  EXPECT_NE(md.find("| reasoning | m | l | base |"), std::string::npos) << md;
  EXPECT_NE(md.find("every pair of the 3 models"), std::string::npos) << md;
}

}  // namespace
}  // namespace gapbench::reports
