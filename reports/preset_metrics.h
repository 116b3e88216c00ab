// The average a leaderboard reports for a preset (suites/presets.h; the Open LLM Leaderboard
// v1's six tasks), computed from a run's item records with a confidence interval, items as the
// unit. A run's groups belong to a preset when their suite was expanded from a preset entry of a
// sweep (the suite row's manifest says so: preset, entry, task, metric) and their few-shot count
// is the preset task's. One average per (entry, model, configuration, strategy, seed).
//
// The task score is the mean over items of the task's metric (acc: `correct`, acc_norm:
// `correct_norm`, mc2: the graded `score`, exact_match: `correct`, strict_match: GSM8K's
// `correct_strict`; a record without the metric's field is left out), or for MMLU the mean over
// subjects of the subject means (the leaderboard's average of the 57 subject accuracies). The
// average weights the tasks equally. Its standard error is that of a linear combination of
// independent means (the delta method, exact here because the average is linear):
//   SE(task) = sqrt(var/n)  (plug-in variance over the task's items; an item's samples averaged)
//   SE(MMLU macro) = sqrt(Σ_s var_s/n_s) / S
//   SE(average) = sqrt(Σ_t SE(task_t)²) / T
// and the interval is average ± z·SE (Wald). Tasks are independent samples of items; the
// interval covers item sampling, not the choice of tasks. docs/REPORTS.md ("Preset averages").
//
// Not here: rendering (results_json.cpp, markdown.cpp, html.cpp); which tasks a preset has
// (suites/presets.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/run_data.h"
#include "reports/stats.h"

namespace gapbench::reports {

struct PresetTaskScore {
  std::string task;    // "arc_challenge"
  std::string metric;  // "acc_norm"
  size_t group = 0;    // index into RunData::groups
  int64_t fewshot = 0;
  int64_t n_items = 0;     // items with a scored sample
  int64_t n_subjects = 0;  // macro_by_subject: subjects averaged; else 0
  Estimate score;          // se absent when no score varies
};

struct PresetAverage {
  std::string preset;                                                     // "open-llm-v1"
  std::string entry;                                                      // the sweep entry's name
  std::string model_id, model_alias, config_hash, config_name, strategy;  // strategy: its name
  uint64_t seed = 0;
  int64_t n_tasks = 0;                 // tasks the preset has
  std::vector<PresetTaskScore> tasks;  // present tasks, in the preset's order
  std::vector<std::string> missing;    // tasks of the preset with no group here
  std::optional<Estimate> average;     // absent unless every task is present and unambiguous
  std::string note;                    // why the average is absent, or about its interval
};

// Every preset average of the run, ordered by (entry, model alias, model id, configuration name,
// configuration hash, strategy, seed).
std::vector<PresetAverage> ComputePresetAverages(const RunData& run, double confidence = 0.95);

// How PresetAverage::average's standard error is computed (see above); its interval is Wald.
inline constexpr const char* kPresetSeMethod = "delta";

}  // namespace gapbench::reports
