// The regression gate's comparison (reports/compare.h) against numbers computed here
// independently: McNemar's exact p from the binomial sum, the paired Wald interval from the
// discordant counts, Holm's adjustment by hand, medians by sorting; record matching, flips,
// verdicts and the rendered summaries.
#include "reports/compare.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace gapbench::reports {
namespace {

constexpr double kZ95 = 1.959963984540054;

CompareKey Key(const std::string& config, const std::string& suite) {
  CompareKey k;
  k.model_id = "model-0001";
  k.model_label = "small";
  k.config_hash = "hash-" + config;
  k.config_label = config;
  k.strategy = "";
  k.suite_hash = "suite-" + suite;
  k.suite_label = suite;
  return k;
}

std::string ItemId(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "q%04d", i);
  return buf;
}

// n binary items; correct[i] says whether item i is right.
CompareGroup Binary(const CompareKey& key, const std::vector<bool>& correct) {
  CompareGroup g;
  g.key = key;
  for (size_t i = 0; i < correct.size(); ++i) {
    g.items.push_back({ItemId(static_cast<int>(i)), 0, correct[i] ? 1.0 : 0.0, 0, 0});
  }
  return g;
}

CompareRun MakeRun(const std::string& source, std::vector<CompareGroup> groups) {
  return CompareRun{source, std::move(groups)};
}

// P(X <= m), X ~ Bin(n, 1/2), from the binomial coefficients built by Pascal's rule (exact in
// double for n <= 50).
double BinomialHalfCdf(int n, int m) {
  std::vector<double> row{1};
  for (int r = 1; r <= n; ++r) {
    std::vector<double> next(r + 1, 1);
    for (int k = 1; k < r; ++k) next[k] = row[k - 1] + row[k];
    row = next;
  }
  double sum = 0;
  for (int k = 0; k <= m; ++k) sum += row[k];
  return sum / std::pow(2.0, n);
}

// Base: items 0..149 right, 150..199 wrong. Candidate: 12 of the right ones become wrong
// (q0010..q0021), 3 of the wrong ones right (q0150..q0152).
struct Planted {
  std::vector<bool> base, cand;
};
Planted PlantedFlips(int n, int right, int c2w, int w2c) {
  Planted p;
  for (int i = 0; i < n; ++i) p.base.push_back(i < right);
  p.cand = p.base;
  for (int i = 0; i < c2w; ++i) p.cand[10 + i] = false;
  for (int i = 0; i < w2c; ++i) p.cand[right + i] = true;
  return p;
}

TEST(CompareTest, McNemarWaldAndFlipsAgainstHandComputation) {
  const Planted p = PlantedFlips(200, 150, 12, 3);
  const Comparison c = CompareRuns(MakeRun("base.sqlite", {Binary(Key("q8", "mmlu"), p.base)}),
                                   MakeRun("cand.sqlite", {Binary(Key("q8", "mmlu"), p.cand)}));
  ASSERT_EQ(c.groups.size(), 1u);
  const GroupComparison& g = c.groups[0];
  EXPECT_EQ(g.test, "mcnemar");
  EXPECT_TRUE(g.binary);
  EXPECT_EQ(g.n_items, 200);
  EXPECT_DOUBLE_EQ(g.base_accuracy, 150.0 / 200);
  EXPECT_DOUBLE_EQ(g.cand_accuracy, 141.0 / 200);
  // diff = (w2c − c2w)/n; SE = sqrt((b + c)/n − (b − c)²/n²)/√n (Agresti's paired Wald SE).
  const double n = 200, b = 12, w = 3;
  const double diff = (w - b) / n;
  const double se = std::sqrt((b + w) / n - (b - w) * (b - w) / (n * n)) / std::sqrt(n);
  EXPECT_NEAR(g.diff.value, diff, 1e-15);
  ASSERT_TRUE(g.diff.se && g.diff.ci);
  EXPECT_NEAR(*g.diff.se, se, 1e-15);
  EXPECT_NEAR(g.diff.ci->lo, diff - kZ95 * se, 1e-12);
  EXPECT_NEAR(g.diff.ci->hi, diff + kZ95 * se, 1e-12);
  // Exact McNemar: 2·P(X ≤ 3), X ~ Bin(15, 1/2) = 2·(1 + 15 + 105 + 455)/32768.
  const double p_exact = 2 * BinomialHalfCdf(15, 3);
  EXPECT_NEAR(p_exact, 2.0 * 576 / 32768, 1e-15);
  EXPECT_NEAR(g.p_value, p_exact, 1e-12 * p_exact);
  EXPECT_DOUBLE_EQ(g.p_adjusted, g.p_value);   // one group: Holm changes nothing
  EXPECT_EQ(g.verdict, Verdict::kRegression);  // p = 0.035 < 0.05 and −0.045 beyond 0.01
  std::vector<std::string> expect_c2w, expect_w2c;
  for (int i = 10; i < 22; ++i) expect_c2w.push_back(ItemId(i));
  for (int i = 150; i < 153; ++i) expect_w2c.push_back(ItemId(i));
  EXPECT_EQ(g.correct_to_wrong, expect_c2w);
  EXPECT_EQ(g.wrong_to_correct, expect_w2c);
  EXPECT_EQ(c.regressions, 1);
  // MDD = δ·sd_diff/√n with sd_diff = √n·SE, δ(0.05, 0.8) = 2.8015818 (STATISTICS.md §4).
  EXPECT_NEAR(g.mdd, 2.8015818 * se, 1e-6);
}

TEST(CompareTest, MinimumEffectAndSignificanceBothNeeded) {
  const Planted p = PlantedFlips(200, 150, 12, 3);  // diff −0.045, p = 0.035
  CompareOptions o;
  o.min_effect = 0.05;  // larger than the observed difference
  EXPECT_EQ(CompareRuns(MakeRun("b", {Binary(Key("q8", "mmlu"), p.base)}),
                        MakeRun("c", {Binary(Key("q8", "mmlu"), p.cand)}), o)
                .groups[0]
                .verdict,
            Verdict::kNoChange);
  o.min_effect = 0.01;
  o.alpha = 0.01;  // p = 0.035 is not significant here
  EXPECT_EQ(CompareRuns(MakeRun("b", {Binary(Key("q8", "mmlu"), p.base)}),
                        MakeRun("c", {Binary(Key("q8", "mmlu"), p.cand)}), o)
                .groups[0]
                .verdict,
            Verdict::kNoChange);
  // Reversed roles: an improvement of the same size.
  o.alpha = 0.05;
  const Comparison r = CompareRuns(MakeRun("b", {Binary(Key("q8", "mmlu"), p.cand)}),
                                   MakeRun("c", {Binary(Key("q8", "mmlu"), p.base)}), o);
  EXPECT_EQ(r.groups[0].verdict, Verdict::kImprovement);
  EXPECT_EQ(r.regressions, 0);
  EXPECT_EQ(r.improvements, 1);
}

TEST(CompareTest, HolmAndBonferroniByHand) {
  // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max(0.06, 0.04).
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const auto holm = AdjustPValues(p, Correction::kHolm);
  const std::vector<double> expect_holm{0.03, 0.06, 0.06, 0.02};
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(holm[i], expect_holm[i], 1e-15) << i;
  const auto bonf = AdjustPValues(p, Correction::kBonferroni);
  const std::vector<double> expect_bonf{0.04, 0.16, 0.12, 0.02};
  for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(bonf[i], expect_bonf[i], 1e-15) << i;
  EXPECT_EQ(AdjustPValues(p, Correction::kNone), p);
  EXPECT_DOUBLE_EQ(AdjustPValues({0.9, 0.8}, Correction::kHolm)[0], 1.0);  // capped at 1
}

TEST(CompareTest, HolmAcrossGroupsCanRemoveASignificance) {
  // Group A alone is a regression at p = 0.035; with a second, unchanged group Holm doubles it.
  const Planted p = PlantedFlips(200, 150, 12, 3);
  std::vector<bool> same(200, true);
  for (int i = 0; i < 50; ++i) same[i] = false;
  const auto base =
      MakeRun("b", {Binary(Key("q8", "mmlu"), p.base), Binary(Key("f16", "mmlu"), same)});
  const auto cand =
      MakeRun("c", {Binary(Key("q8", "mmlu"), p.cand), Binary(Key("f16", "mmlu"), same)});
  const Comparison holm = CompareRuns(base, cand);
  ASSERT_EQ(holm.groups.size(), 2u);
  const double p_exact = 2 * BinomialHalfCdf(15, 3);
  for (const auto& g : holm.groups) {
    if (g.key.config_label == "q8") {
      EXPECT_NEAR(g.p_adjusted, 2 * p_exact, 1e-12);  // rank 1 of m = 2
      EXPECT_EQ(g.verdict, Verdict::kNoChange);
    } else {
      EXPECT_DOUBLE_EQ(g.p_value, 1.0);  // no discordant pair
      EXPECT_EQ(g.verdict, Verdict::kNoChange);
      // Nothing flipped: the MDD is the exact test's floor, 6 one-way flips (2/64 < 0.05).
      EXPECT_DOUBLE_EQ(g.mdd, 6.0 / 200);
    }
  }
  CompareOptions none;
  none.correction = Correction::kNone;
  EXPECT_EQ(CompareRuns(base, cand, none).regressions, 1);
}

TEST(CompareTest, UnmatchedUnscoredAndDuplicateRecordsAreCounted) {
  CompareGroup base, cand;
  base.key = cand.key = Key("q8", "gsm8k");
  for (int i = 0; i < 100; ++i) base.items.push_back({ItemId(i), 0, 1.0, 0, 0});
  for (int i = 5; i < 105; ++i) cand.items.push_back({ItemId(i), 0, 1.0, 0, 0});
  cand.items[0].score.reset();                       // q0005 unscored in the candidate
  cand.items.push_back({ItemId(50), 0, 0.0, 0, 0});  // a repeated (item, sample)
  const Comparison c = CompareRuns(MakeRun("b", {base}), MakeRun("c", {cand}));
  const GroupComparison& g = c.groups[0];
  EXPECT_EQ(g.base_records, 100);
  EXPECT_EQ(g.cand_records, 101);
  EXPECT_EQ(g.base_only, 5);   // q0000..q0004
  EXPECT_EQ(g.cand_only, 5);   // q0100..q0104
  EXPECT_EQ(g.unscored, 1);    // q0005
  EXPECT_EQ(g.duplicates, 1);  // the second q0050 (the first is kept)
  EXPECT_EQ(g.paired_records, 94);
  EXPECT_EQ(g.n_items, 94);
  EXPECT_TRUE(g.correct_to_wrong.empty());
}

TEST(CompareTest, GroupsOnOneSideAreListedAndNoSharedGroupIsAnError) {
  std::vector<bool> v(50, true);
  const Comparison c =
      CompareRuns(MakeRun("b", {Binary(Key("q8", "mmlu"), v), Binary(Key("q4", "mmlu"), v)}),
                  MakeRun("c", {Binary(Key("q8", "mmlu"), v), Binary(Key("q8", "arc"), v)}));
  EXPECT_EQ(c.groups.size(), 1u);
  ASSERT_EQ(c.base_only_groups.size(), 1u);
  EXPECT_EQ(c.base_only_groups[0].config_label, "q4");
  ASSERT_EQ(c.cand_only_groups.size(), 1u);
  EXPECT_EQ(c.cand_only_groups[0].suite_label, "arc");
  try {
    CompareRuns(MakeRun("first.sqlite", {Binary(Key("q8", "mmlu"), v)}),
                MakeRun("second.sqlite", {Binary(Key("q4", "mmlu"), v)}));
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("first.sqlite"), std::string::npos) << msg;
    EXPECT_NE(msg.find("second.sqlite"), std::string::npos) << msg;
  }
  CompareOptions bad;
  bad.alpha = 1.5;
  EXPECT_THROW(CompareRuns(MakeRun("b", {Binary(Key("q8", "mmlu"), v)}),
                           MakeRun("c", {Binary(Key("q8", "mmlu"), v)}), bad),
               Error);
}

TEST(CompareTest, SeveralSamplesPerItemUseTheBootstrapOverItems) {
  // 150 items × 2 samples. Base: both samples right on every item. Candidate: items 0..59 lose
  // sample 1, items 60..79 lose both. Per-item means: 0.5 (60 items), 0 (20), 1 (70).
  CompareGroup base, cand;
  base.key = cand.key = Key("q8", "humaneval");
  for (int i = 0; i < 150; ++i) {
    for (int s = 0; s < 2; ++s) {
      base.items.push_back({ItemId(i), s, 1.0, 0, 0});
      const bool right = i >= 80 || (i < 60 && s == 0);
      cand.items.push_back({ItemId(i), s, right ? 1.0 : 0.0, 0, 0});
    }
  }
  const Comparison c = CompareRuns(MakeRun("b", {base}), MakeRun("c", {cand}));
  const GroupComparison& g = c.groups[0];
  EXPECT_EQ(g.test, "bootstrap");
  EXPECT_FALSE(g.binary);
  EXPECT_EQ(g.n_items, 150);
  const double mean_cand = (60 * 0.5 + 70 * 1.0) / 150;
  EXPECT_NEAR(g.cand_accuracy, mean_cand, 1e-15);
  EXPECT_NEAR(g.diff.value, mean_cand - 1, 1e-15);
  ASSERT_TRUE(g.diff.ci);
  EXPECT_LT(g.diff.ci->lo, g.diff.value);
  EXPECT_LT(g.diff.ci->hi, 0);
  // Every per-item difference is ≤ 0 and the mean is −0.33: no resample reaches 0 shifted to
  // the null, so p is the bootstrap floor 1/(R + 1).
  EXPECT_DOUBLE_EQ(g.p_value, 1.0 / 10001);
  EXPECT_EQ(g.verdict, Verdict::kRegression);
  EXPECT_EQ(g.correct_to_wrong.size(), 60u + 40u);
  EXPECT_EQ(g.correct_to_wrong.front(), "q0000#1");  // records, labelled with their sample
}

TEST(CompareTest, SpeedRatioOfMediansAgainstNoiseAndThreshold) {
  // `repeat` is a seed: groups of one setting that differ only by seed are repeated
  // measurements, and only those are judged (one run's latency on a shared machine is not
  // evidence).
  auto timed = [](double factor, double jitter, int repeat = 0) {
    CompareGroup g;
    g.key = Key("q8", "mmlu");
    g.key.setting = StrCat(R"({"seed":)", repeat, "}");
    for (int i = 0; i < 101; ++i) {
      // Latencies 0.10..0.30 s, a deterministic ±jitter wobble per item.
      const double base = 0.1 + 0.002 * i;
      const double wobble = 1 + jitter * ((i * 37 + repeat * 5) % 11 - 5) / 5.0;
      g.items.push_back({ItemId(i), 0, 1.0, base * factor * wobble, 50});
    }
    return g;
  };
  auto single = [&](double factor, double jitter) {
    return CompareRuns(MakeRun("b", {timed(1, 0)}), MakeRun("c", {timed(factor, jitter)}))
        .groups[0]
        .speed;
  };
  // Three repeats per side; the family's verdict.
  auto judge = [&](double factor, double jitter) {
    std::vector<CompareGroup> b, c;
    for (int r = 1; r <= 3; ++r) {
      b.push_back(timed(1, jitter, r));
      c.push_back(timed(factor, jitter, r));
    }
    const Comparison cmp = CompareRuns(MakeRun("b", b), MakeRun("c", c));
    EXPECT_EQ(cmp.speed_families.size(), 1u);
    return cmp.speed_families.empty() ? SpeedFamily{} : cmp.speed_families[0];
  };
  const SpeedComparison slow = single(1.5, 0.02);
  // One measurement per side: the ratio and its item bootstrap are shown, but no verdict.
  EXPECT_EQ(slow.verdict, Verdict::kNotTested);
  EXPECT_TRUE(slow.informational);
  EXPECT_EQ(slow.n, 101);
  // Medians by sorting, here: base median is item 50's 0.2 s.
  std::vector<double> cand;
  for (const auto& item : timed(1.5, 0.02).items) cand.push_back(item.latency_s);
  std::sort(cand.begin(), cand.end());
  EXPECT_NEAR(slow.base_median_latency_s, 0.2, 1e-15);
  EXPECT_NEAR(slow.cand_median_latency_s, cand[50], 1e-15);
  EXPECT_NEAR(slow.latency_ratio, cand[50] / 0.2, 1e-12);
  ASSERT_TRUE(slow.ratio_ci);
  EXPECT_LT(slow.ratio_ci->lo, slow.latency_ratio);
  EXPECT_GT(slow.ratio_ci->hi, slow.latency_ratio);
  EXPECT_NEAR(slow.base_median_tokens_per_s, 50 / 0.2, 1e-9);
  EXPECT_EQ(
      CompareRuns(MakeRun("b", {timed(1, 0)}), MakeRun("c", {timed(1.5, 0)})).speed_regressions, 0);
  // Repeated: the geometric mean of per-repeat ratios, a t interval over the repeats.
  const SpeedFamily f = judge(1.5, 0.02);
  EXPECT_EQ(f.repeats, 3);
  EXPECT_EQ(f.verdict, Verdict::kRegression);
  ASSERT_TRUE(f.ci);
  EXPECT_GT(f.ci->lo, 1.0);
  EXPECT_NEAR(f.ratio, 1.5, 0.05);
  EXPECT_EQ(judge(1.0, 0.02).verdict, Verdict::kNoChange);
  EXPECT_EQ(judge(1.05, 0.0).verdict, Verdict::kNoChange);  // real but below the 10% threshold
  EXPECT_EQ(judge(0.5, 0.02).verdict, Verdict::kImprovement);
  // Speed does not change the accuracy counts.
  EXPECT_EQ(CompareRuns(MakeRun("b", {timed(1, 0)}), MakeRun("c", {timed(1.5, 0)})).regressions, 0);
  // Untimed records: not judged, with the reason.
  const SpeedComparison none = single(0.0, 0.0);
  EXPECT_EQ(none.verdict, Verdict::kNotTested);
  EXPECT_FALSE(none.informational);
  EXPECT_NE(none.note.find("latency"), std::string::npos);
}

TEST(CompareTest, MarkdownAndJsonNameTheGroupAndTheFlippedItems) {
  const Planted p = PlantedFlips(200, 150, 30, 0);
  CompareOptions o;
  o.max_flips_listed = 5;
  const Comparison c = CompareRuns(MakeRun("base.sqlite", {Binary(Key("q8", "mmlu"), p.base)}),
                                   MakeRun("cand.sqlite", {Binary(Key("q8", "mmlu"), p.cand)}), o);
  const std::string md = RenderCompareMarkdown(c);
  EXPECT_NE(md.find("**Verdict: REGRESSION**"), std::string::npos) << md;
  EXPECT_NE(md.find("configuration `q8`"), std::string::npos) << md;
  EXPECT_NE(md.find("suite `mmlu`"), std::string::npos) << md;
  EXPECT_NE(md.find("`q0010`, `q0011`, `q0012`, `q0013`, `q0014` and 25 more"), std::string::npos)
      << md;
  const auto doc = ParseJson(RenderCompareJson(c), "compare json");
  EXPECT_EQ(doc["regressions"].GetInt64(), 1);
  const auto& g = doc["groups"][0];
  EXPECT_STREQ(g["verdict"].GetString(), "regression");
  EXPECT_EQ(g["correct_to_wrong"].Size(), 30u);  // JSON lists every flip
  EXPECT_STREQ(g["key"]["suite"].GetString(), "mmlu");
}

}  // namespace
}  // namespace gapbench::reports
