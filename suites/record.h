// The per-item result record: what `gapbench eval` writes as one JSON line per item and what the
// reports read back. Carries the item's tags so gap metrics group without reloading the suite.
//
// Not here: aggregation (reports/), the eval loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "suites/suite.h"

namespace gapbench::suites {

// One member of a routed system on one item (docs/STRATEGIES.md "Routed model").
struct RouteMember {
  std::string prediction;
  std::optional<bool> correct;
  std::optional<double> score;  // MC2's graded score, as ItemRecord::score
  int64_t tokens_in = 0;
  int64_t tokens_out = 0;
  double seconds = 0.0;  // wall time in this member's calls: timing, kept apart like latency_s
};

// A routed system's item: the small model's signal and both members' answers, so the outcome of
// every threshold derives from the record (the record's own answer is the configured
// threshold's).
struct RouteRecord {
  std::string signal;  // RouteSignalName (common/strategy.h)
  double value = 0.0;  // the small model's signal on this item
  double threshold = 0.0;
  bool escalated = false;  // value < threshold: the record answers with the large model
  RouteMember small;
  RouteMember large;
};

// A guarded system's item (docs/STRATEGIES.md "Guarded model"): the guard's decision on the
// request, its signal and what it cost, so guard metrics at any threshold derive from the record.
// A refused item's answer is the refusal (scored as wrong); an allowed one's the protected model's.
struct GuardRecord {
  double p_refuse = 0.0;   // softmax of the guard's two label log-likelihoods: P(refuse)
  double threshold = 0.0;  // the strategy's threshold on p_refuse
  bool refused = false;    // p_refuse >= threshold and threshold < 1
  int64_t tokens = 0;      // tokens of the guard's requests: its prompt once plus both labels
  double seconds = 0.0;    // wall time of the guard's call: timing, kept apart like latency_s
};

struct ItemRecord {
  std::string item_id;
  std::string suite;        // manifest name
  std::string suite_hash;   // manifest content_hash
  std::string prompt_hash;  // HashHex of the full context/prompt (LME's prompt_hash idea)
  ItemKind kind = ItemKind::kMultipleChoice;
  Tags tags;
  std::vector<std::string> shot_ids;  // few-shot examples used, in prompt order

  // MC: the predicted label ("A" for letters style, else the choice index as text);
  // generation: the extracted answer; code: the completion.
  std::string prediction;
  std::string reference;                // MC: gold label; generation: reference; code: entry point
  std::string generation;               // generation/code: the raw generated text
  std::string finish_reason;            // generation/code
  int gold = -1;                        // MC
  int pred = -1;                        // MC: argmax of summed log-likelihood (acc)
  int pred_norm = -1;                   // MC: argmax per character (acc_norm, LME)
  std::vector<double> choice_logprobs;  // MC: summed log-likelihood per choice
  std::vector<int64_t> choice_tokens;   // MC: continuation tokens per choice
  std::optional<bool> correct;          // nullopt: not scored yet (code before the sandbox ran)
  std::optional<bool> correct_norm;     // MC only
  // GSM8K-format generation items only: lm-eval's strict-match (scoring.h Gsm8kStrictMatch),
  // the Open LLM Leaderboard's GSM8K metric; `correct` is the last-number match. Written only
  // when set.
  std::optional<bool> correct_strict;
  // MC2 (TruthfulQA): the normalised probability mass of the true choices, the item's score in
  // place of correct (which says whether the top choice is a true one). Written only when set.
  std::optional<double> score;

  int64_t tokens_in = 0;   // MC: context tokens + every continuation's tokens; else prompt tokens
  int64_t tokens_out = 0;  // generated tokens
  // Prompt tokens dropped from the front because the prompt did not fit the model's context
  // (common/language_model.h); written only when > 0, so records of prompts that fit are
  // unchanged.
  int64_t truncated_tokens = 0;
  double latency_s = 0.0;  // wall time of this item's model calls (set by the caller)
  // Routed systems only; written only when set, so single-model records are unchanged.
  std::optional<RouteRecord> route;
  // Guarded systems only; written only when set.
  std::optional<GuardRecord> guard;
};

// JSON forms of the schema. WriteItemJson writes the native JSONL line (docs/SUITES.md), so any
// loaded suite can be saved as a gapbench suite; WriteTags writes the "tags" object.
// `fewshot_pool` marks a line of the few-shot pool ("fewshot": true; Suite::fewshot).
void WriteTags(JsonWriter& w, const Tags& tags);
void WriteItemJson(JsonWriter& w, const Item& item, bool fewshot_pool = false);
std::string ItemToJson(const Item& item, bool fewshot_pool = false);

// Whether a record's JSON carries its timing fields (latency_s). The results store keeps records
// without them and the timing apart (ItemTimingToJson), so two runs of the same item compare equal
// byte for byte; `gapbench eval --out` writes them inline.
enum class RecordTiming { kInclude, kOmit };

// One JSON object, keys in a fixed order, no newline. Doubles round-trip.
std::string ItemRecordToJson(const ItemRecord& record,
                             RecordTiming timing = RecordTiming::kInclude);
void WriteItemRecord(JsonWriter& w, const ItemRecord& record,
                     RecordTiming timing = RecordTiming::kInclude);
// Parses what ItemRecordToJson wrote (with or without timing; latency_s defaults to 0); Error
// naming `source` on anything else.
ItemRecord ItemRecordFromJson(std::string_view line, std::string_view source);

// The timing fields alone: {"latency_s": x}, plus {"route_small_s", "route_large_s"} when the
// record is routed and {"guard_s"} when it is guarded. ApplyItemTiming sets them on `record` from
// such an object (absent fields are left alone); Error naming `source` when it is not one.
std::string ItemTimingToJson(const ItemRecord& record);
void ApplyItemTiming(std::string_view json, std::string_view source, ItemRecord& record);

}  // namespace gapbench::suites
