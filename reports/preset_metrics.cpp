// Preset averages (preset_metrics.h).
#include "reports/preset_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "common/error.h"
#include "common/json.h"
#include "suites/presets.h"

namespace gapbench::reports {
namespace {

std::string JoinNames(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += out.empty() ? s : ", " + s;
  return out;
}

// What a suite row's manifest says about its preset task ("preset" object, written by
// coordinator/registration.cpp); absent for suites that are not a preset's.
struct PresetFacts {
  std::string name, entry, task, metric;
  int64_t tasks = 0;
  int64_t fewshot = 0;
  bool macro_by_subject = false;
};

std::optional<PresetFacts> ReadFacts(const SuiteRow& suite) {
  if (suite.manifest_json.find("\"preset\"") == std::string::npos) return std::nullopt;
  rapidjson::Document doc;
  try {
    doc = ParseJson(suite.manifest_json, StrCat("suite ", suite.name, " manifest"));
  } catch (const Error&) {
    return std::nullopt;  // a hand-built database's free-form manifest: not a preset's
  }
  if (!doc.IsObject()) return std::nullopt;
  const auto p = doc.FindMember("preset");
  if (p == doc.MemberEnd() || !p->value.IsObject()) return std::nullopt;
  const auto& v = p->value;
  auto str = [&](const char* key) -> std::string {
    const auto it = v.FindMember(key);
    return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  PresetFacts f;
  f.name = str("name");
  f.entry = str("entry");
  f.task = str("task");
  f.metric = str("metric");
  if (const auto it = v.FindMember("tasks"); it != v.MemberEnd() && it->value.IsInt64()) {
    f.tasks = it->value.GetInt64();
  }
  if (const auto it = v.FindMember("macro_by_subject"); it != v.MemberEnd() && it->value.IsBool()) {
    f.macro_by_subject = it->value.GetBool();
  }
  if (const auto it = doc.FindMember("fewshot"); it != doc.MemberEnd() && it->value.IsInt64()) {
    f.fewshot = it->value.GetInt64();
  }
  if (f.name.empty() || f.task.empty() || f.metric.empty()) return std::nullopt;
  return f;
}

// The per-item value of `metric` for one record; nullopt when the record does not have it.
std::optional<double> MetricValue(const suites::ItemRecord& r, const std::string& metric) {
  if (metric == suites::kMetricAccNorm) {
    if (r.correct_norm) return *r.correct_norm ? 1.0 : 0.0;
    return std::nullopt;
  }
  if (metric == suites::kMetricMc2 && r.score) return *r.score;
  if (metric == suites::kMetricStrictMatch) {
    if (r.correct_strict) return *r.correct_strict ? 1.0 : 0.0;
    return std::nullopt;  // a record from before result_format 2 has none
  }
  if (r.correct) return *r.correct ? 1.0 : 0.0;
  return std::nullopt;
}

struct Cell {
  double mean = 0;
  double variance_of_mean = 0;  // SE²
  int64_t n = 0;
};

// Mean and SE² of one stratum's item values (plug-in variance, as the report's Wald interval).
Cell MeanOf(const std::vector<double>& values) {
  Cell c;
  c.n = static_cast<int64_t>(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  c.mean = sum / static_cast<double>(c.n);
  double ss = 0;
  for (double v : values) ss += (v - c.mean) * (v - c.mean);
  c.variance_of_mean = ss / static_cast<double>(c.n) / static_cast<double>(c.n);
  return c;
}

// The task's score and SE² from one group's records: items (samples averaged) by the metric;
// macro over subjects when asked.
std::optional<PresetTaskScore> ScoreTask(const RunData& run, size_t group_index,
                                         const PresetFacts& facts, double& variance) {
  const RunGroup& g = run.groups[group_index];
  // item id -> (sum, count, subject); items are ordered by (item_id, sample).
  std::vector<std::pair<std::string, double>> items;  // subject, value
  size_t i = 0;
  while (i < g.items.size()) {
    size_t j = i;
    double sum = 0;
    int64_t k = 0;
    for (; j < g.items.size() && g.items[j].item_id == g.items[i].item_id; ++j) {
      if (auto v = MetricValue(g.items[j].record, facts.metric)) {
        sum += *v;
        ++k;
      }
    }
    if (k > 0) items.emplace_back(g.items[i].record.tags.subject, sum / static_cast<double>(k));
    i = j;
  }
  if (items.empty()) return std::nullopt;
  PresetTaskScore t;
  t.task = facts.task;
  t.metric = facts.metric;
  t.group = group_index;
  t.fewshot = facts.fewshot;
  t.n_items = static_cast<int64_t>(items.size());
  double value = 0;
  if (facts.macro_by_subject) {
    std::map<std::string, std::vector<double>> by_subject;
    for (const auto& [subject, v] : items) by_subject[subject].push_back(v);
    const double s = static_cast<double>(by_subject.size());
    variance = 0;
    for (const auto& [subject, values] : by_subject) {
      const Cell c = MeanOf(values);
      value += c.mean / s;
      variance += c.variance_of_mean / (s * s);
    }
    t.n_subjects = static_cast<int64_t>(by_subject.size());
  } else {
    std::vector<double> values;
    for (const auto& it : items) values.push_back(it.second);
    const Cell c = MeanOf(values);
    value = c.mean;
    variance = c.variance_of_mean;
  }
  t.score = Estimate{};
  t.score.value = value;
  return t;
}

}  // namespace

std::vector<PresetAverage> ComputePresetAverages(const RunData& run, double confidence) {
  ZForConfidence(confidence);  // validates the level before any work
  struct Slot {
    PresetAverage avg;
    std::map<std::string, std::vector<size_t>> groups;  // task -> group indices
    std::map<std::string, PresetFacts> facts;           // task -> facts
  };
  // (entry, alias, model id, config name, config hash, strategy, seed) -> slot
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string,
                         std::string, uint64_t>;
  std::map<Key, Slot> slots;
  for (size_t gi = 0; gi < run.groups.size(); ++gi) {
    const RunGroup& g = run.groups[gi];
    const std::optional<PresetFacts> f = ReadFacts(g.suite);
    if (!f || g.setting.fewshot.value_or(-1) != f->fewshot) continue;
    const Key key{f->entry,          g.model.alias,   g.key.model_id, g.config.name,
                  g.key.config_hash, g.strategy_name, g.setting.seed};
    Slot& slot = slots[key];
    slot.avg.preset = f->name;
    slot.avg.entry = f->entry;
    slot.avg.model_id = g.key.model_id;
    slot.avg.model_alias = g.model.alias;
    slot.avg.config_hash = g.key.config_hash;
    slot.avg.config_name = g.config.name;
    slot.avg.strategy = g.strategy_name;
    slot.avg.seed = g.setting.seed;
    slot.avg.n_tasks = std::max(slot.avg.n_tasks, f->tasks);
    slot.groups[f->task].push_back(gi);
    slot.facts[f->task] = *f;
  }
  std::vector<PresetAverage> out;
  for (auto& [key, slot] : slots) {
    PresetAverage& a = slot.avg;
    // The preset's own order when gapbench knows it, else by task name.
    std::vector<std::string> order;
    if (const suites::Preset* p = suites::FindPreset(a.preset)) {
      for (const auto& t : p->tasks) order.push_back(t.task);
      a.n_tasks = static_cast<int64_t>(p->tasks.size());
    } else {
      for (const auto& [task, _] : slot.groups) order.push_back(task);
    }
    double sum = 0, variance = 0;
    std::vector<std::string> ambiguous;
    for (const std::string& task : order) {
      const auto it = slot.groups.find(task);
      if (it == slot.groups.end()) {
        a.missing.push_back(task);
        continue;
      }
      if (it->second.size() > 1) ambiguous.push_back(task);
      double task_variance = 0;
      auto score = ScoreTask(run, it->second.front(), slot.facts[task], task_variance);
      if (!score) {
        a.missing.push_back(task);
        continue;
      }
      if (task_variance > 0) {
        score->score = MakeEstimate(score->score.value, std::sqrt(task_variance), confidence);
      } else if (score->n_subjects == 0) {
        // Every item scored alike: the bound for all-equal scores in [0, 1] (stats.h).
        score->score = AllEqualEstimate(score->score.value, score->n_items, 0, 1, confidence);
      } else {
        score->score = UndefinedSe(score->score.value, confidence,
                                   "every item of every subject scored alike: no interval");
      }
      sum += score->score.value;
      variance += task_variance;
      a.tasks.push_back(std::move(*score));
    }
    if (!a.missing.empty()) {
      a.note = StrCat("no average: ", a.missing.size(), " of the ", a.n_tasks,
                      " tasks have no scored items here (", JoinNames(a.missing), ")");
    } else if (!ambiguous.empty()) {
      a.note = StrCat("no average: several settings of ", JoinNames(ambiguous),
                      " (e.g. max tokens) in one model, configuration and seed");
    } else {
      const double t = static_cast<double>(a.tasks.size());
      const double mean = sum / t;
      if (variance > 0) {
        a.average = MakeEstimate(mean, std::sqrt(variance) / t, confidence);
      } else {
        a.average =
            UndefinedSe(mean, confidence, "every item of every task scored alike: no interval");
      }
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace gapbench::reports
