// Seeds of one setting as repeated measurements (see seeds.h).
#include "reports/seeds.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace gapbench::reports {

std::vector<SeedSummary> SummariseSeeds(const RunData& run, const RunMetrics& metrics) {
  using SettingId = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<SettingId, std::vector<size_t>> by_setting;
  std::vector<SettingId> order;  // first appearance, so summaries follow the group order
  for (size_t i = 0; i < run.groups.size(); ++i) {
    if (metrics.groups[i].n_items == 0) continue;
    const GroupKey& k = run.groups[i].key;
    const SettingId id{k.model_id, k.config_hash, k.strategy, k.suite_hash,
                       SettingWithoutSeed(k.setting)};
    auto& v = by_setting[id];
    if (v.empty()) order.push_back(id);
    v.push_back(i);
  }
  std::vector<SeedSummary> out;
  for (const SettingId& id : order) {
    auto groups = by_setting[id];
    if (groups.size() < 2) continue;
    std::stable_sort(groups.begin(), groups.end(), [&](size_t a, size_t b) {
      return run.groups[a].setting.seed < run.groups[b].setting.seed;
    });
    SeedSummary s;
    s.groups = groups;
    std::map<std::string, std::pair<double, int64_t>> per_item;  // item_id -> (sum, seeds)
    for (size_t gi : groups) {
      const GroupMetrics& gm = metrics.groups[gi];
      s.seeds.push_back(run.groups[gi].setting.seed);
      s.accuracies.push_back(gm.accuracy.mean.value);
      for (const ItemScore& item : gm.items) {
        auto& slot = per_item[item.item_id];
        slot.first += item.score;
        ++slot.second;
      }
    }
    const double k = static_cast<double>(s.accuracies.size());
    double sum = 0;
    for (double a : s.accuracies) sum += a;
    s.mean = sum / k;
    double ss = 0;
    for (double a : s.accuracies) ss += (a - s.mean) * (a - s.mean);
    s.sd = std::sqrt(ss / (k - 1));
    s.min = *std::min_element(s.accuracies.begin(), s.accuracies.end());
    s.max = *std::max_element(s.accuracies.begin(), s.accuracies.end());
    std::vector<double> item_means;
    for (const auto& [item_id, slot] : per_item) {
      item_means.push_back(slot.first / static_cast<double>(slot.second));
    }
    s.n_items = static_cast<int64_t>(item_means.size());
    s.pooled = Accuracy(item_means, metrics.options.confidence);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace gapbench::reports
