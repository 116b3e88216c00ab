// LanguageModel: the one interface the harness evaluates (ARCHITECTURE.md). Suites score what it
// returns and never see engine internals; the engine's single model and the hybrid strategies
// (route / guard / speculative) implement it. Requests are text: tokenisation, the
// context/continuation boundary and prefix reuse are the implementation's job, and so is a prompt
// longer than the model's context: it is left-truncated as lm-evaluation-harness does (the
// oldest tokens go) and the response says how many tokens were dropped.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace gapbench {

// log p(continuation | context). LME's convention: the pair is tokenised as one string and
// split at the context boundary, so a trailing space of the context belongs to the continuation.
struct LoglikRequest {
  std::string context;
  std::string continuation;
};

struct LoglikResponse {
  double logprob = 0.0;          // sum of the continuation tokens' log-probabilities
  bool greedy = false;           // every continuation token was the argmax
  int64_t n_tokens = 0;          // continuation tokens
  int64_t context_tokens = 0;    // after truncation
  int64_t truncated_tokens = 0;  // context tokens dropped from the front to fit the model
};

struct GenRequest {
  std::string prompt;
  std::vector<std::string> stop;  // the text ends before the first stop sequence
  int64_t max_tokens = 256;
  double temperature = 0.0;  // 0 = greedy
  int32_t top_k = 0;
  double top_p = 1.0;
  uint64_t seed = 0;
  // The prompt is a rendered chat template: text equal to a control token ("<|im_start|>") is
  // that token, and a BOS the text already starts with is not added a second time.
  bool parse_special = false;
};

struct Generation {
  std::string text;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::string finish_reason;     // "length" | "eog" | "stop" | "context"
  int64_t truncated_tokens = 0;  // prompt tokens dropped from the front to fit the model
  // log p(token | everything before it) of each generated token under the model's own
  // distribution (before temperature, top-k, top-p): a routed system's confidence signal. Empty
  // when the implementation does not compute it.
  std::vector<double> token_logprobs = {};
};

// What the requests served so far cost.
struct CostReport {
  int64_t prompt_tokens = 0;      // tokens evaluated (after prefix reuse)
  int64_t completion_tokens = 0;  // tokens generated
  double seconds = 0.0;           // wall time inside the model
  double flops = 0.0;             // estimated forward FLOPs
  int64_t weight_bytes = 0;
  double kv_bytes_per_token = 0.0;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual std::vector<LoglikResponse> Loglikelihood(std::span<const LoglikRequest> requests) = 0;
  virtual std::vector<Generation> Generate(std::span<const GenRequest> requests) = 0;
  virtual CostReport Cost() const = 0;
};

}  // namespace gapbench
