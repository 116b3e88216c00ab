// Log-likelihood of a continuation given a context: the primitive of multiple-choice scoring.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/session.h"

namespace gapbench::engine {

struct LoglikResult {
  double logprob = 0.0;  // sum over continuation tokens of log p(token | everything before)
  bool greedy = true;    // every continuation token was the argmax of its distribution
  int64_t n_tokens = 0;
  std::vector<double> token_logprobs;
};

// log_softmax(logits)[token], computed in double.
double LogProb(std::span<const float> logits, int32_t token);

// `session` has evaluated the context, and its last logits row predicts the first
// continuation token. The session is advanced over the continuation (fork it first to score
// several continuations of one context). An empty continuation is an Error.
LoglikResult ScoreContinuation(Session& session, std::span<const int32_t> continuation);

// Convenience: a fresh session over context + continuation. The context must not be empty.
LoglikResult Loglikelihood(const Model& model, std::span<const int32_t> context,
                           std::span<const int32_t> continuation, SessionOptions opts = {});

}  // namespace gapbench::engine
