// GuardedModel: a guard model screens every request before the protected model sees it
// (docs/STRATEGIES.md "Guarded model"). The guard scores the strategy's two label continuations
// ("allow", "refuse") after its prompt template with "{prompt}" replaced by the request (a
// multiple-choice question's shared context, a generation's prompt); P(refuse) is the softmax of
// the two log-likelihoods. A request is refused when P(refuse) >= threshold and threshold < 1
// (threshold 0 refuses every request, 1 none): a refused generation gets the strategy's refusal
// text, a refused multiple-choice question equal log-likelihoods for every choice (the runner
// scores it as wrong, worker/runner.h). The protected model answers the allowed requests only.
//
// last() keeps the decisions of the last call, the guard's P(refuse), and what the guard added
// (seconds, tokens evaluated), so the runner records them per item and the guard metrics derive
// from the records (reports/guard_metrics.h). Cost() is both members'.
//
// Not here: scoring, strategy parsing (common/strategy.h), building members (model_factory.h).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/language_model.h"
#include "common/strategy.h"

namespace gapbench::worker {

// P(refuse) from the two label log-likelihoods: 1 / (1 + exp(allow - refuse)), NaN when either
// is NaN. And the decision rule on it.
double RefuseProbability(double allow_logprob, double refuse_logprob);
bool GuardRefuses(double p_refuse, double threshold);

// The guard's prompt: `prompt_template` with every "{prompt}" replaced by `request`.
std::string GuardPrompt(const std::string& prompt_template, const std::string& request);

// One request's screening.
struct GuardDecision {
  double p_refuse = 0.0;
  bool refused = false;
  double seconds = 0.0;  // wall time of the guard's call
  int64_t tokens = 0;    // tokens of the guard's requests: its prompt once plus both labels
};

struct GuardTrace {
  double threshold = 0.0;
  // Loglikelihood: one decision for the call (its requests are one question's choices);
  // Generate: one per request, in order.
  std::vector<GuardDecision> decisions;
};

class GuardedModel : public LanguageModel {
 public:
  GuardedModel(std::unique_ptr<LanguageModel> guard, std::unique_ptr<LanguageModel> protected_lm,
               GuardConfig config);

  // All requests are one question's choices: one decision from the first request's context.
  // Refused: every response has logprob 0 and no tokens, and the protected model is not called.
  std::vector<LoglikResponse> Loglikelihood(std::span<const LoglikRequest> requests) override;
  // One decision per request; refused requests get {text: refusal, finish_reason: "refused"}.
  std::vector<Generation> Generate(std::span<const GenRequest> requests) override;
  CostReport Cost() const override;

  const GuardTrace& last() const { return last_; }
  const GuardConfig& config() const { return config_; }

 private:
  GuardDecision Screen(const std::string& request);

  std::unique_ptr<LanguageModel> guard_, protected_;
  GuardConfig config_;
  GuardTrace last_;
};

}  // namespace gapbench::worker
