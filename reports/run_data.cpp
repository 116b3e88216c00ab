// Loading a results database into groups of parsed item records (see run_data.h).
#include "reports/run_data.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "common/error.h"
#include "common/json.h"

namespace gapbench::reports {
namespace {

namespace fs = std::filesystem;

auto GroupOrder(const RunGroup& g) {
  return std::tie(g.model.alias, g.key.model_id, g.config.name, g.key.config_hash, g.strategy_name,
                  g.key.strategy, g.suite.name, g.key.suite_hash);
}

void ParseTiming(RunItem& item, const std::string& where) {
  item.timing.clear();
  if (item.timing_json.empty()) item.timing_json = "{}";
  const auto doc = ParseJson(item.timing_json, where);
  if (!doc.IsObject()) Fail(where, ": timing must be a JSON object");
  for (const auto& m : doc.GetObject()) {
    if (m.value.IsNumber()) {
      item.timing[std::string(m.name.GetString(), m.name.GetStringLength())] = m.value.GetDouble();
    }
  }
  const auto it = item.timing.find("latency_s");
  if (it != item.timing.end()) item.record.latency_s = it->second;
}

}  // namespace

std::string ResolveResultsPath(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) Fail(path, ": no such results database or run directory");
  if (fs::is_directory(status)) {
    const fs::path db = fs::path(path) / "results.sqlite";
    if (!fs::exists(db, ec)) Fail(path, ": a run directory must contain results.sqlite");
    return db.string();
  }
  return path;
}

std::string StrategyName(const std::string& strategy_json) {
  if (strategy_json.empty()) return "single";
  try {
    const auto doc = ParseJson(strategy_json, "strategy");
    if (doc.IsObject()) {
      const auto it = doc.FindMember("name");
      if (it != doc.MemberEnd() && it->value.IsString()) return it->value.GetString();
    }
  } catch (const Error&) {
    // Not JSON: the text itself is the best label.
  }
  return strategy_json;
}

std::string GroupLabel(const RunGroup& g) {
  return StrCat(g.model.alias, " / ", g.config.name, " / ", g.strategy_name, " / ", g.suite.name);
}

void SortRun(RunData& run) {
  for (auto& g : run.groups) {
    std::stable_sort(g.items.begin(), g.items.end(), [](const RunItem& a, const RunItem& b) {
      return std::tie(a.item_id, a.sample, a.shard_id) < std::tie(b.item_id, b.sample, b.shard_id);
    });
  }
  std::sort(run.groups.begin(), run.groups.end(),
            [](const RunGroup& a, const RunGroup& b) { return GroupOrder(a) < GroupOrder(b); });
  std::sort(run.models.begin(), run.models.end(),
            [](const ModelRow& a, const ModelRow& b) { return a.id < b.id; });
  std::sort(run.configurations.begin(), run.configurations.end(),
            [](const ConfigurationRow& a, const ConfigurationRow& b) { return a.hash < b.hash; });
  std::sort(run.suites.begin(), run.suites.end(),
            [](const SuiteRow& a, const SuiteRow& b) { return a.content_hash < b.content_hash; });
}

RunData LoadRunFromStore(const ResultsStore& store, const std::string& source) {
  RunData run;
  run.source = source;
  run.sweeps = store.Sweeps();
  run.models = store.Models();
  run.configurations = store.Configurations();
  run.suites = store.Suites();

  std::map<std::string, const ModelRow*> models;
  for (const auto& m : run.models) models[m.id] = &m;
  std::map<std::string, const ConfigurationRow*> configs;
  for (const auto& c : run.configurations) configs[c.hash] = &c;
  std::map<std::string, const SuiteRow*> suites;
  for (const auto& s : run.suites) suites[s.content_hash] = &s;

  std::map<std::string, ShardRow> shards;
  for (auto& s : store.Shards()) {
    ++run.shards_total;
    if (s.state == ShardState::kDone) ++run.shards_done;
    if (s.state == ShardState::kPoison) {
      ++run.shards_poison;
      run.poisoned.push_back({s.id, s.suite_hash, s.begin, s.end, s.attempts, s.last_error});
    }
    shards.emplace(s.id, std::move(s));
  }

  std::map<GroupKey, RunGroup> groups;
  // (group, item_index, sample) -> the record kept (the duplicate rule in run_data.h).
  std::map<std::tuple<GroupKey, int64_t, int64_t>, RunItem> kept;
  for (auto& row : store.Items()) {
    const auto shard_it = shards.find(row.shard_id);
    if (shard_it == shards.end()) {
      Fail(source, ": item '", row.item_id, "' names shard '", row.shard_id,
           "' that the database does not hold");
    }
    const ShardRow& shard = shard_it->second;
    GroupKey key{shard.model_id, shard.config_hash, shard.strategy, shard.suite_hash};
    const std::string where =
        StrCat(source, ": shard ", row.shard_id, " item '", row.item_id, "' sample ", row.sample);

    RunItem item;
    item.shard_id = row.shard_id;
    item.item_index = row.item_index;
    item.sample = row.sample;
    item.item_id = row.item_id;
    item.record = suites::ItemRecordFromJson(row.record_json, where);
    item.timing_json = row.timing_json;
    ParseTiming(item, where);

    auto& group = groups[key];
    if (group.items.empty() && group.key.model_id.empty()) {
      group.key = key;
      const auto m = models.find(key.model_id);
      if (m != models.end()) {
        group.model = *m->second;
      } else {
        group.model.id = key.model_id;
      }
      if (group.model.alias.empty()) group.model.alias = key.model_id;
      const auto c = configs.find(key.config_hash);
      if (c != configs.end()) group.config = *c->second;
      group.config.hash = key.config_hash;
      if (group.config.name.empty()) group.config.name = key.config_hash;
      const auto s = suites.find(key.suite_hash);
      if (s != suites.end()) group.suite = *s->second;
      group.suite.content_hash = key.suite_hash;
      if (group.suite.name.empty()) group.suite.name = item.record.suite;
      group.strategy_name = StrategyName(key.strategy);
    }
    group.samples = std::max(group.samples, shard.samples);

    const auto slot = std::make_tuple(key, row.item_index, row.sample);
    const auto prev = kept.find(slot);
    if (prev != kept.end()) {
      ++run.duplicates;
      if (row.shard_id < prev->second.shard_id) prev->second = std::move(item);
      continue;
    }
    kept.emplace(slot, std::move(item));
  }
  for (auto& [slot, item] : kept) groups[std::get<0>(slot)].items.push_back(std::move(item));
  for (auto& [key, group] : groups) run.groups.push_back(std::move(group));
  SortRun(run);
  return run;
}

RunData LoadRun(const std::string& path) {
  const std::string db = ResolveResultsPath(path);
  const auto store = ResultsStore::OpenReadOnly(db);
  return LoadRunFromStore(store, db);
}

}  // namespace gapbench::reports
