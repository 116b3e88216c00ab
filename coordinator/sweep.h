// Sweep files (docs/SWEEP.md): which models, engine configurations, strategies and suites to
// evaluate together, with which seeds, samples and shard size. Loading a sweep validates all of
// it before anything runs: every JSON field, every name a grid or combination refers to, and every
// model and suite file on disk (models are identified by content, suites are loaded and hashed).
// All problems are collected, each naming the sweep file and the JSON path ("$.engines[1].config")
// and saying what was expected, so one run of `gapbench sweep validate` shows them all.
//
// Not here: expansion into shards (expand.h), scheduling and persistence (the coordinator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/strategy.h"
#include "coordinator/model_identity.h"
#include "engine/engine_config.h"
#include "engine/model.h"

namespace gapbench::coordinator {

struct ModelSpec {
  std::string alias;  // defaults to the file name without ".gguf"
  std::string path;   // resolved against the sweep file's folder, lexically normal
  ModelIdentity identity;
  // From the GGUF header (no tensor loaded), for the results store's model metadata and the
  // reports' cost figures; absent when the file could not be read.
  std::optional<engine::HParams> hparams;
  int64_t parameters = 0;     // sum of tensor element counts
  uint64_t tensor_bytes = 0;  // sum of tensor data bytes (the native weights)
  // tokenizer.ggml.pre, and whether gapbench knows it (a byte-level BPE vocabulary with an
  // unknown one needs an engine with allow_unknown_pre_tokenizer, which falls back to "default").
  std::string pre_tokenizer;
  bool pre_tokenizer_known = true;
  // Why "chat": true cannot apply to this model (no or unknown tokenizer.chat_template); "" when
  // its template is a known family.
  std::string chat_problem;
  std::string chat_template;  // tokenizer.chat_template as written ("" if absent)
};

struct EngineSpec {
  std::string name;
  engine::EngineConfig config;
};

// A strategy entry (docs/STRATEGIES.md): {"name": "single"} (one model, the default), or a
// routed system {"name", "kind": "route", "small", "large", "small_engine", "large_engine",
// "signal", "threshold", "gen_signal", "gen_threshold"} whose members are model aliases and
// engine names of this sweep (an engine may be omitted when the sweep declares one), or a guarded
// system {"name", "kind": "guard", "guard", "large", "guard_engine", "large_engine", "template",
// "allow", "refuse", "threshold", "refusal"} whose guard screens the requests for "large".
struct StrategyMember {
  size_t model = 0;   // index into Sweep::models
  size_t engine = 0;  // index into Sweep::engines
};
struct StrategySpec {
  std::string name;
  std::string canonical;  // canonical JSON of the whole entry (sorted keys)
  StrategyConfig config;
  // route: {small, large}; guard: {guard, large}; single: empty (the grid's)
  std::vector<StrategyMember> members;
};

struct SuiteSpec {
  std::string name;
  std::string path;    // resolved like model paths
  std::string format;  // "mmlu" | "humaneval" | "gsm8k" | "gapbench" (detected when omitted)
  std::string split = "test";
  int64_t fewshot = 0;
  std::optional<int64_t> limit;  // the first N items in file order
  int64_t samples = 1;           // completions per generation/code item (the sweep's default)
  int64_t max_tokens = 256;      // generation budget per completion
  double temperature = 0.0;      // default: 0 when samples == 1, else 0.8 (as `gapbench eval`)
  // "chat": true puts generation prompts in each model's chat template (suites/prompt.h
  // ChatOptions): every model of the suite's combinations must carry a known template.
  bool chat = false;
  bool fewshot_as_multiturn = false;  // with chat: lm-eval's --fewshot_as_multiturn
  std::string system_prompt;          // with chat: lm-eval's --system_instruction
  std::string content_hash;           // Manifest::content_hash of the whole suite as loaded
  size_t n_loaded = 0;                // items in the suite
  size_t n_items = 0;                 // items evaluated: min(limit, n_loaded)
  // One task of a preset entry ({"preset": "open-llm-v1"}; suites/presets.h), else empty. The
  // report averages the tasks of one entry (reports/preset_metrics.h).
  std::string preset;        // the preset's name
  std::string preset_entry;  // the entry's name, which stands for all of its tasks
  std::string preset_task;   // the task ("arc_challenge"); the suite is named ENTRY.TASK
};

// One cell of the grid: indices into Sweep's vectors. A route strategy's cell holds its large
// member's model and engine (its identity in the results store); the strategy names both.
struct Combination {
  size_t model = 0;
  size_t engine = 0;
  size_t strategy = 0;
  size_t suite = 0;
  bool operator==(const Combination&) const = default;
};

struct Sweep {
  std::string name;
  std::string file;  // as given
  std::string dir;   // absolute folder of the file: relative paths resolve against it
  std::vector<ModelSpec> models;
  std::vector<EngineSpec> engines;
  std::vector<StrategySpec> strategies;  // default: [{"name": "single"}]
  std::vector<SuiteSpec> suites;
  std::vector<Combination> combinations;  // grid order: model, engine, strategy, suite
  std::vector<uint64_t> seeds;            // "seed": N or "seeds": [..]; default [1]
  int64_t shard_size = 10;                // items per shard
  int64_t priority = 0;                   // higher runs first; does not change results
};

struct SweepCheck {
  Sweep sweep;                      // complete only when errors is empty
  std::vector<std::string> errors;  // "FILE: $.path: message", grouped by section
  bool ok() const { return errors.empty(); }
};

// Validates a sweep file, collecting every problem. Never throws on bad input.
SweepCheck CheckSweepFile(const std::string& file);
// The same for text already in memory: `source` names it in messages, `base_dir` is where relative
// paths resolve.
SweepCheck CheckSweepText(std::string_view text, const std::string& source,
                          const std::string& base_dir);

// A sweep that must be valid: throws Error listing every problem.
Sweep LoadSweep(const std::string& file);

}  // namespace gapbench::coordinator
