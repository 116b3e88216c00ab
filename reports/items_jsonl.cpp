// items.jsonl writer (see items_jsonl.h).
#include "reports/items_jsonl.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <tuple>

#include "common/error.h"
#include "common/json.h"

namespace gapbench::reports {
namespace {

void Str(JsonWriter& w, const char* key, std::string_view v) {
  w.Key(key);
  WriteJsonString(w, v);
}

// Copies a parsed JSON value into the writer (member order kept).
void Copy(JsonWriter& w, const rapidjson::Value& v) { v.Accept(w); }

}  // namespace

std::string ItemLine(const RunGroup& g, const RunItem& item) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "model_id", g.key.model_id);
  Str(w, "model_alias", g.model.alias);
  Str(w, "config_hash", g.key.config_hash);
  Str(w, "config_name", g.config.name);
  Str(w, "strategy", g.strategy_name);
  Str(w, "suite", g.suite.name);
  Str(w, "suite_hash", g.key.suite_hash);
  // The rest of the group's identity: two lines with equal (item_id, sample) but different
  // settings (few-shot count, seed, ...) are different evaluations.
  w.Key("setting");
  Copy(w, ParseJson(g.key.setting, "group setting"));
  Str(w, "item_id", item.item_id);
  w.Key("item_index");
  w.Int64(item.item_index);
  w.Key("sample");
  w.Int64(item.sample);

  // The record re-serialised from its parsed form (canonical key order whatever the stored
  // text looked like); identifying fields already written above and the timing are skipped.
  const std::string record = suites::ItemRecordToJson(item.record);
  const auto doc = ParseJson(record, "item record");
  for (const auto& m : doc.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == "item_id" || key == "suite" || key == "suite_hash" || key == "latency_s") continue;
    w.Key(m.name.GetString(), m.name.GetStringLength());
    Copy(w, m.value);
  }

  // Timing: the stored object's members sorted by key; latency_s from the record when the
  // stored timing lacks it (older records kept it inline).
  const auto timing = ParseJson(item.timing_json.empty() ? "{}" : item.timing_json, "timing");
  std::map<std::string, const rapidjson::Value*> sorted;
  if (timing.IsObject()) {
    for (const auto& m : timing.GetObject()) {
      sorted[std::string(m.name.GetString(), m.name.GetStringLength())] = &m.value;
    }
  }
  w.Key("timing");
  w.StartObject();
  bool latency_written = false;
  for (const auto& [key, value] : sorted) {
    if (!latency_written && key > "latency_s" && !sorted.count("latency_s")) {
      w.Key("latency_s");
      WriteJsonFloat(w, item.record.latency_s);
      latency_written = true;
    }
    w.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    Copy(w, *value);
    if (key == "latency_s") latency_written = true;
  }
  if (!latency_written) {
    w.Key("latency_s");
    WriteJsonFloat(w, item.record.latency_s);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

void WriteItemsJsonl(const RunData& run, std::ostream& out) {
  struct Ref {
    const RunGroup* group;
    const RunItem* item;
  };
  std::vector<Ref> refs;
  for (const auto& g : run.groups) {
    for (const auto& it : g.items) refs.push_back({&g, &it});
  }
  std::stable_sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) {
    return std::tie(a.group->key.config_hash, a.group->suite.name, a.group->key.suite_hash,
                    a.group->key.model_id, a.group->key.strategy, a.group->setting.fewshot,
                    a.group->setting.seed, a.group->key.setting, a.item->item_id, a.item->sample) <
           std::tie(b.group->key.config_hash, b.group->suite.name, b.group->key.suite_hash,
                    b.group->key.model_id, b.group->key.strategy, b.group->setting.fewshot,
                    b.group->setting.seed, b.group->key.setting, b.item->item_id, b.item->sample);
  });
  for (const auto& r : refs) out << ItemLine(*r.group, *r.item) << '\n';
}

std::string ItemsJsonl(const RunData& run) {
  std::ostringstream out;
  WriteItemsJsonl(run, out);
  return out.str();
}

}  // namespace gapbench::reports
