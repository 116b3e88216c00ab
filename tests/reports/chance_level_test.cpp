// Chance level beside multiple-choice accuracies (issue 10): a suite whose items have 4 and 2
// choices (chance = mean of 1/k = (1/4 + 1/2)/2 = 0.375 by hand), one with 4 choices only (0.25)
// and a generation suite (no chance level), through a real results database into report.md,
// results.json and index.html (a dashed reference line in the accuracy chart).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "reports/gap_metrics.h"
#include "reports/html.h"
#include "reports/markdown.h"
#include "reports/results_json.h"
#include "reports/run_data.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

std::string Item(const std::string& suite, int i, int choices, bool correct) {
  std::string logprobs = "[";
  for (int c = 0; c < choices; ++c) logprobs += StrCat(c ? "," : "", -1 - c);
  logprobs += "]";
  const std::string kind = choices > 0 ? "multiple_choice" : "generation";
  return StrCat(R"({"type":"item","model":"m","config":"c","suite":")", suite, R"(","index":)", i,
                R"(,"record":{"item_id":")", suite, "-", i, R"(","suite":")", suite,
                R"(","suite_hash":")", suite, R"(","kind":")", kind,
                R"(","tags":{},"gold":0,"pred":)", correct ? 0 : 1,
                choices > 0 ? StrCat(R"(,"choice_logprobs":)", logprobs) : "", R"(,"correct":)",
                correct ? "true" : "false", "}}");
}

TEST(ChanceLevel, ShownBesideMultipleChoiceAccuracyEverywhere) {
  std::vector<std::string> lines = {
      R"({"type":"model","id":"m","alias":"model","size_bytes":1,"file_hash":"f"})",
      R"({"type":"config","hash":"c","name":"base","canonical":{}})",
      R"({"type":"suite","content_hash":"mixed","name":"mixed","n_items":8})",
      R"({"type":"suite","content_hash":"four","name":"four","n_items":6})",
      R"({"type":"suite","content_hash":"gen","name":"gen","n_items":5})"};
  for (int i = 0; i < 8; ++i) lines.push_back(Item("mixed", i, i % 2 ? 2 : 4, i % 3 == 0));
  for (int i = 0; i < 6; ++i) lines.push_back(Item("four", i, 4, i < 4));
  for (int i = 0; i < 5; ++i) lines.push_back(Item("gen", i, 0, i < 2));
  gapbench::testing::TempDir dir;
  testing::BuildDatabase((dir / "results.sqlite").string(), lines);
  const RunData run = LoadRun((dir / "results.sqlite").string());
  const RunMetrics m = ComputeMetrics(run);

  // results.json: groups in suite-name order four, gen, mixed.
  const auto doc = ParseJson(ResultsJson(run, m), "results.json");
  ASSERT_EQ(doc["groups"].Size(), 3u);
  EXPECT_EQ(std::string(doc["groups"][0]["suite_name"].GetString()), "four");
  EXPECT_DOUBLE_EQ(doc["groups"][0]["chance"].GetDouble(), 0.25);
  EXPECT_TRUE(doc["groups"][1]["chance"].IsNull());  // generation: no chance level
  EXPECT_DOUBLE_EQ(doc["groups"][2]["chance"].GetDouble(), 0.375);

  // report.md: a "chance" column right of the accuracy's CI method.
  const std::string md = MarkdownReport(run, m);
  EXPECT_NE(md.find("| accuracy | 95% CI | CI method | chance |"), std::string::npos) << md;
  EXPECT_NE(md.find("| wilson | 0.375 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| wilson | 0.250 |"), std::string::npos) << md;

  // index.html: a table column and a dashed line at chance in the two multiple-choice charts.
  const std::string html = HtmlReport(run, m);
  EXPECT_NE(html.find("data-key=\"chance\""), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\" data-value=\"0.375\">0.375</td>"), std::string::npos);
  size_t lines_drawn = 0;
  for (size_t p = html.find("<line class=\"ref\""); p != std::string::npos;
       p = html.find("<line class=\"ref\"", p + 1)) {
    ++lines_drawn;
  }
  EXPECT_EQ(lines_drawn, 2u);
  EXPECT_NE(html.find("chance 0.375"), std::string::npos);
  EXPECT_NE(html.find("chance 0.250"), std::string::npos);
}

}  // namespace
}  // namespace gapbench::reports
