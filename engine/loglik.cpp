#include "engine/loglik.h"

#include <cmath>

#include "common/error.h"
#include "engine/sampler.h"

namespace gapbench::engine {

double LogProb(std::span<const float> logits, int32_t token) {
  GB_CHECK(token >= 0 && static_cast<size_t>(token) < logits.size(), "token out of range");
  double mx = logits[0];
  for (float v : logits) mx = std::max(mx, static_cast<double>(v));
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - mx);
  return static_cast<double>(logits[static_cast<size_t>(token)]) - mx - std::log(sum);
}

LoglikResult ScoreContinuation(Session& session, std::span<const int32_t> continuation) {
  if (continuation.empty()) Fail("log-likelihood: the continuation has no tokens");
  if (session.n_logit_rows() == 0) Fail("log-likelihood: the context has not been evaluated");
  LoglikResult r;
  r.n_tokens = static_cast<int64_t>(continuation.size());
  auto score = [&](std::span<const float> logits, int32_t token) {
    const double lp = LogProb(logits, token);
    r.token_logprobs.push_back(lp);
    r.logprob += lp;
    if (Argmax(logits) != token) r.greedy = false;
  };
  score(session.LastLogits(), continuation[0]);
  // The logits after continuation[i] predict continuation[i+1]; the last token needs none.
  if (continuation.size() > 1) {
    session.Eval(continuation.first(continuation.size() - 1), LogitsMode::kAll);
    for (size_t i = 1; i < continuation.size(); ++i) {
      score(session.Logits(static_cast<int64_t>(i - 1)), continuation[i]);
    }
  }
  return r;
}

LoglikResult Loglikelihood(const Model& model, std::span<const int32_t> context,
                           std::span<const int32_t> continuation, SessionOptions opts) {
  if (context.empty()) Fail("log-likelihood: the context has no tokens (add a BOS token)");
  Session s(model, opts);
  s.Eval(context, LogitsMode::kLast);
  return ScoreContinuation(s, continuation);
}

}  // namespace gapbench::engine
