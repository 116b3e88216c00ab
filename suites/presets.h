// Named sets of tasks that a published leaderboard averages, so a sweep can ask for "the Open LLM
// Leaderboard v1" in one line ({"preset": "open-llm-v1"}) and the report can put the average
// beside the leaderboard's: which tasks, which files in the shared data folder's layout
// (../shared/data/README.md), how many shots, which metric per task and how the task score is
// aggregated. docs/SUITES.md ("Presets") gives the sources.
//
// Not here: expanding a sweep entry (coordinator/sweep.cpp), the average and its interval
// (reports/preset_metrics.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gapbench::suites {

// The per-item value a task score averages (reports/preset_metrics.cpp reads it from records):
inline constexpr const char* kMetricAcc = "acc";                 // `correct`
inline constexpr const char* kMetricAccNorm = "acc_norm";        // `correct_norm`
inline constexpr const char* kMetricMc2 = "mc2";                 // the graded `score` (a mass)
inline constexpr const char* kMetricExactMatch = "exact_match";  // `correct` of a generation
// `correct_strict`: lm-eval's exact_match under GSM8K's strict-match filter (the leaderboard's)
inline constexpr const char* kMetricStrictMatch = "strict_match";

struct PresetTask {
  std::string task;    // lm-eval's task name, also the expanded suite's name suffix
  std::string file;    // relative to the data folder (a folder for MMLU)
  std::string format;  // the loader (loaders.h SuiteFormats)
  int fewshot = 0;
  std::string metric;  // kMetric*
  // The task score is the mean over subjects of the subject's mean (the leaderboard's MMLU: the
  // average of the 57 hendrycksTest-* accuracies), not the mean over items.
  bool macro_by_subject = false;
  std::string what;  // the file in words, for "not found" messages
};

struct Preset {
  std::string name;  // "open-llm-v1"
  std::string description;
  std::vector<PresetTask> tasks;  // in the leaderboard's column order; weighted equally
};

// Every preset gapbench knows, by name.
const std::vector<Preset>& Presets();
// The preset called `name`, or nullptr.
const Preset* FindPreset(std::string_view name);
// The names of Presets(), for messages.
std::vector<std::string> PresetNames();

}  // namespace gapbench::suites
