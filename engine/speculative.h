// Speculative decoding (draft and verify): a small draft model proposes k tokens one by one, the
// large target model checks all of them in one batched Eval, and both sessions roll back
// (Session::Truncate) past the first rejected draft. Greedy decoding accepts while the draft
// equals the target's argmax, so it produces the target's own greedy tokens; sampled decoding
// uses the modified rejection sampling of Leviathan et al. 2023 / Chen et al. 2023, so every
// token follows the target's sampling distribution. docs/STRATEGIES.md "Speculative decoding".
// Not here: choosing models (callers load both), routing or guard strategies.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "engine/generate.h"
#include "engine/model.h"
#include "engine/session.h"

namespace gapbench::engine {

struct SpeculativeOptions {
  GenerateOptions generate;       // max_tokens, sampling (both models), stop, stop_at_eog
  int32_t draft_tokens = 4;       // k: fixed, or the starting value when adaptive (>= 1)
  bool adaptive = false;          // "auto": k grows / shrinks with acceptance (see the .cpp)
  int32_t max_draft_tokens = 16;  // the adaptive k's cap (>= draft_tokens)
};

struct SpeculativeStats {
  int64_t drafted = 0;             // draft tokens the target checked
  int64_t accepted = 0;            // of which it accepted
  int64_t target_calls = 0;        // the prompt call and verification Evals (each yields >= 1)
  int64_t draft_calls = 0;         // Evals on the draft, prompt prefill excluded
  int64_t produced = 0;            // tokens the verification calls yielded to the output
  double target_seconds = 0.0;     // in target Evals, prefill included
  double draft_seconds = 0.0;      // in draft Evals, prefill included
  int32_t final_draft_tokens = 0;  // k at the end (the adaptive rule's last value)

  // alpha: accepted / drafted (0 when nothing was drafted).
  double acceptance_rate() const {
    return drafted > 0 ? static_cast<double>(accepted) / static_cast<double>(drafted) : 0.0;
  }
  // Tokens per target call; plain decoding makes exactly one per call.
  double tokens_per_target_call() const {
    return target_calls > 0 ? static_cast<double>(produced) / static_cast<double>(target_calls)
                            : 0.0;
  }
};

struct SpeculativeResult {
  GenerateResult generate;  // as engine::Generate fills it (prefill: both models' prompt)
  SpeculativeStats stats;
};

// Refuses (Error naming both files, the first differing token id and both texts) a draft whose
// vocabulary is not the target's: token count, any token's text or type.
void CheckSameVocabulary(const Model& target, const Model& draft);

// Generates from `prompt` (at least one token) with `target` verifying `draft`'s proposals.
// Both sessions must be empty (n_past 0); the vocabularies must match (CheckSameVocabulary).
// Stops exactly as engine::Generate on the target alone (end-of-generation token, stop
// sequence, max_tokens, the target session's context). on_token as in Generate.
SpeculativeResult GenerateSpeculative(Session& target, Session& draft,
                                      std::span<const int32_t> prompt,
                                      const SpeculativeOptions& opts,
                                      const std::function<void(const std::string&)>& on_token = {});

}  // namespace gapbench::engine
