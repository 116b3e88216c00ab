// The regression gate: a paired, item-level comparison of two runs of the same sweep (a base and
// a candidate), group by group (model identity × configuration hash × strategy × suite content
// hash × setting: few-shot count, seed, samples, max tokens, ...), with the statistics of
// docs/STATISTICS.md §2 and §4 and a verdict per group. The same machinery compares two settings
// (A/B, `--a config=base --b config=q4_0`) within one run or across two, pairing the groups
// that agree on every dimension the selectors do not name:
//   accuracy  paired difference (candidate − base) with its 95% CI, McNemar's exact test on the
//             flipped items (binary, one sample per item) or the paired bootstrap over items
//             (fractional per-item scores, e.g. several samples per item), a multiple-comparison
//             correction across groups (Holm by default), the minimum detectable difference, and
//             the flipped items themselves;
//   speed     the ratio of median per-item latency (candidate / base) with a paired bootstrap
//             interval -- informational for one measurement per side, because one run's latency
//             on a shared machine is not evidence; judged only over repeated measurements
//             (groups that differ only by seed, at least speed_min_repeats of them) from the
//             spread of their per-repeat ratios. The accuracy verdict never depends on speed.
// Items (item_id, sample) present on one side only are counted per group, never dropped silently;
// groups present on one side only are listed. Formulas, choices and exit codes: docs/COMPARE.md.
//
// Not here: loading a run (reports/run_data.h does; ToCompareRun adapts it), command-line
// handling and exit codes (cli/cmd_compare.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/run_data.h"
#include "reports/stats.h"

namespace gapbench::reports {

// What identifies a group in both runs, plus labels for people.
struct CompareKey {
  std::string model_id;     // ModelIdentity content id
  std::string config_hash;  // EngineConfig::Hash()
  std::string strategy;     // canonical JSON of the strategy ("" when none)
  std::string suite_hash;   // suite content hash
  std::string setting;      // GroupKey::setting: canonical JSON of few-shot, seed, samples, ...
  std::string model_label;  // alias, else a short id (display only)
  std::string config_label;
  std::string strategy_label;  // the strategy's name ("" or "single": the plain model)
  std::string suite_label;
  std::string setting_label;  // SettingLabel ("2-shot, seed 1")
  // "model / config / strategy / suite / setting" for messages.
  std::string Describe() const;
};

// One item record, reduced to what the comparison needs.
struct CompareItem {
  std::string item_id;
  int64_t sample = 0;
  std::optional<double> score;  // in [0, 1]; nullopt when the record was never scored
  double latency_s = 0;         // 0 when unknown
  int64_t tokens = 0;           // tokens_in + tokens_out (throughput = tokens / latency_s)
};

struct CompareGroup {
  CompareKey key;
  std::vector<CompareItem> items;
};

// One side of the comparison: where it came from and its groups.
struct CompareRun {
  std::string source;
  std::vector<CompareGroup> groups;
  int64_t duplicates = 0;  // records the loader already dropped as repeats (run_data.h)
};

enum class Correction { kHolm, kBonferroni, kNone };
const char* CorrectionName(Correction c);          // "holm" | "bonferroni" | "none"
Correction ParseCorrection(const std::string& s);  // Error naming the value otherwise

struct CompareOptions {
  double alpha = 0.05;       // family-wise level of the accuracy tests (after the correction)
  double min_effect = 0.01;  // |candidate − base| a verdict needs, in accuracy points (0..1)
  double power = 0.8;        // for the minimum detectable difference
  Correction correction = Correction::kHolm;
  int64_t max_flips_listed = 20;  // per direction and group; the rest is a count
  int64_t bootstrap_resamples = 10000;
  uint64_t seed = 20240101;       // bootstrap seed (accuracy and speed)
  double speed_threshold = 0.10;  // relative slowdown a speed verdict needs (0.10 = 10%)
  int64_t speed_resamples = 2000;
  int64_t speed_min_items = 10;  // fewer timed pairs: no latency ratio at all
  // Repeated measurements (groups differing only by seed) a speed verdict needs; fewer: the
  // ratio is informational.
  int64_t speed_min_repeats = 3;
};

// Which groups one side of an A/B comparison takes: every term must hold. Dimensions: model
// (alias or id), config (name or hash), strategy (name or canonical JSON), suite (name or hash),
// and any field of the setting (fewshot, seed, samples, max_tokens, temperature, ...).
struct Selector {
  std::string text;  // as given, for messages ("config=base,fewshot=0")
  std::vector<std::pair<std::string, std::string>> terms;
};
// Parses "dim=value[,dim=value...]"; Error (a usage error) naming the text otherwise.
Selector ParseSelector(const std::string& text);

enum class Verdict { kNoChange, kRegression, kImprovement, kNotTested };
const char* VerdictName(Verdict v);  // "no significant change" | "regression" | ...

struct SpeedComparison {
  int64_t n = 0;  // item pairs with a latency on both sides
  double base_median_latency_s = 0;
  double cand_median_latency_s = 0;
  double latency_ratio = 1;             // cand / base medians; > 1 is slower
  std::optional<Interval> ratio_ci;     // paired bootstrap percentile interval
  double base_median_tokens_per_s = 0;  // informational
  double cand_median_tokens_per_s = 0;
  Verdict verdict = Verdict::kNotTested;
  std::string note;                 // why it was not judged
  bool informational = false;       // ratio shown, but one measurement per side: no verdict
  double base_tokens_per_item = 0;  // mean tokens_in + tokens_out (machine-independent cost)
  double cand_tokens_per_item = 0;
};

// Speed judged over repeated measurements: the pairs of one setting that differ only by seed.
struct SpeedFamily {
  std::string label;  // the first pair's description without its seed
  int64_t repeats = 0;
  double ratio = 1;            // geometric mean of the per-repeat median-latency ratios
  std::optional<Interval> ci;  // exp(mean log ratio ± t(0.975, k − 1)·sd/√k)
  Verdict verdict = Verdict::kNotTested;
};

struct GroupComparison {
  CompareKey key;       // the base (A) side
  CompareKey cand_key;  // the candidate (B) side: equal to `key` in the regression gate
  // Records (item_id, sample) on each side, and how they matched.
  int64_t base_records = 0;
  int64_t cand_records = 0;
  int64_t paired_records = 0;  // present and scored on both sides
  int64_t base_only = 0;       // present in base only
  int64_t cand_only = 0;       // present in candidate only
  int64_t unscored = 0;        // present on both, unscored on at least one side (not compared)
  int64_t duplicates = 0;      // repeated (item_id, sample) within one side (first one kept)
  // Units of the test: items (their samples averaged); binary when every item has exactly one
  // sample with a 0/1 score.
  int64_t n_items = 0;
  bool binary = true;
  std::string test;  // "mcnemar" | "bootstrap" | "" (nothing paired)
  double base_accuracy = 0;
  double cand_accuracy = 0;
  Estimate diff;          // cand − base over the paired items, with its CI
  double p_value = 1;     // McNemar exact or bootstrap p, before the correction
  double p_adjusted = 1;  // after the correction across groups
  double mdd = 0;         // minimum detectable difference at this size (power.h)
  std::vector<std::string> correct_to_wrong;  // "item_id" or "item_id#sample", sorted
  std::vector<std::string> wrong_to_correct;
  Verdict verdict = Verdict::kNotTested;
  SpeedComparison speed;
};

struct Comparison {
  std::string base_source;
  std::string cand_source;
  std::string a_selector;  // A/B mode: the selectors as given; "" in the regression gate
  std::string b_selector;
  CompareOptions options;
  std::vector<GroupComparison> groups;  // shared groups, in the base run's order
  std::vector<CompareKey> base_only_groups;
  std::vector<CompareKey> cand_only_groups;
  int64_t base_duplicates = 0;  // CompareRun::duplicates of each side
  int64_t cand_duplicates = 0;
  int64_t regressions = 0;
  int64_t improvements = 0;
  int64_t speed_regressions = 0;  // judged families (SpeedFamily) that are regressions
  std::vector<SpeedFamily> speed_families;
};

// The comparison's view of a loaded run: a record's score is its graded `score` where it has one
// (TruthfulQA MC2: a continuous value, so the group gets the bootstrap), else 1/0 from `correct`
// (nullopt when unscored); its latency from the timing, its tokens tokens_in + tokens_out.
CompareRun ToCompareRun(const RunData& run);

// Compares every group present in both runs. Throws Error when no group is shared (naming both
// sources) or an option is out of range (alpha and power in (0, 1), min_effect in [0, 1),
// speed_threshold >= 0, resamples >= 1).
Comparison CompareRuns(const CompareRun& base, const CompareRun& cand,
                       const CompareOptions& options = {});

// A/B of two settings: the groups of `a_run` that `a` selects against those of `b_run` that `b`
// selects (the same run for a comparison within one run), paired on every dimension neither
// selector names, item by item on the records they share. Throws Error (a usage error) when a
// selector matches no group (listing the values there are), when both select the same group,
// when a selector is ambiguous (two of its groups agree on every unnamed dimension, e.g. two
// model files with one alias), or when no A group has a B partner.
Comparison CompareSettings(const CompareRun& a_run, const Selector& a, const CompareRun& b_run,
                           const Selector& b, const CompareOptions& options = {});

// The Holm (1979) step-down adjusted p-values, in the input order: with p sorted ascending,
// p_adj(i) = max_{j <= i} min(1, (m − j + 1)·p(j)). Bonferroni: min(1, m·p). None: p.
std::vector<double> AdjustPValues(const std::vector<double>& p, Correction correction);

// The Markdown summary for CI logs: a verdict line, a table per group and the flipped items.
std::string RenderCompareMarkdown(const Comparison& c);
// The same as one JSON object (schema in docs/COMPARE.md), ending in a newline.
std::string RenderCompareJson(const Comparison& c);

}  // namespace gapbench::reports
