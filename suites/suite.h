// The suite schema: items of three kinds (multiple choice, generation, code), the tags the gap
// metrics group by, the manifest (name, version, format, content hash) and the loaded Suite.
// docs/SUITES.md describes the native JSONL form of the same schema.
//
// Not here: reading files (loaders.h), prompts (prompt.h), scoring (scoring.h), running code
// (sandbox.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gapbench::suites {

enum class ItemKind { kMultipleChoice, kGeneration, kCode };
// How a generation is compared with the reference (scoring.h).
// kNormalized is llm-foundry's InContextLearningGenerationExactMatchAccuracy (scoring.h).
enum class MatchRule { kExact, kNumeric, kRegex, kNormalized };
// How prompt.h turns an item (and its shots) into text.
//   kLetters  MC, LME's MMLU template: "{question}\nA. ..\nB. ..\nAnswer:", continuations " A"...
//   kCloze    MC: context "{question}", continuations " {choice}" (HellaSwag/ARC style)
//   kQuestionAnswer  generation, LME's gsm8k template: "Question: {prompt}\nAnswer:", shots end in
//             " {solution}"
//   kRaw      the prompt verbatim; a shot is prompt + solution (code, custom generation)
//   kPartial  MC, LME's partial evaluation (WinoGrande, llm-foundry schema): each choice is a
//             context variant, `question` is the shared continuation; request i is
//             (shots + choices[i], " " + question)
//   kIcl      generation, llm-foundry's ICL question answering: "{prompt}"; shot
//             "{prompt} {solution}\n" (continuation delimiter " ", example delimiter "\n")
enum class PromptStyle { kLetters, kCloze, kQuestionAnswer, kRaw, kPartial, kIcl };
// How a multiple-choice item's log-likelihoods are scored (prompt.h's ScoreItem):
//   kAcc     acc / acc_norm: the gold choice has the largest (per-character) log-likelihood
//   kMc2     TruthfulQA MC2 (LME): score = sum of exp(ll) over the true choices (labels) divided
//            by the sum over all choices; correct = the argmax choice is a true one
//   kGreedy  language modelling (llm-foundry): one choice, correct when every continuation token
//            was the model's greedy pick
enum class McMetric { kAcc, kMc2, kGreedy };

std::string_view KindName(ItemKind kind);        // "multiple_choice" | "generation" | "code"
std::string_view MatchRuleName(MatchRule rule);  // "exact" | "numeric" | "regex" | "normalized"
// "letters" | "cloze" | "qa" | "raw" | "partial" | "icl"
std::string_view StyleName(PromptStyle style);
std::string_view McMetricName(McMetric metric);  // "acc" | "mc2" | "greedy"
std::optional<ItemKind> ParseKind(std::string_view s);
std::optional<MatchRule> ParseMatchRule(std::string_view s);
std::optional<PromptStyle> ParseStyle(std::string_view s);
std::optional<McMetric> ParseMcMetric(std::string_view s);

// What the gap metrics group by. Unknown values stay empty / nullopt.
struct Tags {
  std::string split = "id";                  // "id" (in-distribution) | "ood"
  std::optional<int64_t> steps;              // reasoning steps (GSM8K: solution lines)
  std::optional<double> fact_frequency;      // how often the probed fact occurs (any unit)
  std::string subject;                       // MMLU: the file-name subject
  std::string family;                        // for an OOD suite: its in-distribution sibling
  std::map<std::string, std::string> extra;  // free-form, sorted by key
};

struct Item {
  ItemKind kind = ItemKind::kMultipleChoice;
  PromptStyle style = PromptStyle::kLetters;
  std::string id;  // unique within the suite

  // Multiple choice.
  std::string question;
  std::vector<std::string> choices;
  int gold = -1;  // index into choices
  McMetric metric = McMetric::kAcc;
  std::vector<int> labels;  // kMc2: 1 marks a true choice, 0 a false one (one per choice)

  // Generation and code.
  std::string prompt;
  std::vector<std::string> stop;     // stop sequences for the GenRequest
  std::string reference;             // generation: the answer (GSM8K: the text after "#### ")
  std::vector<std::string> aliases;  // generation, match normalized: further accepted answers
  MatchRule match = MatchRule::kExact;
  std::string solution;  // worked solution (GSM8K answer field, HumanEval canonical_solution);
                         // the target text when the item serves as a few-shot example

  // Code (Python): the program is prompt + completion + "\n" + test + "\ncheck(entry_point)".
  std::string test;
  std::string entry_point;

  Tags tags;
  std::string source;  // "file:line" where the item was read, for messages
};

struct Manifest {
  std::string name;
  std::string version = "1";
  std::string format;        // a LoadOptions format name (loaders.h), e.g. "mmlu", "arc"
  std::string path;          // what was loaded
  std::string content_hash;  // ContentHash(items, fewshot): 16 hex digits
  size_t n_items = 0;
  size_t n_fewshot = 0;
  std::map<std::string, size_t> kinds;     // KindName -> count
  std::map<std::string, size_t> subjects;  // subject tag -> count (items with one)
  std::map<std::string, size_t> splits;    // split tag -> count
};

struct Suite {
  Manifest manifest;
  std::vector<Item> items;
  // Few-shot pool kept apart from the scored items (MMLU dev/). May be empty: prompt.h then draws
  // shots from `items`, excluding the item itself.
  std::vector<Item> fewshot;
};

// FNV-1a 64 over a canonical, length-prefixed encoding of every field of every item (and of the
// few-shot pool, which shapes the prompts): independent of the file format and of the manifest,
// sensitive to any changed character. Item order matters.
std::string ContentHash(const std::vector<Item>& items, const std::vector<Item>& fewshot);

// Fills n_items, n_fewshot, kinds, subjects, splits and content_hash from the suite's items.
void FinishManifest(Suite& suite);

}  // namespace gapbench::suites
