// The preset average (reports/preset_metrics.h) against a computation written here from the
// definitions: the Open LLM Leaderboard v1 task metrics (acc_norm for ARC and HellaSwag, the MC2
// mass, MMLU as the mean of subject accuracies, acc, exact match), equal task weights, and the
// delta-method SE sqrt(Σ SE_t²)/T with items as the unit -- checked once more against a
// bootstrap that resamples items within each task (and MMLU subject).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "common/error.h"
#include "reports/gap_metrics.h"
#include "reports/markdown.h"
#include "reports/preset_metrics.h"
#include "reports/results_json.h"
#include "reports/run_data.h"

namespace gapbench::reports {
namespace {

struct Item {
  std::string subject;
  bool correct = false;
  bool correct_norm = false;
  std::optional<double> score;  // MC2 mass
  bool correct_strict = false;  // GSM8K: lm-eval's strict-match
};

struct Task {
  std::string name, metric;
  int fewshot = 0;
  bool macro = false;
  std::vector<Item> items;
};

std::string Manifest(const Task& t, int fewshot) {
  return StrCat(R"({"split":"test","fewshot":)", fewshot,
                R"(,"preset":{"name":"open-llm-v1","entry":"olv1","task":")", t.name,
                R"(","tasks":6,"metric":")", t.metric, R"(","macro_by_subject":)",
                t.macro ? "true" : "false", "}}");
}

RunGroup Group(const Task& t, int fewshot, const std::string& suite_hash) {
  RunGroup g;
  g.key = {"m1", "c1", R"({"name":"single"})", suite_hash,
           StrCat(R"({"fewshot":)", fewshot, R"(,"seed":1})")};
  g.model.id = "m1";
  g.model.alias = "small";
  g.config.hash = "c1";
  g.config.name = "base";
  g.suite.content_hash = suite_hash;
  g.suite.name = StrCat("olv1.", t.name);
  g.suite.manifest_json = Manifest(t, t.fewshot);  // one suite row per file: the preset's
  g.strategy_name = "single";
  g.setting.fewshot = fewshot;
  g.setting.seed = 1;
  for (size_t i = 0; i < t.items.size(); ++i) {
    RunItem ri;
    ri.item_id = StrCat(t.name, "/", 1000 + i);
    ri.shard_id = "s";
    ri.item_index = static_cast<int64_t>(i);
    ri.record.item_id = ri.item_id;
    ri.record.suite = g.suite.name;
    ri.record.kind = suites::ItemKind::kMultipleChoice;
    ri.record.choice_logprobs = {-1, -2};
    ri.record.tags.subject = t.items[i].subject;
    ri.record.correct = t.items[i].correct;
    ri.record.correct_norm = t.items[i].correct_norm;
    ri.record.score = t.items[i].score;
    if (t.name == "gsm8k") {
      ri.record.kind = suites::ItemKind::kGeneration;
      ri.record.choice_logprobs.clear();
      ri.record.correct_norm.reset();
      ri.record.correct_strict = t.items[i].correct_strict;
    }
    g.items.push_back(std::move(ri));
  }
  return g;
}

// Six tasks with pseudo-random item outcomes, seeded.
std::vector<Task> MakeTasks() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Task> tasks = {{"arc_challenge", "acc_norm", 25, false, {}},
                             {"hellaswag", "acc_norm", 10, false, {}},
                             {"mmlu", "acc", 5, true, {}},
                             {"truthfulqa_mc2", "mc2", 0, false, {}},
                             {"winogrande", "acc", 5, false, {}},
                             {"gsm8k", "strict_match", 5, false, {}}};
  const int sizes[] = {60, 45, 0, 35, 50, 40};
  for (size_t t = 0; t < tasks.size(); ++t) {
    if (tasks[t].name == "mmlu") {
      // Subjects of unequal size and accuracy: the macro average differs from the item mean.
      const std::pair<const char*, std::pair<int, double>> subjects[] = {
          {"anatomy", {12, 0.8}}, {"law", {40, 0.3}}, {"physics", {25, 0.55}}};
      for (const auto& [name, spec] : subjects) {
        for (int i = 0; i < spec.first; ++i) {
          tasks[t].items.push_back({name, u(rng) < spec.second, false, std::nullopt});
        }
      }
      continue;
    }
    for (int i = 0; i < sizes[t]; ++i) {
      Item it;
      it.correct = u(rng) < 0.4;
      it.correct_norm = u(rng) < 0.6;  // differs from acc: the metric choice is visible
      if (tasks[t].name == "gsm8k") {
        // Strict-match is never right where the last number is wrong, and often wrong where
        // it is right (no "#### "): the leaderboard's metric reads lower than `correct`.
        it.correct = u(rng) < 0.6;
        it.correct_strict = it.correct && u(rng) < 0.5;
      }
      if (tasks[t].name == "truthfulqa_mc2") {
        it.correct = true;  // the top answer is a true one: acc would read 1.0
        it.score = u(rng);
      }
      tasks[t].items.push_back(it);
    }
  }
  return tasks;
}

double Value(const Task& t, const Item& it) {
  if (t.metric == "acc_norm") return it.correct_norm ? 1 : 0;
  if (t.metric == "mc2") return *it.score;
  if (t.metric == "strict_match") return it.correct_strict ? 1 : 0;
  return it.correct ? 1 : 0;
}

// mean and SE² of one stratum (plug-in variance / n).
std::pair<double, double> MeanVar(const std::vector<double>& x) {
  double m = 0;
  for (double v : x) m += v;
  m /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return {m, ss / static_cast<double>(x.size()) / static_cast<double>(x.size())};
}

// Task value and SE² by the leaderboard's definition.
std::pair<double, double> TaskScore(const Task& t) {
  std::map<std::string, std::vector<double>> strata;
  for (const Item& it : t.items) strata[t.macro ? it.subject : ""].push_back(Value(t, it));
  double value = 0, var = 0;
  const double s = static_cast<double>(strata.size());
  for (const auto& [_, x] : strata) {
    const auto [m, v] = MeanVar(x);
    value += m / s;
    var += v / (s * s);
  }
  return {value, var};
}

RunData MakeRun(const std::vector<Task>& tasks) {
  RunData run;
  run.source = "hand-built";
  for (size_t t = 0; t < tasks.size(); ++t) {
    run.groups.push_back(Group(tasks[t], tasks[t].fewshot, StrCat("h", t)));
  }
  SortRun(run);
  return run;
}

TEST(PresetAverage, EqualWeightsLeaderboardMetricsAndDeltaMethodInterval) {
  const std::vector<Task> tasks = MakeTasks();
  RunData run = MakeRun(tasks);
  // A 0-shot run of the same MMLU file (same content hash, so the same suite row, which says
  // 5-shot) is not the preset's task.
  Task mmlu0 = tasks[2];
  for (Item& it : mmlu0.items) it.correct = true;
  run.groups.push_back(Group(mmlu0, 0, "h2"));
  SortRun(run);

  const std::vector<PresetAverage> avgs = ComputePresetAverages(run, 0.95);
  ASSERT_EQ(avgs.size(), 1u);
  const PresetAverage& a = avgs[0];
  EXPECT_EQ(a.preset, "open-llm-v1");
  EXPECT_EQ(a.entry, "olv1");
  EXPECT_EQ(a.model_alias, "small");
  EXPECT_TRUE(a.missing.empty());
  ASSERT_EQ(a.tasks.size(), 6u);
  double sum = 0, var = 0;
  for (size_t t = 0; t < tasks.size(); ++t) {
    const auto [value, v] = TaskScore(tasks[t]);
    SCOPED_TRACE(tasks[t].name);
    EXPECT_EQ(a.tasks[t].task, tasks[t].name);  // the leaderboard's column order
    EXPECT_EQ(a.tasks[t].metric, tasks[t].metric);
    EXPECT_EQ(a.tasks[t].fewshot, tasks[t].fewshot);
    EXPECT_EQ(a.tasks[t].n_items, static_cast<int64_t>(tasks[t].items.size()));
    EXPECT_NEAR(a.tasks[t].score.value, value, 1e-12);
    ASSERT_TRUE(a.tasks[t].score.se.has_value());
    EXPECT_NEAR(*a.tasks[t].score.se, std::sqrt(v), 1e-12);
    sum += value;
    var += v;
  }
  EXPECT_EQ(a.tasks[2].n_subjects, 3);
  // The MMLU macro average is not the item mean here (unequal subjects), and MC2 is the mass.
  double micro = 0;
  for (const Item& it : tasks[2].items) micro += it.correct ? 1 : 0;
  micro /= static_cast<double>(tasks[2].items.size());
  EXPECT_GT(std::fabs(a.tasks[2].score.value - micro), 0.01);
  EXPECT_LT(a.tasks[3].score.value, 0.9);

  ASSERT_TRUE(a.average.has_value());
  const double z = 1.959963984540054;
  const double mean = sum / 6, se = std::sqrt(var) / 6;
  EXPECT_NEAR(a.average->value, mean, 1e-12);
  ASSERT_TRUE(a.average->se && a.average->ci);
  EXPECT_NEAR(*a.average->se, se, 1e-12);
  EXPECT_NEAR(a.average->ci->lo, mean - z * se, 1e-12);
  EXPECT_NEAR(a.average->ci->hi, mean + z * se, 1e-12);

  // A bootstrap over items within each task (and subject) agrees with the delta-method SE.
  std::mt19937_64 rng(11);
  const int kResamples = 4000;
  double bs_sum = 0, bs_ss = 0;
  for (int r = 0; r < kResamples; ++r) {
    double avg = 0;
    for (const Task& t : tasks) {
      std::map<std::string, std::vector<double>> strata;
      for (const Item& it : t.items) strata[t.macro ? it.subject : ""].push_back(Value(t, it));
      double task_value = 0;
      for (const auto& [_, x] : strata) {
        std::uniform_int_distribution<size_t> pick(0, x.size() - 1);
        double m = 0;
        for (size_t i = 0; i < x.size(); ++i) m += x[pick(rng)];
        task_value += m / static_cast<double>(x.size()) / static_cast<double>(strata.size());
      }
      avg += task_value / 6;
    }
    bs_sum += avg;
    bs_ss += avg * avg;
  }
  const double bs_mean = bs_sum / kResamples;
  const double bs_sd = std::sqrt(bs_ss / kResamples - bs_mean * bs_mean);
  EXPECT_NEAR(bs_sd / se, 1.0, 0.06);

  // The report shows it: report.md's table and results.json's "presets".
  const RunMetrics m = ComputeMetrics(run);
  const std::string md = MarkdownReport(run, m);
  EXPECT_NE(md.find("## Preset averages"), std::string::npos);
  EXPECT_NE(md.find("arc_challenge (acc_norm, 25-shot)"), std::string::npos) << md;
  EXPECT_NE(md.find(StrCat("[", FormatFixed(mean - z * se), ", ", FormatFixed(mean + z * se), "]")),
            std::string::npos)
      << md;
  const std::string json = ResultsJson(run, m);
  EXPECT_NE(json.find("\"presets\""), std::string::npos);
  EXPECT_NE(json.find("\"se_method\": \"delta\""), std::string::npos);
}

TEST(PresetAverage, AMissingTaskGivesNoAverageAndNamesIt) {
  std::vector<Task> tasks = MakeTasks();
  tasks.erase(tasks.begin() + 1);  // no HellaSwag
  const RunData run = MakeRun(tasks);
  const std::vector<PresetAverage> avgs = ComputePresetAverages(run, 0.95);
  ASSERT_EQ(avgs.size(), 1u);
  EXPECT_FALSE(avgs[0].average.has_value());
  ASSERT_EQ(avgs[0].missing.size(), 1u);
  EXPECT_EQ(avgs[0].missing[0], "hellaswag");
  EXPECT_NE(avgs[0].note.find("hellaswag"), std::string::npos) << avgs[0].note;
  EXPECT_EQ(avgs[0].tasks.size(), 5u);
}

TEST(PresetAverage, TwoSettingsOfOneTaskGiveNoAverage) {
  const std::vector<Task> tasks = MakeTasks();
  RunData run = MakeRun(tasks);
  RunGroup other = Group(tasks[5], 5, "h5");  // GSM8K again, another max_tokens
  other.key.setting = R"({"fewshot":5,"max_tokens":64,"seed":1})";
  run.groups.push_back(std::move(other));
  SortRun(run);
  const std::vector<PresetAverage> avgs = ComputePresetAverages(run, 0.95);
  ASSERT_EQ(avgs.size(), 1u);
  EXPECT_FALSE(avgs[0].average.has_value());
  EXPECT_NE(avgs[0].note.find("several settings of gsm8k"), std::string::npos) << avgs[0].note;
}

TEST(PresetAverage, RunsWithoutPresetSuitesHaveNone) {
  std::vector<Task> tasks = MakeTasks();
  RunData run = MakeRun(tasks);
  for (RunGroup& g : run.groups) g.suite.manifest_json = R"({"split":"test","fewshot":5})";
  EXPECT_TRUE(ComputePresetAverages(run, 0.95).empty());
  const RunMetrics m = ComputeMetrics(run);
  EXPECT_EQ(MarkdownReport(run, m).find("Preset averages"), std::string::npos);
  EXPECT_EQ(ResultsJson(run, m).find("\"presets\""), std::string::npos);
}

}  // namespace
}  // namespace gapbench::reports
