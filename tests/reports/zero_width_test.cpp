// No zero-width intervals and no MDD of 0 (issue 10, "Statistics a reviewer would accept"): every
// statistic fed the data that used to collapse its interval — a proportion of 0 or 1, all-equal
// fractional scores, identical paired outcomes, all-equal scores against a covariate, one
// cluster value — and every renderer (report.md, results.json, index.html, compare) scanned for
// an interval [x, x] or an MDD of 0. Expected bounds are worked by hand in the comments
// (u = z²/(n + z²), the Wilson limit for 0 of n; docs/STATISTICS.md "All-equal data").
#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"
#include "reports/cluster.h"
#include "reports/compare.h"
#include "reports/gap.h"
#include "reports/gap_metrics.h"
#include "reports/html.h"
#include "reports/markdown.h"
#include "reports/paired.h"
#include "reports/pass_at_k.h"
#include "reports/power.h"
#include "reports/proportion.h"
#include "reports/regression.h"
#include "reports/results_json.h"
#include "reports/run_data.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

constexpr double kZ = 1.959963984540054;
double U(int n) { return kZ * kZ / (n + kZ * kZ); }  // Wilson upper limit for 0 of n

void ExpectWidth(const std::optional<Interval>& ci, const char* what) {
  ASSERT_TRUE(ci.has_value()) << what;
  EXPECT_LT(ci->lo, ci->hi) << what << ": [" << ci->lo << ", " << ci->hi << "]";
}

TEST(ZeroWidth, ProportionAtZeroOrOneCarriesWilsonInMeanToo) {
  const std::vector<double> ones(8, 1.0);
  const AccuracySummary s = Accuracy(ones);
  // Before: mean.ci was the Wald [1, 1]. Now it is Wilson [8/(8 + z²), 1].
  ExpectWidth(s.mean.ci, "mean.ci at p = 1");
  EXPECT_NEAR(s.mean.ci->lo, 8 / (8 + kZ * kZ), 1e-15);
  EXPECT_EQ(s.mean.ci_method, kCiWilson);
  EXPECT_EQ(*s.mean.se, 0.0);
}

TEST(ZeroWidth, AllEqualFractionalScoresGetTheBound) {
  // Ten items, each 3 of 5 samples right: mean 0.6, CLT SE 0. Bound [0.6 − 0.6u, 0.6 + 0.4u].
  const std::vector<double> v(10, 0.6);
  const AccuracySummary s = Accuracy(v);
  ExpectWidth(s.ci, "fractional all-equal");
  EXPECT_NEAR(s.ci.lo, 0.6 - 0.6 * U(10), 1e-15);
  EXPECT_NEAR(s.ci.hi, 0.6 + 0.4 * U(10), 1e-15);
  EXPECT_EQ(s.method, IntervalMethod::kBound);
  EXPECT_STREQ(IntervalMethodName(s.method), kCiBound);
}

TEST(ZeroWidth, PairedDifferenceWithNoDiscordantPair) {
  // Identical outcomes on 8 items: d = 0, |d̄| ≤ share of items that could differ ≤ u(8).
  const std::vector<double> a = {1, 0, 1, 1, 0, 1, 1, 0};
  const PairedDifference d = PairedDiff(a, a);
  ExpectWidth(d.diff.ci, "no discordant pair");
  EXPECT_NEAR(d.diff.ci->lo, -U(8), 1e-15);
  EXPECT_NEAR(d.diff.ci->hi, U(8), 1e-15);
  EXPECT_EQ(d.diff.ci_method, kCiBound);
  // All 8 discordant one way: d̄ = 1, bound [1 − 2u, 1].
  const std::vector<double> ones(8, 1.0), zeros(8, 0.0);
  const PairedDifference all = PairedDiff(ones, zeros);
  ExpectWidth(all.diff.ci, "all discordant one way");
  EXPECT_NEAR(all.diff.ci->lo, 1 - 2 * U(8), 1e-15);
  EXPECT_EQ(all.diff.ci->hi, 1.0);
  // Clustered version: the bound counts clusters (3), not items.
  const std::vector<std::string> ids = {"x", "x", "y", "y", "z", "z", "z", "z"};
  const PairedDifference c = PairedDiff(a, a, 0.95, ids);
  ExpectWidth(c.diff.ci, "clustered, no discordant pair");
  EXPECT_NEAR(c.diff.ci->hi, U(3), 1e-15);
}

TEST(ZeroWidth, PairedBootstrapOfConstantDifferences) {
  const std::vector<double> a = {1, 0, 1, 1, 0};
  const PairedBootstrapResult r = PairedBootstrap(a, a, {.resamples = 200});
  EXPECT_LT(r.ci.lo, r.ci.hi);
  EXPECT_EQ(r.ci_method, kCiBound);
  EXPECT_NEAR(r.ci.hi, U(5), 1e-15);
}

TEST(ZeroWidth, ClusteredMeanOfEqualScoresAndEqualClusterMeans) {
  const std::vector<double> ones(6, 1.0);
  const std::vector<std::string> ids = {"a", "a", "b", "b", "c", "c"};
  const ClusteredMean all = ClusteredMeanOf(ones, ids);
  ExpectWidth(all.mean.ci, "clustered all correct");
  EXPECT_NEAR(all.mean.ci->lo, 1 - U(3), 1e-15);  // three clusters are the units
  // Scores differ but each cluster's mean is the overall mean: the sandwich is 0. Not estimable.
  const std::vector<double> half = {1, 0, 1, 0, 0, 1};
  const ClusteredMean same = ClusteredMeanOf(half, ids);
  EXPECT_FALSE(same.mean.ci.has_value());
  EXPECT_NE(same.mean.note.find("not estimable at G = 3"), std::string::npos) << same.mean.note;
}

TEST(ZeroWidth, SlopeOfAllEqualScoresIsNotEstimable) {
  const std::vector<double> x = {1, 1, 2, 2, 3, 3, 4, 4}, y(8, 1.0);
  const SlopeFit f = OlsSlope(x, y);
  EXPECT_EQ(f.slope, 0.0);
  EXPECT_FALSE(f.slope_hc1.ci.has_value());
  EXPECT_FALSE(f.slope_hc3.ci.has_value());
  EXPECT_NE(f.slope_hc1.note.find("not estimable at n = 8"), std::string::npos) << f.slope_hc1.note;
  // Right at x = 1, wrong at x = 2: an exact line, every residual 0.
  const std::vector<double> x2 = {1, 1, 1, 2, 2, 2}, y2 = {1, 1, 1, 0, 0, 0};
  const SlopeFit g = OlsSlope(x2, y2);
  EXPECT_EQ(g.slope, -1.0);
  EXPECT_FALSE(g.slope_hc1.ci.has_value());
  EXPECT_NE(g.slope_hc1.note.find("not estimable at n = 6"), std::string::npos);
}

TEST(ZeroWidth, PassAtKWithEveryTaskSolved) {
  const std::vector<TaskSamples> tasks = {{5, 5}, {5, 4}, {5, 5}};  // pass@2 = 1 for each
  const Estimate e = PassAtK(tasks, 2);
  EXPECT_EQ(e.value, 1.0);
  ExpectWidth(e.ci, "pass@2 all solved");
  EXPECT_NEAR(e.ci->lo, 1 - U(3), 1e-15);
}

TEST(ZeroWidth, GapsOfAllCorrectSplitsUseMover) {
  const std::vector<double> id(10, 1.0), ood(6, 1.0);
  const Estimate gap = AccuracyGap(id, ood);
  ExpectWidth(gap.ci, "gap of two all-correct splits");
  // MOVER with Wilson inputs (Newcombe): [0 − hypot(1 − l1, 0), 0 + hypot(0, 1 − l2)].
  EXPECT_NEAR(gap.ci->lo, -U(10), 1e-15);
  EXPECT_NEAR(gap.ci->hi, U(6), 1e-15);
  EXPECT_EQ(gap.ci_method, kCiMover);
  // Two Wald inputs still give exactly the Wald interval.
  const std::vector<double> a = {1, 0, 1, 1}, b = {0, 0, 1, 0};
  const Estimate wald = AccuracyGap(a, b);
  EXPECT_EQ(wald.ci_method, kCiWald);
  EXPECT_NEAR(wald.ci->hi - wald.value, kZ * std::sqrt(0.1875 / 4 + 0.1875 / 4), 1e-15);
  // The difference-in-differences of identical models: both paired differences are bounds.
  const GapDifference did = GapDifferenceInDifferences(a, a, b, b);
  ExpectWidth(did.did.ci, "DiD of identical models");
}

TEST(ZeroWidth, MinimumDetectableDifferenceIsNeverZero) {
  // Paired, no discordant item (sd 0): one discordant item of n under H0, sd = 1/√n → δ/n.
  const double delta = Noncentrality(0.05, 0.8);
  EXPECT_NEAR(MinimumDetectableDifferencePaired(0, 8), delta / 8, 1e-15);
  // Unpaired at p = 1: p is kept at 1 − 1/n.
  EXPECT_NEAR(MinimumDetectableDifferenceUnpaired(1.0, 10, 10), delta * std::sqrt(0.9 * 0.1 * 0.2),
              1e-15);
  EXPECT_THROW(MinimumDetectableDifference(0), Error);
}

// ---- renderers ----

// Every "[lo, hi]" of numbers in a text; a zero-width one is reported.
std::vector<std::string> ZeroWidthIntervals(const std::string& text) {
  static const std::regex re(R"(\[([-+]?[0-9]+\.[0-9]+), ([-+]?[0-9]+\.[0-9]+)\])");
  std::vector<std::string> bad;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    if (std::stod((*it)[1].str()) >= std::stod((*it)[2].str())) bad.push_back((*it)[0].str());
  }
  return bad;
}

// Every "ci"/"wilson" pair of lo >= hi and every "mdd" <= 0 in a JSON document.
void ScanJson(const rapidjson::Value& v, const std::string& path, std::vector<std::string>& bad) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      const std::string key = m.name.GetString();
      const std::string p = path + "." + key;
      if ((key == "ci" || key == "wilson" || key == "diff_ci") && m.value.IsArray()) {
        if (!(m.value[0].GetDouble() < m.value[1].GetDouble())) bad.push_back(p);
      }
      if (key == "mdd" && m.value.IsNumber() && !(m.value.GetDouble() > 0)) bad.push_back(p);
      ScanJson(m.value, p, bad);
    }
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      ScanJson(v[i], path + "[" + std::to_string(i) + "]", bad);
    }
  }
}

// A small run with every degenerate case: model "same" answers exactly like "other" on suite
// "easy" (all correct for both), and its step-tagged items are all correct.
std::vector<std::string> DegenerateFixture() {
  std::vector<std::string> lines = {
      R"({"type":"model","id":"m1","alias":"one","size_bytes":100,"file_hash":"f1","metadata":{"parameters":10}})",
      R"({"type":"model","id":"m2","alias":"two","size_bytes":200,"file_hash":"f2","metadata":{"parameters":20}})",
      R"({"type":"config","hash":"c1","name":"base","canonical":{}})",
      R"({"type":"suite","content_hash":"s-easy","name":"easy","n_items":8})",
      R"({"type":"suite","content_hash":"s-ood","name":"easy-ood","n_items":4})",
  };
  for (const char* model : {"m1", "m2"}) {
    for (int i = 0; i < 8; ++i) {
      lines.push_back(StrCat(
          R"({"type":"item","model":")", model, R"(","config":"c1","suite":"s-easy","index":)", i,
          R"(,"record":{"item_id":"e)", i,
          R"(","suite":"easy","suite_hash":"s-easy","kind":"multiple_choice","tags":{"split":"id","family":"easy","steps":)",
          1 + i % 4, R"(,"fact_frequency":)", i < 4 ? 5 : 500,
          R"(},"gold":0,"pred":0,"pred_norm":0,"choice_logprobs":[-1,-2,-3,-4],"correct":true,"correct_norm":true},"timing":{"latency_s":0.1}})"));
    }
    for (int i = 0; i < 4; ++i) {
      lines.push_back(StrCat(
          R"({"type":"item","model":")", model, R"(","config":"c1","suite":"s-ood","index":)", i,
          R"(,"record":{"item_id":"o)", i,
          R"(","suite":"easy-ood","suite_hash":"s-ood","kind":"multiple_choice","tags":{"split":"ood","family":"easy"},"gold":0,"pred":0,"pred_norm":0,"choice_logprobs":[-1,-2],"correct":true,"correct_norm":true},"timing":{"latency_s":0.1}})"));
    }
  }
  return lines;
}

struct Rendered {
  RunData run;
  RunMetrics metrics;
  std::string md, json, html;
};

Rendered Render(const std::vector<std::string>& lines) {
  gapbench::testing::TempDir dir;
  const std::string db = (dir / "results.sqlite").string();
  testing::BuildDatabase(db, lines);
  Rendered r;
  r.run = LoadRun(db);
  r.metrics = ComputeMetrics(r.run);
  r.md = MarkdownReport(r.run, r.metrics);
  r.json = ResultsJson(r.run, r.metrics);
  r.html = HtmlReport(r.run, r.metrics, {});
  return r;
}

void ExpectNoZeroWidth(const Rendered& r, const char* name) {
  EXPECT_EQ(ZeroWidthIntervals(r.md), std::vector<std::string>{}) << name << " report.md";
  EXPECT_EQ(ZeroWidthIntervals(r.html), std::vector<std::string>{}) << name << " index.html";
  std::vector<std::string> bad;
  ScanJson(ParseJson(r.json, "results.json"), "", bad);
  EXPECT_EQ(bad, std::vector<std::string>{}) << name << " results.json";
  // The MDD column of report.md: never 0.000.
  EXPECT_EQ(r.md.find("| 0.000 |\n"), std::string::npos) << name;
}

TEST(ZeroWidthRender, DegenerateRunHasNoZeroWidthIntervalAnywhere) {
  const Rendered r = Render(DegenerateFixture());
  ExpectNoZeroWidth(r, "degenerate");
  // The slope of all-correct items says why it has no interval, with the real n.
  EXPECT_NE(r.md.find("not estimable at n = 8"), std::string::npos) << r.md;
  // The paired knowledge difference of identical models names its method.
  EXPECT_NE(r.md.find("(all-equal bound)"), std::string::npos);
  EXPECT_NE(r.json.find("\"ci_method\": \"all-equal bound\""), std::string::npos);
}

TEST(ZeroWidthRender, GoldenFixtureHasNoZeroWidthIntervalAnywhere) {
  const Rendered r = Render(testing::SplitLines(gapbench::testing::ReadFile(
      gapbench::testing::SourceDir() / "tests/fixtures/reports/golden/run.jsonl")));
  ExpectNoZeroWidth(r, "golden");
}

TEST(ZeroWidthRender, CompareOfIdenticalRunsHasAnIntervalAndAnMdd) {
  CompareGroup binary, fractional;
  binary.key.model_id = fractional.key.model_id = "m";
  binary.key.suite_hash = "s1";
  fractional.key.suite_hash = "s2";
  for (int i = 0; i < 12; ++i) {
    binary.items.push_back({StrCat("q", i), 0, i % 3 ? 1.0 : 0.0, 0, 0});
    for (int s = 0; s < 2; ++s) {  // two samples per item: per-item means 0.5 → bootstrap
      fractional.items.push_back({StrCat("q", i), s, s == 0 ? 1.0 : 0.0, 0, 0});
    }
  }
  const CompareRun run{"run", {binary, fractional}, 0};
  const Comparison c = CompareRuns(run, run);
  ASSERT_EQ(c.groups.size(), 2u);
  for (const auto& g : c.groups) {
    ExpectWidth(g.diff.ci, g.test.c_str());
    EXPECT_GT(g.mdd, 0) << g.test;
    EXPECT_EQ(g.diff.ci_method, kCiBound) << g.test;
  }
  EXPECT_EQ(ZeroWidthIntervals(RenderCompareMarkdown(c)), std::vector<std::string>{});
  std::vector<std::string> bad;
  ScanJson(ParseJson(RenderCompareJson(c), "compare json"), "", bad);
  EXPECT_EQ(bad, std::vector<std::string>{});
}

}  // namespace
}  // namespace gapbench::reports
