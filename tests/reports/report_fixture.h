// Test helper for the report tests: builds a real results database (through ResultsStore) from
// fixture lines, one JSON object per line with a "type":
//   {"type":"sweep","id","name","git_commit","gapbench_version","machine","started_at","ended_at"}
//   {"type":"model","id","alias","size_bytes","file_hash","metadata":{...}}
//   {"type":"config","hash","name","canonical":{...}}
//   {"type":"suite","content_hash","name","format","n_items"}
//   {"type":"item","model","config","suite","strategy"?,"index","sample"?,"samples"?,
//    "record":{ItemRecord JSON},"timing":{...}?}
// Every (model, config, strategy, suite) becomes one done shard covering [0, n_items) with the
// largest "samples" seen; item records are stored without timing, as workers store them.
// Not here: assertions (the tests).
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "common/error.h"
#include "common/hash.h"
#include "common/json.h"
#include "reports/results_store.h"
#include "suites/record.h"

namespace gapbench::reports::testing {

inline std::string Member(const rapidjson::Value& v, const char* key, const char* def = "") {
  const auto it = v.FindMember(key);
  if (it == v.MemberEnd()) return def;
  if (it->value.IsString()) return it->value.GetString();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  it->value.Accept(w);
  return buf.GetString();
}

inline int64_t IntMember(const rapidjson::Value& v, const char* key, int64_t def) {
  const auto it = v.FindMember(key);
  return it == v.MemberEnd() ? def : it->value.GetInt64();
}

// Builds `db_path` from the fixture lines (in the order given).
inline void BuildDatabase(const std::string& db_path, const std::vector<std::string>& lines) {
  auto store = ResultsStore::Open(db_path);
  struct Pending {
    ItemRow row;
    std::tuple<std::string, std::string, std::string, std::string> key;
  };
  std::vector<Pending> items;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, int64_t> samples;
  std::map<std::string, int64_t> suite_size;
  std::string sweep_id;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const auto doc = ParseJson(lines[i], StrCat("fixture line ", i + 1));
    const std::string type = Member(doc, "type");
    if (type == "sweep") {
      SweepRow s{Member(doc, "id"),
                 Member(doc, "name"),
                 "",
                 "{}",
                 0,
                 Member(doc, "git_commit"),
                 Member(doc, "gapbench_version"),
                 Member(doc, "machine"),
                 Member(doc, "started_at", "2024-01-01T00:00:00Z"),
                 Member(doc, "ended_at")};
      store.UpsertSweep(s);
      sweep_id = s.id;
    } else if (type == "model") {
      store.UpsertModel({Member(doc, "id"), Member(doc, "alias"), "/models/x.gguf",
                         IntMember(doc, "size_bytes", 0), Member(doc, "file_hash"),
                         Member(doc, "metadata", "{}")});
    } else if (type == "config") {
      store.UpsertConfiguration(
          {Member(doc, "hash"), Member(doc, "name"), Member(doc, "canonical", "{}")});
    } else if (type == "suite") {
      SuiteRow s;
      s.content_hash = Member(doc, "content_hash");
      s.name = Member(doc, "name");
      s.format = Member(doc, "format", "gapbench");
      s.version = "1";
      s.manifest_json = "{}";
      s.n_items = IntMember(doc, "n_items", 0);
      suite_size[s.content_hash] = s.n_items;
      store.UpsertSuite(s);
    } else if (type == "item") {
      Pending p;
      p.key = {Member(doc, "model"), Member(doc, "config"),
               Member(doc, "strategy", R"({"name":"single"})"), Member(doc, "suite")};
      auto& n = samples[p.key];
      n = std::max<int64_t>({n, 1, IntMember(doc, "samples", 1)});
      const auto record =
          suites::ItemRecordFromJson(Member(doc, "record"), StrCat("fixture line ", i + 1));
      p.row.item_index = IntMember(doc, "index", 0);
      p.row.sample = IntMember(doc, "sample", 0);
      p.row.item_id = record.item_id;
      p.row.record_json = suites::ItemRecordToJson(record, suites::RecordTiming::kOmit);
      p.row.timing_json = Member(doc, "timing", "{}");
      p.row.digest = HashHex(p.row.record_json);
      p.row.worker = "fixture";
      items.push_back(std::move(p));
    }
  }
  if (sweep_id.empty()) {
    sweep_id = "sweep0";
    store.UpsertSweep({sweep_id, "fixture", "", "{}", 0, "", "", "", "2024-01-01T00:00:00Z", ""});
  }
  std::vector<ShardRow> shards;
  std::map<decltype(Pending::key), std::string> shard_ids;
  for (const auto& [key, n] : samples) {
    ShardRow s;
    const auto& [model, config, strategy, suite] = key;
    s.key = StrCat(model, "|", config, "|", strategy, "|", suite);
    s.id = HashHex(s.key);
    s.model_id = model;
    s.config_hash = config;
    s.strategy = strategy;
    s.suite_hash = suite;
    s.begin = 0;
    s.end = suite_size.count(suite) ? suite_size[suite] : 1000000;
    s.samples = n;
    s.state = ShardState::kDone;
    shard_ids[key] = s.id;
    shards.push_back(s);
  }
  store.AddShards(sweep_id, shards);
  for (const auto& s : shards) store.SetShardState(s.id, ShardState::kDone, 1, "", "fixture");
  std::vector<ItemRow> rows;
  for (auto& p : items) {
    p.row.shard_id = shard_ids[p.key];
    rows.push_back(p.row);
  }
  const auto r = store.InsertItems(rows);
  GB_CHECK(r.conflicts == 0, "fixture items conflict");
}

inline std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace gapbench::reports::testing
