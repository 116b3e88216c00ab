#include "reports/eval_tally.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace gapbench::reports {

EvalTally::EvalTally(std::string suite_name, std::string suite_hash, int64_t samples) {
  run_.source = "gapbench eval";
  RunGroup g;
  g.key.suite_hash = suite_hash;
  g.suite.content_hash = std::move(suite_hash);
  g.suite.name = std::move(suite_name);
  g.samples = samples;
  g.setting.samples = samples;
  run_.groups.push_back(std::move(g));
}

void EvalTally::Add(int64_t sample, const suites::ItemRecord& record) {
  auto& items = run_.groups.front().items;
  RunItem it;
  it.item_index = static_cast<int64_t>(items.size());
  it.sample = sample;
  it.item_id = record.item_id;
  it.record = record;
  if (!items.empty() &&
      std::tie(items.back().item_id, items.back().sample) > std::tie(it.item_id, it.sample)) {
    sorted_ = false;
  }
  items.push_back(std::move(it));
}

GroupMetrics EvalTally::Metrics(const MetricsOptions& options) {
  auto& items = run_.groups.front().items;
  if (!sorted_) {  // ComputeGroupMetrics folds samples over (item_id, sample) order
    std::stable_sort(items.begin(), items.end(), [](const RunItem& a, const RunItem& b) {
      return std::tie(a.item_id, a.sample) < std::tie(b.item_id, b.sample);
    });
    sorted_ = true;
  }
  return ComputeGroupMetrics(run_, 0, options);
}

std::map<std::string, double> EvalTally::SubjectMeans(const GroupMetrics& metrics) {
  std::map<std::string, std::pair<double, int64_t>> sums;
  for (const auto& s : metrics.items) {
    auto& [sum, n] = sums[s.tags ? s.tags->subject : std::string()];
    sum += s.score;
    ++n;
  }
  std::map<std::string, double> out;
  if (sums.size() < 2) return out;
  for (const auto& [subject, sn] : sums) out[subject] = sn.first / static_cast<double>(sn.second);
  return out;
}

}  // namespace gapbench::reports
