// Expansion of a validated sweep into shards: for every combination (model, engine, strategy,
// suite) and seed, the suite's first n_items items cut into ranges of shard_size. A shard's id is
// content-addressed: the hash of the canonical JSON (sorted keys, no whitespace, no floats) of
// everything that determines its results --
//   model identity (size, sampled content hash, scheme), engine config (EngineConfig::Canonical),
//   strategy (single: {"name": "single"} whatever the entry's name; route: both members'
//   identities and configs in "model" and "engine" under "small"/"large", and the kind, signals
//   and thresholds; guard: the same under "guard"/"large", and the kind, template, labels,
//   threshold and refusal), suite content hash, item range [begin, end), seed, samples, few-shot k,
//   max_tokens, temperature (as its shortest decimal string), result-format version
// -- and of nothing else. The same work in two sweep files gets the same id, so a result is never
// computed or counted twice; names, aliases, priority, paths and the order of entries do not enter
// the id.
//
// Not here: scheduling, leases, persistence (the coordinator).
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/json.h"
#include "coordinator/sweep.h"

namespace gapbench::coordinator {

// Bump when the meaning or layout of stored item results changes: every shard id changes with it.
// 2: GSM8K records carry `correct_strict` (lm-eval's strict-match), and a few-shot shot whose
//    target is empty runs into the next one as lm-eval's sampler writes it.
inline constexpr int64_t kResultFormatVersion = 2;

struct Shard {
  std::string id;   // 16 hex digits: FNV-1a 64 of `key`
  std::string key;  // canonical JSON of the determining fields
  Combination combination;
  size_t begin = 0;  // item range [begin, end) in the suite's file order
  size_t end = 0;
  uint64_t seed = 0;
  int64_t samples = 1;
};

struct Expansion {
  std::vector<Shard> shards;  // unique ids, in sweep order (combination, seed, range)
  size_t n_items = 0;         // sum of end - begin
  size_t n_duplicates = 0;    // shards dropped because an earlier shard had the same id
};

// `sweep` must have passed validation (CheckSweepFile without errors).
Expansion ExpandSweep(const Sweep& sweep);

// The canonical key of one shard (exposed for tests and for the coordinator's journal).
std::string ShardKey(const Sweep& sweep, const Combination& c, uint64_t seed, size_t begin,
                     size_t end);

// Canonical JSON (common/json.h); shard keys carry no doubles (temperature is a string there).
using ::gapbench::CanonicalJson;

}  // namespace gapbench::coordinator
