// A run loaded for reporting: every item record of a results database, parsed, joined with its
// shard's model, engine configuration, strategy and suite, and grouped by everything in the
// shard's identity that changes a record: (model, configuration, strategy, suite, setting), where
// the setting is the rest of the shard key (few-shot count, seed, samples, max tokens,
// temperature, result format, and any field the shard key gains later) without the item range.
// Two shards of different identities are never merged. Shared by `gapbench report`,
// `leaderboard` and `compare`, so they all see the same items in the same order.
//
// Determinism contract: nothing here depends on insertion order, hash-map iteration or the
// clock. Groups are ordered by (model alias, model id, configuration name, configuration hash,
// strategy, suite name, suite hash, few-shot count, seed, setting); items inside a group by
// (item_id, sample) bytewise. When two shards of one identity hold the same (item, sample) (a
// re-expanded sweep), the record from the shard whose id sorts first is kept and the others are
// counted in `duplicates`.
//
// Not here: statistics (gap_metrics.h), rendering (results_json.h, markdown.h, html.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/results_store.h"
#include "suites/record.h"

namespace gapbench::reports {

// What identifies a group. Compared field by field (ids and hashes, not names).
struct GroupKey {
  std::string model_id;
  std::string config_hash;
  std::string strategy;  // canonical JSON of the strategy entry, e.g. {"name":"single"}
  std::string suite_hash;
  // Canonical JSON (keys sorted, no whitespace) of the shard key without model, engine, strategy,
  // suite and items, e.g. {"fewshot":2,"max_tokens":256,"result_format":1,"samples":1,"seed":1,
  // "temperature":"0"}. Databases whose shard key is not a JSON object (hand-built ones) get
  // {"samples":N,"seed":S} from the shard's columns.
  std::string setting;
  auto operator<=>(const GroupKey&) const = default;
};

// The setting's fields parsed for display and selection; absent when the key lacks them.
struct GroupSetting {
  std::optional<int64_t> fewshot;
  uint64_t seed = 0;
  int64_t samples = 1;
  std::optional<int64_t> max_tokens;
  std::string temperature;  // as written in the shard key ("0", "0.8"); "" when absent
  std::optional<int64_t> result_format;
  // The chat-template prompt (the key's "chat" object; docs/SUITES.md): a chat and a plain
  // evaluation of one model file are different rows.
  bool chat = false;
  bool fewshot_as_multiturn = false;
  std::string system_prompt;
};

// "-" for a plain prompt, else "chat" with ", multi-turn" and ", system" when those are set.
std::string ChatLabel(const GroupSetting& s);
// Parses GroupKey::setting (see above). Error naming `where` when it is not a JSON object.
GroupSetting ParseSetting(const std::string& setting_json, const std::string& where);
// The setting of a shard: its key minus the fields above (see GroupKey::setting).
std::string ShardSetting(const ShardRow& shard);
// The setting without its seed: groups that differ only by seed are repeated measurements of
// one setting (see docs/REPORTS.md, "Seeds").
std::string SettingWithoutSeed(const std::string& setting_json);

struct RunItem {
  std::string shard_id;
  int64_t item_index = 0;
  int64_t sample = 0;
  std::string item_id;
  // Parsed record; `record.latency_s` is taken from the timing (the stored record has none).
  suites::ItemRecord record;
  // Numeric fields of timing_json by key (latency_s, tokens_per_s, ...); non-numeric ones are
  // kept only in `timing_json`.
  std::map<std::string, double> timing;
  std::string timing_json = "{}";  // as stored
};

struct RunGroup {
  GroupKey key;
  ModelRow model;              // id/alias filled even when the models table lacks the row
  ConfigurationRow config;     // likewise (name = hash when unknown)
  SuiteRow suite;              // likewise (name from the records when unknown)
  std::string strategy_name;   // the strategy's "name" field, else the canonical JSON
  GroupSetting setting;        // key.setting parsed
  std::vector<RunItem> items;  // by (item_id, sample)
  int64_t samples = 1;         // samples per item (from the setting)
};

// A shard given up for good, with the coordinator's last error (the worker's "input error: ..."
// or "resource error: ..." reason, or the lease/attempt history).
struct PoisonShard {
  std::string id;
  std::string suite_hash;
  int64_t begin = 0;
  int64_t end = 0;
  int64_t attempts = 0;
  std::string reason;
};

struct RunData {
  std::string source;  // the database path as given (for messages; renderers do not print it)
  std::vector<SweepRow> sweeps;                  // as ResultsStore::Sweeps() orders them
  std::vector<ModelRow> models;                  // by id
  std::vector<ConfigurationRow> configurations;  // by hash
  std::vector<SuiteRow> suites;                  // by content hash
  std::vector<RunGroup> groups;                  // see the determinism contract
  int64_t duplicates = 0;  // (item, sample) records seen in more than one shard, kept once
  int64_t shards_total = 0;
  int64_t shards_done = 0;
  int64_t shards_poison = 0;
  std::vector<PoisonShard> poisoned;  // in shard id order
};

// Resolves `path`: a file is the database itself; a directory must contain results.sqlite.
// Error naming the path otherwise.
std::string ResolveResultsPath(const std::string& path);

// Loads every item of the database (opened read-only). Error naming the database and the item
// on a record that does not parse.
RunData LoadRun(const std::string& path);
// The same over an already open store (tests, or a caller that holds it). `source` names it.
RunData LoadRunFromStore(const ResultsStore& store, const std::string& source);

// Puts groups and items into the canonical order and fills nothing else; LoadRun calls it.
// Exposed so tests and callers that assemble a RunData by hand get the same order.
void SortRun(RunData& run);

// The short label of a strategy's canonical JSON: its "name" member when it has one.
std::string StrategyName(const std::string& strategy_json);

// "alias / config-name / strategy / suite / 2-shot, seed 1" for messages and tables.
std::string GroupLabel(const RunGroup& group);
// The setting in a few words: "2-shot, seed 1", plus ", 4 samples" and ", T 0.8" when they are
// not 1 and 0 ("seed 1" alone when the key has no few-shot count). Max tokens are shown in
// their own column. Without the seed: "2-shot" (or "-" when nothing is left).
std::string SettingLabel(const GroupSetting& setting, bool with_seed = true);

}  // namespace gapbench::reports
