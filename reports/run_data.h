// A run loaded for reporting: every item record of a results database, parsed, joined with its
// shard's model, engine configuration, strategy and suite, and grouped by
// (model, configuration, strategy, suite). Shared by `gapbench report`, `leaderboard` and
// `compare`, so they all see the same items in the same order.
//
// Determinism contract: nothing here depends on insertion order, hash-map iteration or the
// clock. Groups are ordered by (model alias, model id, configuration name, configuration hash,
// strategy, suite name, suite hash); items inside a group by (item_id, sample) bytewise.
// When two shards hold the same (item, sample) of one group (a re-expanded sweep), the record
// from the shard whose id sorts first is kept and the others are counted in `duplicates`.
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
  auto operator<=>(const GroupKey&) const = default;
};

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
  std::vector<RunItem> items;  // by (item_id, sample)
  int64_t samples = 1;         // the largest sample count among the group's shards
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

// "alias / config-name / strategy / suite" for messages and tables.
std::string GroupLabel(const RunGroup& group);

}  // namespace gapbench::reports
