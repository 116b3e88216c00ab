// Merging runs (see leaderboard.h).
#include "reports/leaderboard.h"

#include <map>
#include <set>
#include <tuple>

#include "common/error.h"

namespace gapbench::reports {

RunData MergeRuns(std::vector<RunData> runs) {
  RunData out;
  std::set<std::string> sweeps, models, configs, suites;
  std::map<GroupKey, size_t> group_index;
  std::map<GroupKey, std::set<std::pair<std::string, int64_t>>> seen;  // (item_id, sample)
  for (auto& run : runs) {
    if (!out.source.empty()) out.source += ", ";
    out.source += run.source;
    for (auto& s : run.sweeps) {
      if (sweeps.insert(s.id).second) out.sweeps.push_back(std::move(s));
    }
    for (auto& m : run.models) {
      if (models.insert(m.id).second) out.models.push_back(std::move(m));
    }
    for (auto& c : run.configurations) {
      if (configs.insert(c.hash).second) out.configurations.push_back(std::move(c));
    }
    for (auto& s : run.suites) {
      if (suites.insert(s.content_hash).second) out.suites.push_back(std::move(s));
    }
    out.shards_total += run.shards_total;
    out.shards_done += run.shards_done;
    out.shards_poison += run.shards_poison;
    out.duplicates += run.duplicates;
    for (auto& g : run.groups) {
      auto& keys = seen[g.key];
      const auto it = group_index.find(g.key);
      if (it == group_index.end()) {
        for (const auto& item : g.items) keys.insert({item.item_id, item.sample});
        group_index[g.key] = out.groups.size();
        out.groups.push_back(std::move(g));
        continue;
      }
      auto& target = out.groups[it->second];
      target.samples = std::max(target.samples, g.samples);
      for (auto& item : g.items) {
        if (!keys.insert({item.item_id, item.sample}).second) {
          ++out.duplicates;
          continue;
        }
        target.items.push_back(std::move(item));
      }
    }
  }
  SortRun(out);
  return out;
}

RunData LoadLeaderboard(const std::vector<std::string>& paths) {
  if (paths.empty()) Fail("leaderboard: no runs given");
  std::vector<RunData> runs;
  for (const auto& p : paths) runs.push_back(LoadRun(p));
  return MergeRuns(std::move(runs));
}

}  // namespace gapbench::reports
