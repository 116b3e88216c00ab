// What a worker keeps loaded between shards: engine models keyed by (model path, engine config
// hash), evicted least-recently-used when their weight bytes exceed a memory budget, and suites
// keyed by (path, format, split), bounded by count. Consecutive shards of one (model, config)
// -- the scheduler's model affinity steers them here -- then skip the load entirely.
//
// Models are handed out as shared_ptr: the cache and the running shard both own the one in use,
// so evicting it (while another model is being loaded) never pulls weights from under the engine.
//
// Not here: checking a model or suite against a task's ids (worker.cpp does that with the
// identity and hash recorded here), sessions (one per shard, made by the caller).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/model.h"
#include "suites/suite.h"

namespace gapbench::worker {

// Physical memory / 2: the default model budget (weights only; KV caches and scratch come on top).
int64_t DefaultMemoryBudget();

// Parses "4G", "512M", "1.5GiB", "1000000": bytes, K/M/G/T as powers of 1024 (an optional "iB"
// or "B" suffix is accepted). Error naming `what` on anything else or a value <= 0.
int64_t ParseByteSize(const std::string& text, const std::string& what);

struct CachedModel {
  std::shared_ptr<const engine::Model> model;
  std::string model_id;  // coordinator::IdentifyModelFile(path).hash, computed when loaded
  std::string config_hash;
  int64_t bytes = 0;  // model->weight_bytes()
};

class ModelCache {
 public:
  explicit ModelCache(int64_t budget_bytes);

  // The model at `path` loaded with the EngineConfig `config_json` (canonical JSON), from the
  // cache when the file's size and modification time are unchanged since it was loaded. Evicts
  // least-recently-used models until the new one fits (a model larger than the budget alone is
  // still loaded: `over_budget` tells). Throws Error naming the file on unreadable or invalid
  // models and bad configs.
  CachedModel Get(const std::string& path, const std::string& config_json,
                  bool* over_budget = nullptr);

  // Content ids of the loaded models, most recently used first (thread-safe: HELLO and READY
  // read it while a shard thread loads).
  std::vector<std::string> LoadedIds() const;
  int64_t bytes() const;
  int64_t budget() const { return budget_; }

 private:
  struct Entry {
    std::string key;  // path + '\n' + config hash
    CachedModel value;
    uintmax_t file_size = 0;
    int64_t file_mtime = 0;
  };
  int64_t budget_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // most recently used first
};

class SuiteCache {
 public:
  explicit SuiteCache(size_t max_suites = 16) : max_suites_(max_suites) {}
  // The suite loaded with suites::LoadSuite (format "" detects). `reload` drops a cached copy
  // first (the caller found a content hash mismatch and wants the file as it is now).
  std::shared_ptr<const suites::Suite> Get(const std::string& path, const std::string& format,
                                           const std::string& split, bool reload = false);

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const suites::Suite> suite;
  };
  size_t max_suites_;
  std::list<Entry> entries_;  // most recently used first
};

}  // namespace gapbench::worker
