// The numbers a report shows, computed from a loaded run (run_data.h) with the statistics
// library: per group (model × configuration × strategy × suite) accuracy with its 95% interval
// (Wilson / Wald by UseWilson, or the clustered SE when items share a cluster), acc_norm, pass@k,
// cost and the minimum detectable difference; the generalisation, reasoning and knowledge gaps
// per model and their small-vs-large differences; the accuracy-versus-cost Pareto front per suite.
// docs/REPORTS.md states every rule used here.
//
// Scores: an item's score is the mean of `correct` over its scored samples (1 sample: 0 or 1), or
// of the record's graded `score` where it has one (TruthfulQA MC2).
// Samples whose record has correct = null (code not yet run) are left out and counted.
//
// Not here: rendering (results_json.h, markdown.h, html.h); paired run-vs-run comparison
// (compare.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/cluster.h"
#include "reports/gap.h"
#include "reports/paired.h"
#include "reports/proportion.h"
#include "reports/regression.h"
#include "reports/run_data.h"
#include "reports/stats.h"

namespace gapbench::reports {

struct MetricsOptions {
  double confidence = 0.95;
  double alpha = 0.05;  // for the minimum detectable difference
  double power = 0.8;
};

// One item of a group after folding its samples.
struct ItemScore {
  std::string item_id;
  double score = 0;                  // mean of correct over scored samples
  std::optional<double> score_norm;  // MC: mean of correct_norm
  int64_t samples = 0;               // scored samples
  int64_t correct_samples = 0;
  int64_t choices = 0;  // multiple choice: number of choices (of the first sample); else 0
  const suites::Tags* tags = nullptr;  // of the first sample (points into the RunData)
};

struct CostMetrics {
  int64_t items_timed = 0;               // samples with a latency_s > 0
  std::optional<double> latency_s_mean;  // per sample (item call)
  std::optional<double> tokens_per_s;    // Σ(tokens_in + tokens_out) / Σ latency_s
  double tokens_in_mean = 0;             // per sample
  double tokens_out_mean = 0;
  std::optional<double> parameters;    // model metadata "parameters"
  std::optional<double> weight_bytes;  // see docs/REPORTS.md for the sources
  std::optional<double> kv_bytes_per_token;
  std::optional<double> flops_per_item;  // timing "flops" mean, else 2·parameters·tokens
  std::vector<std::string> notes;        // why a figure is missing or where it came from
};

struct PassAtKRow {
  int64_t k = 1;
  Estimate estimate;
};

struct GroupMetrics {
  size_t group = 0;          // index into RunData::groups
  int64_t n_items = 0;       // items with at least one scored sample
  int64_t n_unscored = 0;    // samples with correct = null
  AccuracySummary accuracy;  // iid, over per-item scores
  std::string cluster_by;    // "" (no clustering) | "subject" | an extra tag name
  std::optional<ClusteredMean> clustered;
  Interval ci;                                   // the interval to show
  std::string ci_method;                         // "wilson" | "wald" | "clustered"
  std::optional<AccuracySummary> accuracy_norm;  // multiple-choice suites
  std::vector<PassAtKRow> pass_at_k;             // groups with more than one sample per item
  std::optional<double> mdd;  // unpaired MDD at this n and accuracy (docs/REPORTS.md); never 0
  // Chance accuracy of a multiple-choice group: the mean over its items of 1/k, k the item's
  // number of choices (1/k itself when every item has k). Absent unless every item is
  // multiple choice with its choices recorded.
  std::optional<double> chance;
  CostMetrics cost;
  std::vector<ItemScore> items;  // by item_id
};

// Who a gap row belongs to (a model under one configuration and strategy).
struct Arm {
  std::string model_id;
  std::string model_alias;
  std::string config_hash;
  std::string config_name;
  std::string strategy;
  std::string setting;        // GroupKey::setting (few-shot count, seed, ...): part of the arm
  std::string setting_label;  // SettingLabel
};

struct GeneralisationGap {
  Arm arm;
  std::string family;  // the in-distribution suite's name
  int64_t n_id = 0;
  int64_t n_ood = 0;
  Estimate acc_id;  // Wald (CLT) estimates
  Estimate acc_ood;
  Estimate gap;  // acc_id − acc_ood, independent samples
};

// small − large on one family: GapDifferenceInDifferences over the items both models answered
// (`paired`), else the independent difference of the two gaps.
struct GeneralisationDiff {
  std::string config_name, config_hash, strategy, family;
  std::string setting_label;  // of both arms (they share the setting)
  std::string small_alias, large_alias;
  bool paired = false;
  int64_t n_id = 0, n_ood = 0;  // items used
  Estimate gap_small, gap_large, diff;
};

struct StepBucket {
  int64_t steps = 0;
  AccuracySummary accuracy;
};

struct ReasoningGap {
  Arm arm;
  size_t group = 0;
  std::vector<StepBucket> buckets;  // by steps
  std::optional<SlopeFit> fit;      // per-item score on steps; absent with a note
  std::string note;
};

struct ReasoningDiff {
  std::string config_name, config_hash, strategy, suite;
  std::string family;         // the suite's items' family tag when they share one, else the suite
  std::string setting_label;  // of both arms (they share the setting)
  std::string small_alias, large_alias;
  Estimate slope_small, slope_large;  // HC1
  Estimate diff;                      // small − large, independent
};

struct KnowledgeBucket {
  std::string bucket;  // "[1e2, 1e3)" style decade, "0" for non-positive, or a subject
  double order = 0;    // sort key (decade exponent; 0 for subjects, then by name)
  AccuracySummary accuracy;
};

struct KnowledgeGap {
  Arm arm;
  size_t group = 0;
  std::string by;  // "fact_frequency" | "subject"
  std::vector<KnowledgeBucket> buckets;
};

struct KnowledgeDiffRow {
  std::string bucket;
  int64_t n = 0;              // items both models answered
  PairedDifference diff;      // small − large
  std::optional<double> mdd;  // paired MDD at this n
};

struct KnowledgeDiff {
  std::string config_name, config_hash, strategy, suite, by;
  std::string family;         // as ReasoningDiff::family
  std::string setting_label;  // of both arms (they share the setting)
  std::string small_alias, large_alias;
  std::vector<KnowledgeDiffRow> rows;
};

struct ParetoPoint {
  size_t group = 0;
  double accuracy = 0;
  double cost = 0;
  bool on_front = false;
};

struct ParetoFront {
  std::string suite_name, suite_hash;
  std::string cost_metric;          // "latency_s_per_item" | "flops_per_item"
  std::vector<ParetoPoint> points;  // by cost, then accuracy descending
};

// Two models of the run, the smaller (by the size basis) first.
struct ModelPair {
  std::string small_id, small_alias, large_id, large_alias;
};

struct RunMetrics {
  MetricsOptions options;
  std::vector<GroupMetrics> groups;            // parallel to RunData::groups
  std::string small_model_id, large_model_id;  // empty unless two or more models
  std::string small_model_alias, large_model_alias;
  std::string size_basis;  // "parameters" | "file size"
  // Every pair of models, smaller first, in size order (a zoo of n models gives n(n-1)/2); the
  // *_diff rows below are computed for each pair.
  std::vector<ModelPair> pairs;
  std::vector<GeneralisationGap> generalisation;
  std::vector<GeneralisationDiff> generalisation_diff;
  std::vector<ReasoningGap> reasoning;
  std::vector<ReasoningDiff> reasoning_diff;
  std::vector<KnowledgeGap> knowledge;
  std::vector<KnowledgeDiff> knowledge_diff;
  std::vector<ParetoFront> pareto;
  std::vector<std::string> notes;
};

RunMetrics ComputeMetrics(const RunData& run, const MetricsOptions& options = {});
// One group's row alone (what ComputeMetrics puts in `groups`); `eval` summarises through it.
GroupMetrics ComputeGroupMetrics(const RunData& run, size_t index,
                                 const MetricsOptions& options = {});

// Cost figures of one group (cost_metrics.cpp; sources in docs/REPORTS.md).
CostMetrics ComputeCost(const RunData& run, const RunGroup& group);
// The model's parameter count from its metadata ("parameters" or "n_params"), if recorded.
std::optional<double> ModelParameters(const ModelRow& model);

// Non-dominated points (higher accuracy, lower cost; ties keep both): sets on_front and sorts.
void MarkParetoFront(std::vector<ParetoPoint>& points);

// The decade bucket of a fact frequency: label and sort key (see KnowledgeBucket).
std::pair<std::string, double> FrequencyBucket(double frequency);

}  // namespace gapbench::reports
