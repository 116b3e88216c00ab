// Text generation on a Session: prompt prefill, then sampled decode until max_tokens, an
// end-of-generation token or a stop sequence.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/sampler.h"
#include "engine/session.h"

namespace gapbench::engine {

struct GenerateOptions {
  int64_t max_tokens = 128;
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop sequences (not included in the text)
  bool stop_at_eog = true;
};

struct GenerateResult {
  std::string text;             // generated text only, stop sequence removed
  std::vector<int32_t> tokens;  // generated tokens
  // GenerateFromLogits: log-softmax of the raw logits at each token in `tokens` (the model's own
  // distribution, before sampling parameters); empty from the other decoders.
  std::vector<double> token_logprobs = {};
  std::string finish_reason;  // "length" | "eog" | "stop" | "context"
  int64_t prompt_tokens = 0;
  double prefill_seconds = 0.0;
  double decode_seconds = 0.0;
};

// The stop rules of generation applied token by token, shared by every decoder (plain and
// speculative) so that all of them end at the same token with the same finish_reason: an
// end-of-generation token ends before it is added ("eog"); a stop sequence ends with the text
// cut before it ("stop"); the max_tokens-th token ends with "length". The context rule needs the
// session and stays with the caller.
class GenerationOutput {
 public:
  GenerationOutput(const Tokenizer& tok, const GenerateOptions& opts, GenerateResult& result,
                   const std::function<void(const std::string&)>& on_token);
  // Adds the next sampled token; false when generation ends with it (finish_reason set).
  bool Add(int32_t token);

 private:
  const Tokenizer& tok_;
  const GenerateOptions& opts_;
  GenerateResult& r_;
  const std::function<void(const std::string&)>& on_token_;
};

// Evaluates `prompt` (at least one token) on `session` and generates. on_token (optional) is
// called with each new token's text piece as it is produced.
GenerateResult Generate(Session& session, std::span<const int32_t> prompt,
                        const GenerateOptions& opts,
                        const std::function<void(const std::string&)>& on_token = {});

// The decode loop alone: `session` has already evaluated the prompt and its last logits predict
// the first new token; `history` is the prompt (for the repetition penalty). Used when the
// prompt was evaluated through a shared prefix.
GenerateResult GenerateFromLogits(Session& session, std::span<const int32_t> history,
                                  const GenerateOptions& opts,
                                  const std::function<void(const std::string&)>& on_token = {});

}  // namespace gapbench::engine
