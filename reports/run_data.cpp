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
                  g.key.strategy, g.suite.name, g.key.suite_hash, g.setting.fewshot, g.setting.seed,
                  g.key.setting);
}

// The shard-key members that GroupKey holds in its own fields (or that do not identify a group:
// the item range).
bool IsGroupedElsewhere(std::string_view key) {
  return key == "model" || key == "engine" || key == "strategy" || key == "suite" || key == "items";
}

// Canonical JSON of `doc` (an object) without the members `drop` says to leave out.
template <typename Drop>
std::string CanonicalWithout(const rapidjson::Value& doc, Drop drop) {
  rapidjson::Document copy(rapidjson::kObjectType);
  auto& a = copy.GetAllocator();
  for (const auto& m : doc.GetObject()) {
    if (drop(std::string_view(m.name.GetString(), m.name.GetStringLength()))) continue;
    copy.AddMember(rapidjson::Value(m.name, a), rapidjson::Value(m.value, a), a);
  }
  return CanonicalJson(copy);
}

std::optional<rapidjson::Document> ParseObject(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  return doc;
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
  // A guarded record's guard seconds travel with the timing (suites/record.h ItemTimingToJson).
  if (const auto g = item.timing.find("guard_s"); g != item.timing.end() && item.record.guard) {
    item.record.guard->seconds = g->second;
  }
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

std::string ShardSetting(const ShardRow& shard) {
  auto doc = ParseObject(shard.key);
  if (!doc) doc.emplace().SetObject();
  auto& a = doc->GetAllocator();
  // The columns fill what the key lacks (a hand-built key); in a coordinator's key they agree.
  if (!doc->HasMember("seed")) doc->AddMember("seed", shard.seed, a);
  if (!doc->HasMember("samples")) doc->AddMember("samples", shard.samples, a);
  return CanonicalWithout(*doc, IsGroupedElsewhere);
}

std::string SettingWithoutSeed(const std::string& setting_json) {
  const auto doc = ParseObject(setting_json);
  if (!doc) return setting_json;
  return CanonicalWithout(*doc, [](std::string_view k) { return k == "seed"; });
}

GroupSetting ParseSetting(const std::string& setting_json, const std::string& where) {
  const auto doc = ParseObject(setting_json);
  if (!doc) Fail(where, ": the shard setting is not a JSON object: ", setting_json);
  GroupSetting s;
  auto integer = [&](const char* name) -> std::optional<int64_t> {
    const auto it = doc->FindMember(name);
    if (it == doc->MemberEnd() || !it->value.IsInt64()) return std::nullopt;
    return it->value.GetInt64();
  };
  s.fewshot = integer("fewshot");
  const auto seed = doc->FindMember("seed");
  if (seed != doc->MemberEnd() && seed->value.IsUint64()) s.seed = seed->value.GetUint64();
  s.samples = std::max<int64_t>(1, integer("samples").value_or(1));
  s.max_tokens = integer("max_tokens");
  s.result_format = integer("result_format");
  const auto chat = doc->FindMember("chat");
  if (chat != doc->MemberEnd() && chat->value.IsObject()) {
    s.chat = true;
    const auto mt = chat->value.FindMember("fewshot_as_multiturn");
    s.fewshot_as_multiturn =
        mt != chat->value.MemberEnd() && mt->value.IsBool() && mt->value.GetBool();
    const auto sp = chat->value.FindMember("system_prompt");
    if (sp != chat->value.MemberEnd() && sp->value.IsString()) {
      s.system_prompt.assign(sp->value.GetString(), sp->value.GetStringLength());
    }
  }
  const auto t = doc->FindMember("temperature");
  if (t != doc->MemberEnd()) {
    if (t->value.IsString()) {
      s.temperature = t->value.GetString();
    } else if (t->value.IsNumber()) {
      s.temperature = StrCat(t->value.GetDouble());
    }
  }
  return s;
}

std::string ChatLabel(const GroupSetting& s) {
  if (!s.chat) return "-";
  return StrCat("chat", s.fewshot_as_multiturn ? ", multi-turn" : "",
                s.system_prompt.empty() ? "" : ", system");
}

std::string SettingLabel(const GroupSetting& s, bool with_seed) {
  std::vector<std::string> parts;
  if (s.fewshot) parts.push_back(StrCat(*s.fewshot, "-shot"));
  if (with_seed) parts.push_back(StrCat("seed ", s.seed));
  if (s.samples != 1) parts.push_back(StrCat(s.samples, " samples"));
  if (!s.temperature.empty() && s.temperature != "0") parts.push_back(StrCat("T ", s.temperature));
  if (s.chat) parts.push_back(ChatLabel(s));
  std::string out;
  for (const auto& p : parts) out += StrCat(out.empty() ? "" : ", ", p);
  return out.empty() ? "-" : out;
}

std::string GroupLabel(const RunGroup& g) {
  return StrCat(g.model.alias, " / ", g.config.name, " / ", g.strategy_name, " / ", g.suite.name,
                " / ", SettingLabel(g.setting));
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
    GroupKey key{shard.model_id, shard.config_hash, shard.strategy, shard.suite_hash,
                 ShardSetting(shard)};
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
      group.setting = ParseSetting(key.setting, StrCat(source, ": shard ", row.shard_id));
      group.samples = group.setting.samples;
    }

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
  // An empty database (a coordinator that never queued a sweep) is said so, not reported as a
  // run of 0 groups.
  if (store.Sweeps().empty()) {
    Fail("results store '", db, "': holds no sweep (an empty database: no sweep was ever queued ",
         "in it, so there is nothing to report)");
  }
  return LoadRunFromStore(store, db);
}

}  // namespace gapbench::reports
