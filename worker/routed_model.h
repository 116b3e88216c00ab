// RoutedModel: a cascade of two LanguageModels (docs/STRATEGIES.md "Routed model"). The small
// model answers first; its confidence signal decides whether the large model's answer is
// returned instead: for multiple choice (one Loglikelihood call = one question's choices) the top
// choice's probability or the margin between the top two, from the small model's choice
// log-likelihoods; for generation the mean or the minimum log-probability of the small model's
// tokens. An item is escalated when its signal is below the threshold.
//
// One pass, every threshold: the large model answers every request too, and last() keeps both
// members' responses, the signal and each member's seconds, so the runner records them all and
// the whole quality-versus-escalation curve derives from the records (reports/route_metrics.h).
// Cost() is the sum of both members' (what the one pass cost, not what a deployed cascade would).
//
// Not here: scoring (the runner scores each member's responses), strategy parsing
// (common/strategy.h), building members (model_factory.h).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "common/language_model.h"
#include "common/strategy.h"

namespace gapbench::worker {

// The multiple-choice signal from the choices' summed log-likelihoods (softmax over them):
// top_prob = max p, margin = p1 - p2 (1 for a single choice). Error on an empty list or a
// generation signal.
double ChoiceSignal(RouteSignal signal, std::span<const double> choice_logprobs);
// The generation signal from the generated tokens' log-probabilities: mean or minimum. No token
// (an empty answer) gives kNoTokenSignal, below every allowed threshold: always escalated.
inline constexpr double kNoTokenSignal = -1e9;
double GenerationSignal(RouteSignal signal, std::span<const double> token_logprobs);

// What the last call did.
struct RouteTrace {
  double signal = 0.0;
  double threshold = 0.0;
  RouteSignal signal_kind = RouteSignal::kTopProb;
  bool escalated = false;
  std::vector<LoglikResponse> small_ll, large_ll;  // the last Loglikelihood call
  std::vector<Generation> small_gen, large_gen;    // the last Generate call
  double small_seconds = 0.0, large_seconds = 0.0;
};

class RoutedModel : public LanguageModel {
 public:
  RoutedModel(std::unique_ptr<LanguageModel> small, std::unique_ptr<LanguageModel> large,
              RouteConfig config);

  // All requests are one question's choices: one signal for the call.
  std::vector<LoglikResponse> Loglikelihood(std::span<const LoglikRequest> requests) override;
  // One signal per call, from the first request's generation (the runner sends one request per
  // call; the trace holds every request's generations).
  std::vector<Generation> Generate(std::span<const GenRequest> requests) override;
  CostReport Cost() const override;

  const RouteTrace& last() const { return last_; }
  const RouteConfig& config() const { return config_; }

 private:
  std::unique_ptr<LanguageModel> small_, large_;
  RouteConfig config_;
  RouteTrace last_;
};

}  // namespace gapbench::worker
