// Prompts: few-shot selection and formatting (LME-compatible MMLU and GSM8K templates), the
// LanguageModel requests an item needs, and scoring the responses into an ItemRecord.
//
// Templates (byte-identical to lm-evaluation-harness, tests/suites/prompt_test.cpp):
//   letters  header "The following are multiple choice questions (with answers) about
//            {subject with '_' -> ' '}.\n\n" (only when the item has a subject), then each shot
//            "{question.strip()}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer: {gold letter}\n\n",
//            then the item the same way ending in "Answer:"; continuations " A", " B", ...
//   cloze    "{question}"; continuations " {choice}"; shot "{question} {gold choice}\n\n"
//   qa       "Question: {prompt}\nAnswer:"; shot "Question: {prompt}\nAnswer: {solution}\n\n"
//   raw      "{prompt}"; shot "{prompt}{solution}\n\n"
//   partial  per choice: context "{choice}", continuation " {question}" (the shared suffix);
//            shot "{gold choice} {question}\n\n" (LME's multiple-input tasks: WinoGrande)
//   icl      "{prompt}"; shot "{prompt} {solution}\n" (llm-foundry's ICL question answering:
//            continuation delimiter " ", example delimiter "\n", empty prompt_string)
//
// Not here: tokenisation (the LanguageModel's job), running code (sandbox.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/language_model.h"
#include "suites/chat_template.h"
#include "suites/record.h"
#include "suites/suite.h"

namespace gapbench::suites {

enum class ShotSource {
  kAuto,   // the suite's few-shot pool when it has one (MMLU dev/), else the suite itself
  kPool,   // the few-shot pool only (error when it is empty)
  kSuite,  // the suite's own items, never the item itself
};

struct FewShotOptions {
  int k = 0;
  uint64_t seed = 1234;
  ShotSource source = ShotSource::kAuto;
  // Shots from the pool are its first k in file order (LME's first_n sampler for MMLU) unless
  // this is set; shots from the suite itself are always drawn at random. Random draws depend only
  // on (seed, item id), so an item gets the same shots in any shard.
  bool shuffle_pool = false;
};

// The k shots for suite.items[item_index]: same kind and style, and the same subject when the
// item has one (MMLU is 5-shot per subject). Error naming the item when fewer than k exist.
std::vector<const Item*> SelectShots(const Suite& suite, size_t item_index,
                                     const FewShotOptions& options);
// Whether every item of suite.items[0, n_items) has its k shots: "" when so, else SelectShots's
// message for the first item that has not (so a sweep is refused at validation instead of
// poisoning shards). Counts instead of selecting: O(items + pool).
std::string CheckFewShot(const Suite& suite, size_t n_items, const FewShotOptions& options);

// Pieces of the templates above, exposed for tests and for the eval's prefix sharing.
std::string FormatHeader(const Item& item);                // "" unless letters style with a subject
std::string FormatQuery(const Item& item);                 // the item's text, without the answer
std::string FormatShot(const Item& shot);                  // query + target + "\n\n"
std::vector<std::string> Continuations(const Item& item);  // MC only
std::string PyStrip(std::string_view s);  // Python's str.strip(): ASCII and Unicode spaces

struct ItemPrompt {
  std::string context;                     // header + shots + query: the whole prompt (partial
                                           // style: header + shots, the shared prefix)
  std::vector<std::string> contexts;       // partial style: context + choice, one per choice
  std::vector<std::string> continuations;  // MC
  std::vector<std::string> shot_ids;
  std::string prompt_hash;  // HashHex(context)
};

// lm-evaluation-harness's --apply_chat_template (api/task.py fewshot_context): the prompt of a
// generation item becomes a conversation rendered by the model's template with
// add_generation_prompt=True. The conversation: a system turn when system_prompt is set; then
// either one user turn holding the few-shot block and the question (the plain prompt), or, with
// fewshot_as_multiturn (--fewshot_as_multiturn), each shot as a user turn (its query) and an
// assistant turn (its target, without the target delimiter) followed by the question as the last
// user turn.
struct ChatOptions {
  const ChatTemplate* chat_template = nullptr;  // null: plain prompts (the rest is ignored)
  bool fewshot_as_multiturn = false;
  std::string system_prompt;  // lm-eval's --system_instruction
};
// The conversation above for suite.items[item_index] (exposed for tests).
std::vector<ChatMessage> BuildChat(const Suite& suite, size_t item_index,
                                   const FewShotOptions& options, const ChatOptions& chat);
// "" when chat templates can apply to suite.items[0, n_items), else why not: they apply to
// generation items only (lm-eval's log-likelihood and code chat prompts are not reproduced).
std::string CheckChat(const Suite& suite, size_t n_items);

ItemPrompt BuildPrompt(const Suite& suite, size_t item_index, const FewShotOptions& options,
                       const ChatOptions& chat = {});

// What to ask the model for one item: one LoglikRequest per choice (MC) or one GenRequest
// (generation, code; its stop sequences are the item's, the rest copied from `gen_defaults`).
// With a chat template the GenRequest's prompt is the rendered conversation (parse_special set).
struct ItemRequests {
  ItemPrompt prompt;
  std::vector<LoglikRequest> loglik;
  std::vector<GenRequest> gen;
};
ItemRequests BuildRequests(const Suite& suite, size_t item_index, const FewShotOptions& options,
                           const GenRequest& gen_defaults = {}, const ChatOptions& chat = {});

// Scores the model's answers: `loglik` (one per choice) for MC, `gen` (one) otherwise. MC items
// score by item.metric (suite.h): acc and acc_norm (per character of the choice as LME's
// doc_to_choice gives it, without the target delimiter), MC2 (record.score) or greedy. Code items
// come back with correct = nullopt: the caller runs AssembleProgram(item, record.generation) in
// the sandbox and sets it. Error when the counts do not match or a continuation has zero tokens.
ItemRecord ScoreItem(const Suite& suite, size_t item_index, const ItemRequests& requests,
                     std::span<const LoglikResponse> loglik, std::span<const Generation> gen);

}  // namespace gapbench::suites
