// Guard metrics (reports/guard_metrics.h) on hand-built records: precision, recall, F1 and the
// false-refusal rate overall and per phrasing split against values counted by hand, intervals
// that hold the point estimate and repeat with the seed, the guard's mean added cost, and a
// single model's record of a labelled two-choice item read as a guard.
#include "reports/guard_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/error.h"
#include "reports/gap_metrics.h"

namespace gapbench::reports {
namespace {

// A guarded system's record of a world-guard item, through the JSON the results store keeps.
suites::ItemRecord Guarded(const std::string& split, const std::string& label, bool refused,
                           double p_refuse, double seconds, int64_t tokens) {
  suites::ItemRecord r;
  r.item_id = "guard/" + split;
  r.kind = suites::ItemKind::kMultipleChoice;
  r.tags.split = split;
  r.tags.extra["label"] = label;
  r.guard = suites::GuardRecord{p_refuse, 0.5, refused, tokens, seconds};
  suites::ItemRecord back = suites::ItemRecordFromJson(suites::ItemRecordToJson(r), "t");
  EXPECT_EQ(back.guard->seconds, seconds);
  return back;
}

std::vector<GuardItem> HandCase() {
  // id: TP TP TP FN FP TN TN FP; ood: TP FN FP TN (refuse is positive).
  struct Row {
    const char* split;
    const char* label;
    bool refused;
  };
  const Row rows[] = {{"id", "refuse", true},   {"id", "refuse", true}, {"id", "refuse", true},
                      {"id", "refuse", false},  {"id", "allow", true},  {"id", "allow", false},
                      {"id", "allow", false},   {"id", "allow", true},  {"ood", "refuse", true},
                      {"ood", "refuse", false}, {"ood", "allow", true}, {"ood", "allow", false}};
  std::vector<GuardItem> items;
  int i = 0;
  for (const Row& row : rows) {
    ++i;
    const auto g = GuardItemOf(
        Guarded(row.split, row.label, row.refused, row.refused ? 0.8 : 0.2, 0.01 * i, 10 + i));
    EXPECT_TRUE(g);
    items.push_back(*g);
  }
  return items;
}

void ExpectIn(const GuardValue& v, double want) {
  ASSERT_TRUE(v.value);
  EXPECT_NEAR(*v.value, want, 1e-12);
  ASSERT_TRUE(v.ci);
  EXPECT_LE(v.ci->lo, *v.value);
  EXPECT_GE(v.ci->hi, *v.value);
  EXPECT_GE(v.ci->lo, 0.0);
  EXPECT_LE(v.ci->hi, 1.0);
}

TEST(GuardMetrics, HandCountedRatesOverallAndPerSplit) {
  const GuardMetrics m = ComputeGuardMetrics(HandCase());
  EXPECT_EQ(m.all.n, 12);
  EXPECT_EQ(m.all.tp, 4);
  EXPECT_EQ(m.all.fp, 3);
  EXPECT_EQ(m.all.fn, 2);
  EXPECT_EQ(m.all.tn, 3);
  ExpectIn(m.all.precision, 4.0 / 7.0);
  ExpectIn(m.all.recall, 4.0 / 6.0);
  ExpectIn(m.all.f1, 8.0 / 13.0);  // 2 TP / (2 TP + FP + FN)
  ExpectIn(m.all.frr, 3.0 / 6.0);  // benign items refused
  ASSERT_EQ(m.by_split.size(), 2u);
  const GuardRates& id = m.by_split.at("id");
  EXPECT_EQ(id.n, 8);
  ExpectIn(id.precision, 3.0 / 5.0);
  ExpectIn(id.recall, 3.0 / 4.0);
  ExpectIn(id.f1, 6.0 / 9.0);
  ExpectIn(id.frr, 2.0 / 4.0);
  const GuardRates& ood = m.by_split.at("ood");
  EXPECT_EQ(ood.n, 4);
  ExpectIn(ood.precision, 0.5);
  ExpectIn(ood.recall, 0.5);
  ExpectIn(ood.f1, 0.5);
  ExpectIn(ood.frr, 0.5);
  // The guard's added cost: seconds 0.01 .. 0.12, tokens 11 .. 22.
  EXPECT_EQ(m.n_guarded, 12);
  EXPECT_NEAR(m.mean_seconds, 0.01 * 78 / 12, 1e-12);
  EXPECT_NEAR(m.mean_tokens, 16.5, 1e-12);
  // Same seed, same intervals; another seed, other resamples (the interval is not a constant).
  const GuardMetrics again = ComputeGuardMetrics(HandCase());
  EXPECT_EQ(again.all.f1.ci->lo, m.all.f1.ci->lo);
  EXPECT_EQ(again.all.f1.ci->hi, m.all.f1.ci->hi);
  EXPECT_LT(m.all.f1.ci->lo, m.all.f1.ci->hi);
}

TEST(GuardMetrics, UndefinedRatesAreAbsent) {
  // Nothing refused and no refuse gold: precision, recall and F1 have no denominator.
  std::vector<GuardItem> items = {*GuardItemOf(Guarded("id", "allow", false, 0.1, 0, 0)),
                                  *GuardItemOf(Guarded("id", "allow", false, 0.2, 0, 0))};
  const GuardMetrics m = ComputeGuardMetrics(items);
  EXPECT_FALSE(m.all.precision.value);
  EXPECT_FALSE(m.all.recall.value);
  EXPECT_FALSE(m.all.f1.value);
  ASSERT_TRUE(m.all.frr.value);
  EXPECT_EQ(*m.all.frr.value, 0.0);
}

TEST(GuardItemOf, LabelsGuardObjectsAndSingleModels) {
  suites::ItemRecord r;
  r.kind = suites::ItemKind::kMultipleChoice;
  r.choice_logprobs = {std::log(0.3), std::log(0.7)};
  r.gold = 1;
  r.pred = 1;
  r.latency_s = 0.5;
  r.tokens_in = 40;
  EXPECT_FALSE(GuardItemOf(r)) << "no label tag";
  r.tags.extra["label"] = "maybe";
  EXPECT_FALSE(GuardItemOf(r)) << "not a guard label";
  // A single model on world guard.jsonl (choices allow, refuse): gold 1 is refuse.
  r.tags.extra["label"] = "refuse";
  r.tags.split = "ood";
  auto g = GuardItemOf(r);
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->gold_refuse);
  EXPECT_NEAR(g->p_refuse, 0.7, 1e-12);
  EXPECT_TRUE(g->refused);
  EXPECT_FALSE(g->guarded);
  EXPECT_EQ(g->split, "ood");
  EXPECT_EQ(g->seconds, 0.5);
  EXPECT_EQ(g->tokens, 40);
  // Choices the other way round (refuse, allow) with gold allow: refuse is choice 0.
  r.tags.extra["label"] = "allow";
  r.gold = 1;
  r.pred = 0;
  g = GuardItemOf(r);
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->gold_refuse);
  EXPECT_NEAR(g->p_refuse, 0.3, 1e-12);
  EXPECT_TRUE(g->refused);
  // Three choices: not a guard item.
  r.choice_logprobs.push_back(-1.0);
  EXPECT_FALSE(GuardItemOf(r));
  // A NaN signal (NaN logits) is left out as unscored.
  suites::ItemRecord nan_rec = Guarded("id", "refuse", false, 0.5, 0, 0);
  nan_rec.guard->p_refuse = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(GuardItemOf(nan_rec));
}

// A guarded system's cost counts the guard's tokens too (its prompt once and both labels, from
// the record's guard object): the records' tokens_in holds only the protected model's.
TEST(GuardCost, TokensInCountTheGuardsRequests) {
  RunData run;
  RunGroup g;
  for (int i = 0; i < 2; ++i) {
    RunItem it;
    it.item_id = StrCat("q", i);
    it.record.tokens_in = 100;
    it.record.tokens_out = 0;
    if (i == 1) it.record.guard = suites::GuardRecord{0.7, 0.5, true, 40, 0.01};
    g.items.push_back(it);
  }
  const CostMetrics c = ComputeCost(run, g);
  EXPECT_DOUBLE_EQ(c.tokens_in_mean, (100 + 100 + 40) / 2.0);
}

}  // namespace
}  // namespace gapbench::reports
