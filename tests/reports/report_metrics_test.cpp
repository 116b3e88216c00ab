// Gap metrics over a real results database with known outcomes: every number is checked against
// an independent computation in the test (hand counts, the Wilson closed formula, the clustered
// SE written out, a hand OLS slope), never against the library's own earlier output.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "reports/gap_metrics.h"
#include "reports/items_jsonl.h"
#include "reports/run_data.h"
#include "tests/reports/report_fixture.h"
#include "tests/test_util.h"

namespace gapbench::reports {
namespace {

using suites::ItemKind;
using suites::ItemRecord;
constexpr double kZ = 1.959963984540054;

// The outcomes, as plain functions of the item index, so the test can count them itself.
bool QaCorrect(bool large, int i) { return (i % 5) < (large ? 4 : 3); }
bool QaNorm(int i) { return i % 2 == 0; }
bool Q8Correct(int i) { return (i % 5) < 2; }
bool OodCorrect(bool large, int i) { return (i % 4) < (large ? 3 : 1); }
int Steps(int i) { return 1 + i % 5; }
bool MathCorrect(bool large, int i) {
  return large ? Steps(i) <= 4 : (Steps(i) <= 2 && i % 3 != 0);
}
int CodeC(int i) { return i % 6; }  // samples (of 5) that pass, small model
double Frequency(int i) { return 5 * std::pow(10.0, i % 3); }
double Latency(bool large, int i) { return large ? 0.5 : 0.1 * (1 + i % 3); }

constexpr int kQa = 40, kOod = 20, kMath = 30, kCode = 8, kSamples = 5;

struct Builder {
  std::vector<std::string> lines;
  void Add(const std::string& model, const std::string& config, const std::string& suite, int index,
           int sample, const ItemRecord& r, double latency, int samples = 1) {
    lines.push_back(StrCat(R"({"type":"item","model":")", model, R"(","config":")", config,
                           R"(","suite":")", suite, R"(","index":)", index, R"(,"sample":)", sample,
                           R"(,"samples":)", samples, R"(,"record":)", suites::ItemRecordToJson(r),
                           R"(,"timing":{"latency_s":)", latency, "}}"));
  }
};

ItemRecord Mc(const std::string& suite, int i, bool correct, bool norm) {
  ItemRecord r;
  r.item_id = StrCat(suite, "-", i < 10 ? "0" : "", i);
  r.suite = suite;
  r.kind = ItemKind::kMultipleChoice;
  r.gold = 0;
  r.pred = correct ? 0 : 1;
  r.pred_norm = norm ? 0 : 1;
  r.correct = correct;
  r.correct_norm = norm;
  r.tokens_in = 10 + i;
  return r;
}

std::vector<std::string> Fixture() {
  Builder b;
  const std::string canon =
      R"({"weights":"native","kv_cache":"f16","kv_heads":0,"sliding_window":{"window":0,"layers":"none"},"kv_sharing":{"mode":"none","group":2,"from_layer":0}})";
  b.lines = {
      R"({"type":"sweep","id":"sw1","name":"nightly","git_commit":"abc","gapbench_version":"0.1","machine":"m","started_at":"2024-05-01T00:00:00Z","ended_at":"2024-05-01T01:00:00Z"})",
      R"({"type":"model","id":"m-small","alias":"small","size_bytes":200000000,"file_hash":"fs","metadata":{"parameters":100000000,"n_layer":2,"n_head_kv":2,"head_dim":4}})",
      R"({"type":"model","id":"m-large","alias":"large","size_bytes":2000000000,"file_hash":"fl","metadata":{"parameters":1000000000}})",
      StrCat(R"({"type":"config","hash":"c-base","name":"base","canonical":)", canon, "}"),
      R"({"type":"config","hash":"c-q8","name":"q8","canonical":{"weights":"q8_0","kv_cache":"q8_0"}})",
      R"({"type":"suite","content_hash":"h-qa","name":"qa","n_items":40})",
      R"({"type":"suite","content_hash":"h-ood","name":"qa-ood","n_items":20})",
      R"({"type":"suite","content_hash":"h-math","name":"math","n_items":30})",
      R"({"type":"suite","content_hash":"h-code","name":"code","n_items":8})",
  };
  for (const bool large : {false, true}) {
    const std::string m = large ? "m-large" : "m-small";
    for (int i = 0; i < kQa; ++i) {
      auto r = Mc("qa", i, QaCorrect(large, i), QaNorm(i));
      r.tags.subject = StrCat("s", i % 4);
      r.tags.fact_frequency = Frequency(i);
      b.Add(m, "c-base", "h-qa", i, 0, r, Latency(large, i));
    }
    for (int i = 0; i < kOod; ++i) {
      auto r = Mc("qa-ood", i, OodCorrect(large, i), true);
      r.tags.split = "ood";
      r.tags.family = "qa";
      b.Add(m, "c-base", "h-ood", i, 0, r, Latency(large, i));
    }
    for (int i = 0; i < kMath; ++i) {
      ItemRecord r;
      r.item_id = StrCat("math-", i < 10 ? "0" : "", i);
      r.suite = "math";
      r.kind = ItemKind::kGeneration;
      r.correct = MathCorrect(large, i);
      r.tags.steps = Steps(i);
      r.tokens_in = 20;
      r.tokens_out = 5;
      b.Add(m, "c-base", "h-math", i, 0, r, Latency(large, i));
    }
    if (!large) {
      for (int i = 0; i < kQa; ++i) {
        b.Add(m, "c-q8", "h-qa", i, 0, Mc("qa", i, Q8Correct(i), true), 0.3);
      }
      for (int i = 0; i < kCode; ++i) {
        for (int s = 0; s < kSamples; ++s) {
          ItemRecord r;
          r.item_id = StrCat("code-", i);
          r.suite = "code";
          r.kind = ItemKind::kCode;
          r.correct = s < CodeC(i);
          r.tokens_in = 30;
          r.tokens_out = 40;
          b.Add(m, "c-base", "h-code", i, s, r, 1.0, kSamples);
        }
      }
    }
  }
  return b.lines;
}

class ReportMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = (dir_ / "results.sqlite").string();
    testing::BuildDatabase(db_, Fixture());
    run_ = LoadRun(dir_.path().string());  // the run-directory form
    metrics_ = ComputeMetrics(run_);
  }
  const GroupMetrics& Group(const std::string& alias, const std::string& config,
                            const std::string& suite) {
    for (size_t i = 0; i < run_.groups.size(); ++i) {
      const auto& g = run_.groups[i];
      if (g.model.alias == alias && g.config.name == config && g.suite.name == suite) {
        return metrics_.groups[i];
      }
    }
    ADD_FAILURE() << "no group " << alias << "/" << config << "/" << suite;
    return metrics_.groups.at(0);
  }
  gapbench::testing::TempDir dir_;
  std::string db_;
  RunData run_;
  RunMetrics metrics_;
};

TEST_F(ReportMetricsTest, GroupsAreOrderedAndComplete) {
  // large/base: math, qa, qa-ood; small/base: code, math, qa, qa-ood; small/q8: qa.
  std::vector<std::string> labels;
  for (const auto& g : run_.groups) labels.push_back(GroupLabel(g));
  // Labels end in the setting (this fixture's shard keys are not coordinator keys: seed 0).
  const std::vector<std::string> want = {
      "large / base / single / math / seed 0",   "large / base / single / qa / seed 0",
      "large / base / single / qa-ood / seed 0", "small / base / single / code / seed 0, 5 samples",
      "small / base / single / math / seed 0",   "small / base / single / qa / seed 0",
      "small / base / single / qa-ood / seed 0", "small / q8 / single / qa / seed 0"};
  EXPECT_EQ(labels, want);
  EXPECT_EQ(run_.shards_total, 8);
  EXPECT_EQ(run_.shards_done, 8);
  EXPECT_EQ(run_.duplicates, 0);
}

TEST_F(ReportMetricsTest, AccuracyWilsonAndClusteredAgainstHandFormulas) {
  // qa-ood, small: 5 of 20 (n < 30: Wilson).
  int k = 0;
  for (int i = 0; i < kOod; ++i) k += OodCorrect(false, i);
  ASSERT_EQ(k, 5);
  const auto& ood = Group("small", "base", "qa-ood");
  const double n = kOod, p = k / n, z2 = kZ * kZ;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  EXPECT_EQ(ood.n_items, 20);
  EXPECT_DOUBLE_EQ(ood.accuracy.mean.value, 0.25);
  EXPECT_EQ(ood.ci_method, "wilson");
  EXPECT_NEAR(ood.ci.lo, centre - half, 1e-12);
  EXPECT_NEAR(ood.ci.hi, centre + half, 1e-12);
  ASSERT_TRUE(ood.mdd.has_value());
  // Unpaired MDD at p: (z_{α/2} + z_power)·sqrt(2p(1 − p)/n), within the two-tail correction.
  EXPECT_NEAR(*ood.mdd, (kZ + 0.8416212335729143) * std::sqrt(2 * p * (1 - p) / n), 1e-5);

  // qa, small: 24 of 40, clustered by subject (4 clusters of 10).
  const auto& qa = Group("small", "base", "qa");
  std::map<int, double> cluster_sum;
  int correct = 0;
  for (int i = 0; i < kQa; ++i) correct += QaCorrect(false, i);
  const double pq = correct / 40.0;
  for (int i = 0; i < kQa; ++i) cluster_sum[i % 4] += QaCorrect(false, i) - pq;
  double ss = 0;
  for (const auto& [c, s] : cluster_sum) ss += s * s;
  const double se = std::sqrt(4.0 / 3.0) * std::sqrt(ss) / 40.0;
  EXPECT_EQ(qa.accuracy.successes, 24);
  EXPECT_DOUBLE_EQ(qa.accuracy.mean.value, 0.6);
  EXPECT_NEAR(*qa.accuracy.mean.se, std::sqrt(0.6 * 0.4 / 40), 1e-12);
  EXPECT_EQ(qa.cluster_by, "subject");
  ASSERT_TRUE(qa.clustered.has_value());
  EXPECT_EQ(qa.clustered->clusters, 4);
  EXPECT_NEAR(*qa.clustered->mean.se, se, 1e-12);
  ASSERT_TRUE(qa.clustered->mean.ci.has_value());
  EXPECT_NEAR(qa.clustered->mean.ci->lo, 0.6 - kZ * se, 1e-12);
  EXPECT_NEAR(qa.clustered->mean.ci->hi, 0.6 + kZ * se, 1e-12);
  // 4 clusters are too few for a trustworthy cluster-robust SE (here it is even 0: every
  // subject has the same accuracy): the headline interval stays the iid Wald one.
  const double iid = std::sqrt(0.6 * 0.4 / 40);
  EXPECT_EQ(qa.ci_method, "wald");
  EXPECT_NEAR(qa.ci.lo, 0.6 - kZ * iid, 1e-12);
  EXPECT_NEAR(qa.ci.hi, 0.6 + kZ * iid, 1e-12);
  ASSERT_TRUE(qa.accuracy_norm.has_value());
  EXPECT_DOUBLE_EQ(qa.accuracy_norm->mean.value, 0.5);  // even indices
}

TEST_F(ReportMetricsTest, PassAtKFromSamples) {
  const auto& code = Group("small", "base", "code");
  ASSERT_EQ(code.pass_at_k.size(), 2u);  // k = 1 and 5 (5 samples per task)
  double p1 = 0, p5 = 0;
  for (int i = 0; i < kCode; ++i) {
    p1 += CodeC(i) / 5.0 / kCode;
    p5 += (CodeC(i) > 0 ? 1.0 : 0.0) / kCode;
  }
  EXPECT_EQ(code.pass_at_k[0].k, 1);
  EXPECT_NEAR(code.pass_at_k[0].estimate.value, p1, 1e-12);
  EXPECT_EQ(code.pass_at_k[1].k, 5);
  EXPECT_NEAR(code.pass_at_k[1].estimate.value, p5, 1e-12);
  EXPECT_NEAR(code.accuracy.mean.value, p1, 1e-12);  // accuracy = mean per-task pass rate
  EXPECT_EQ(code.ci_method, "wald");                 // fractional scores
}

TEST_F(ReportMetricsTest, GeneralisationGapAndSmallMinusLarge) {
  EXPECT_EQ(metrics_.small_model_alias, "small");
  EXPECT_EQ(metrics_.large_model_alias, "large");
  EXPECT_EQ(metrics_.size_basis, "parameters");
  ASSERT_EQ(metrics_.generalisation.size(), 2u);  // large then small (model id order)
  const GeneralisationGap* small = nullptr;
  for (const auto& g : metrics_.generalisation) {
    if (g.arm.model_alias == "small") small = &g;
  }
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->family, "qa");
  EXPECT_EQ(small->n_id, 40);
  EXPECT_EQ(small->n_ood, 20);
  EXPECT_NEAR(small->gap.value, 0.6 - 0.25, 1e-12);
  EXPECT_NEAR(*small->gap.se, std::sqrt(0.6 * 0.4 / 40 + 0.25 * 0.75 / 20), 1e-12);
  ASSERT_EQ(metrics_.generalisation_diff.size(), 1u);
  const auto& d = metrics_.generalisation_diff[0];
  EXPECT_TRUE(d.paired);
  EXPECT_NEAR(d.gap_large.value, 0.8 - 0.75, 1e-12);
  EXPECT_NEAR(d.diff.value, (0.6 - 0.25) - (0.8 - 0.75), 1e-12);
}

TEST_F(ReportMetricsTest, ReasoningSlopeIsTheHandOls) {
  const ReasoningGap* small = nullptr;
  for (const auto& r : metrics_.reasoning) {
    if (r.arm.model_alias == "small") small = &r;
  }
  ASSERT_NE(small, nullptr);
  ASSERT_EQ(small->buckets.size(), 5u);
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  std::map<int, std::pair<int, int>> counts;
  for (int i = 0; i < kMath; ++i) {
    const double x = Steps(i), y = MathCorrect(false, i);
    sx += x, sy += y, sxx += x * x, sxy += x * y;
    counts[Steps(i)].first += MathCorrect(false, i);
    counts[Steps(i)].second += 1;
  }
  const double n = kMath;
  const double slope = (sxy - sx * sy / n) / (sxx - sx * sx / n);
  ASSERT_TRUE(small->fit.has_value());
  EXPECT_NEAR(small->fit->slope, slope, 1e-12);
  for (const auto& b : small->buckets) {
    EXPECT_EQ(b.accuracy.n, counts[static_cast<int>(b.steps)].second);
    EXPECT_EQ(b.accuracy.successes, counts[static_cast<int>(b.steps)].first);
  }
  ASSERT_EQ(metrics_.reasoning_diff.size(), 1u);
  EXPECT_NEAR(metrics_.reasoning_diff[0].diff.value,
              small->fit->slope_hc1.value - metrics_.reasoning_diff[0].slope_large.value, 1e-15);
}

TEST_F(ReportMetricsTest, KnowledgeByFrequencyDecade) {
  const KnowledgeGap* small = nullptr;
  for (const auto& k : metrics_.knowledge) {
    if (k.arm.model_alias == "small" && k.arm.config_name == "base") small = &k;
  }
  ASSERT_NE(small, nullptr);
  EXPECT_EQ(small->by, "fact_frequency");
  ASSERT_EQ(small->buckets.size(), 3u);
  const char* labels[] = {"[1e0, 1e1)", "[1e1, 1e2)", "[1e2, 1e3)"};
  for (int b = 0; b < 3; ++b) {
    int n = 0, c = 0;
    for (int i = b; i < kQa; i += 3) n += 1, c += QaCorrect(false, i);
    EXPECT_EQ(small->buckets[b].bucket, labels[b]);
    EXPECT_EQ(small->buckets[b].accuracy.n, n);
    EXPECT_EQ(small->buckets[b].accuracy.successes, c);
  }
  ASSERT_EQ(metrics_.knowledge_diff.size(), 1u);
  const auto& row = metrics_.knowledge_diff[0].rows[0];
  int only_s = 0, only_l = 0;
  for (int i = 0; i < kQa; i += 3) {
    only_s += QaCorrect(false, i) && !QaCorrect(true, i);
    only_l += !QaCorrect(false, i) && QaCorrect(true, i);
  }
  EXPECT_NEAR(row.diff.diff.value, (only_s - only_l) / double(row.n), 1e-12);
}

TEST_F(ReportMetricsTest, CostFiguresAndParetoFront) {
  const auto& qa = Group("small", "base", "qa");
  double lat = 0, tok = 0;
  for (int i = 0; i < kQa; ++i) lat += Latency(false, i), tok += 10 + i;
  ASSERT_TRUE(qa.cost.tokens_per_s && qa.cost.latency_s_mean && qa.cost.flops_per_item);
  EXPECT_NEAR(*qa.cost.tokens_per_s, tok / lat, 1e-9);
  EXPECT_NEAR(*qa.cost.latency_s_mean, lat / kQa, 1e-12);
  EXPECT_NEAR(*qa.cost.flops_per_item, 2 * 1e8 * tok / kQa, 1e-3);
  EXPECT_DOUBLE_EQ(*qa.cost.weight_bytes, 2e8);       // native weights: the file size
  EXPECT_DOUBLE_EQ(*qa.cost.kv_bytes_per_token, 64);  // 2 · 2 layers · 2 heads · 4 · 2 bytes
  const auto& q8 = Group("small", "q8", "qa");
  EXPECT_FALSE(q8.cost.weight_bytes.has_value());  // converted weights, nothing recorded

  // Measured latency first, then the machine-independent axes every point has.
  const ParetoFront* front = nullptr;
  std::vector<std::string> axes;
  for (const auto& f : metrics_.pareto) {
    if (f.suite_name != "qa") continue;
    if (!front) front = &f;
    axes.push_back(f.cost_metric);
  }
  ASSERT_NE(front, nullptr);
  EXPECT_EQ(front->cost_metric, "latency_s_per_item");
  // q8 records no weight bytes, so only FLOPs beside latency.
  EXPECT_EQ(axes, (std::vector<std::string>{"latency_s_per_item", "flops_per_item"}));
  ASSERT_EQ(front->points.size(), 3u);
  std::map<std::string, bool> on;
  for (const auto& p : front->points) {
    on[GroupLabel(run_.groups[p.group])] = p.on_front;
  }
  EXPECT_TRUE(on["small / base / single / qa / seed 0"]);
  EXPECT_TRUE(on["large / base / single / qa / seed 0"]);
  EXPECT_FALSE(on["small / q8 / single / qa / seed 0"]);  // slower, less accurate than base
}

TEST(ParetoTest, DominationRules) {
  std::vector<ParetoPoint> pts = {{0, 0.5, 1, false},
                                  {1, 0.5, 1, false},
                                  {2, 0.4, 1, false},
                                  {3, 0.9, 3, false},
                                  {4, 0.8, 4, false}};
  MarkParetoFront(pts);
  std::map<size_t, bool> on;
  for (const auto& p : pts) on[p.group] = p.on_front;
  EXPECT_TRUE(on[0] && on[1]);  // equal points do not dominate each other
  EXPECT_FALSE(on[2]);          // same cost, lower accuracy
  EXPECT_TRUE(on[3]);
  EXPECT_FALSE(on[4]);
}

TEST_F(ReportMetricsTest, ItemsJsonlIsIndependentOfInsertionOrder) {
  auto lines = Fixture();
  // Same items, reversed item order (the header lines first, as the fixture requires).
  std::vector<std::string> head(lines.begin(), lines.begin() + 9);
  std::vector<std::string> items(lines.begin() + 9, lines.end());
  std::reverse(items.begin(), items.end());
  head.insert(head.end(), items.begin(), items.end());
  gapbench::testing::TempDir other;
  testing::BuildDatabase((other / "results.sqlite").string(), head);
  const std::string a = ItemsJsonl(run_);
  const std::string b = ItemsJsonl(LoadRun((other / "results.sqlite").string()));
  EXPECT_EQ(a, b);

  const auto out = testing::SplitLines(a);
  ASSERT_EQ(out.size(), size_t(2 * (kQa + kOod + kMath) + kQa + kCode * kSamples));
  // First line: config c-base, suite "code" (names sort), item code-0 sample 0.
  const auto first = ParseJson(out[0], "line 1");
  EXPECT_STREQ(first["config_hash"].GetString(), "c-base");
  EXPECT_STREQ(first["suite"].GetString(), "code");
  EXPECT_STREQ(first["item_id"].GetString(), "code-0");
  EXPECT_EQ(first["sample"].GetInt(), 0);
  EXPECT_FALSE(first.HasMember("latency_s"));  // timing only under "timing"
  EXPECT_DOUBLE_EQ(first["timing"]["latency_s"].GetDouble(), 1.0);
  EXPECT_TRUE(first.HasMember("correct"));
  EXPECT_STREQ(first["model_alias"].GetString(), "small");
  // Sorted by (config, suite name, suite hash, model, strategy, item, sample).
  for (size_t i = 1; i < out.size(); ++i) {
    const auto p = ParseJson(out[i - 1], "prev"), c = ParseJson(out[i], "cur");
    auto key = [](const rapidjson::Document& d) {
      return std::make_tuple(std::string(d["config_hash"].GetString()),
                             std::string(d["suite"].GetString()),
                             std::string(d["model_id"].GetString()),
                             std::string(d["item_id"].GetString()), d["sample"].GetInt());
    };
    EXPECT_LT(key(p), key(c)) << "line " << i + 1;
  }
}

TEST(RunDataTest, MissingDatabaseIsAClearError) {
  gapbench::testing::TempDir dir;
  try {
    LoadRun(dir.path().string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("results.sqlite"), std::string::npos) << e.what();
  }
  EXPECT_THROW(LoadRun((dir / "nope.sqlite").string()), Error);
}

}  // namespace
}  // namespace gapbench::reports
