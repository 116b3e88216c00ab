// The evaluation loop: a loaded suite's item range [begin, end) x a LanguageModel -> item records,
// one callback per finished item. `gapbench eval` runs the whole suite through it and a worker
// runs each shard through it, so both produce the same records.
//
// Determinism contract: an item's records depend only on (suite, item index, few-shot options,
// GenRequest defaults, sample index) -- few-shot draws on (seed, item id), sample s generates
// with seed gen_defaults.seed + s -- never on the range, on what ran before in the same model
// session, or on which samples were skipped. Timing (latency_s) is the only field that differs
// between runs; suites/record.h writes it apart.
//
// Multiple-choice items are scored once by log-likelihood (sample 0 only: greedy scoring has no
// randomness); generation and code items run `samples` completions. Code completions run in the
// sandbox, created on the first code item (LazySandbox) so suites without code never need Python.
//
// A routed system (worker/routed_model.h) is run like any LanguageModel; each record then also
// gets its `route` (both members' answers scored, the small model's signal), code answers of
// both members judged in the sandbox with the record's own.
//
// Not here: aggregation (cmd_eval, reports/), sockets and batching (worker.h), model loading.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/language_model.h"
#include "engine/model.h"
#include "suites/prompt.h"
#include "suites/record.h"
#include "suites/sandbox.h"
#include "suites/suite.h"

namespace gapbench::worker {

struct RunOptions {
  suites::FewShotOptions shots;
  int64_t samples = 1;              // completions per generation/code item (MC items: always one)
  GenRequest gen_defaults;          // max_tokens, temperature, seed (prompt and stop come per item)
  double sandbox_timeout_s = 10.0;  // wall seconds per code completion
  int sandbox_parallel = 2;         // code completions run at once
  suites::ChatOptions chat;         // chat_template set: generation prompts are conversations
};

// The model's tokenizer.chat_template recognised (suites/chat_template.h), bos_token / eos_token
// its vocabulary's. Error naming the model file when it has no template or an unknown one.
suites::ChatTemplate ModelChatTemplate(const engine::Model& model);
// The template a system's prompts are rendered with: the last member's (the model itself, or a
// routed system's large member). The prompt is rendered once for every member, so all members
// must carry the same template text and BOS / EOS text; an Error names the two that differ.
suites::ChatTemplate SystemChatTemplate(const std::vector<const engine::Model*>& members);

// The sandbox for code items, created on first use. `warn` receives the isolation warning once
// (e.g. printed with the command's prefix); may be empty.
class LazySandbox {
 public:
  explicit LazySandbox(std::function<void(const std::string&)> warn = {});
  suites::Sandbox& Get();

 private:
  std::function<void(const std::string&)> warn_;
  std::unique_ptr<suites::Sandbox> sandbox_;
};

// One scored sample of an item.
struct SampleRecord {
  int64_t item_index = 0;     // index in suite.items
  int64_t sample = 0;         // 0..samples-1
  suites::ItemRecord record;  // latency_s: the item's wall time divided among its samples
};

// Everything one item produced (the samples that were not skipped, in sample order).
struct ItemResult {
  int64_t item_index = 0;
  std::vector<SampleRecord> samples;
  double latency_s = 0.0;  // wall time of the item's model calls and sandbox runs
};

using SkipSet = std::set<std::pair<int64_t, int64_t>>;  // (item_index, sample) already stored
using ItemCallback = std::function<void(ItemResult&)>;

struct RunSummary {
  int64_t items_run = 0;      // items with at least one sample computed
  int64_t items_skipped = 0;  // items whose samples were all in the skip set
  bool cancelled = false;     // `cancel` was seen set before the range was finished
};

// Number of samples an item of `kind` gets under `samples` (MC: 1).
int64_t SamplesFor(suites::ItemKind kind, int64_t samples);

// Runs suite.items[begin, end) in order. Before each item `cancel` (may be null) is checked; when
// set the run stops there (the current item always finishes). Samples in `skip` are not run; an
// item with every sample skipped calls nothing. Errors from the model or the sandbox propagate
// (the items finished before were already delivered). Error when the range is out of bounds.
RunSummary RunItems(const suites::Suite& suite, int64_t begin, int64_t end,
                    const RunOptions& options, LanguageModel& lm, LazySandbox& sandbox,
                    const SkipSet& skip, const std::atomic<bool>* cancel,
                    const ItemCallback& on_item);

}  // namespace gapbench::worker
