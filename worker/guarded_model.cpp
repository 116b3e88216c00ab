// The guarded model (see guarded_model.h).
#include "worker/guarded_model.h"

#include <chrono>
#include <cmath>

#include "common/error.h"

namespace gapbench::worker {

double RefuseProbability(double allow_logprob, double refuse_logprob) {
  if (std::isnan(allow_logprob) || std::isnan(refuse_logprob)) return std::nan("");
  // The logistic of the difference, written so that neither side overflows.
  const double d = refuse_logprob - allow_logprob;
  if (d >= 0) return 1.0 / (1.0 + std::exp(-d));
  const double e = std::exp(d);
  return e / (1.0 + e);
}

bool GuardRefuses(double p_refuse, double threshold) {
  // threshold 1 turns the guard off, even for a P(refuse) that rounds to 1; NaN never refuses.
  return threshold < 1.0 && p_refuse >= threshold;
}

std::string GuardPrompt(const std::string& prompt_template, const std::string& request) {
  static constexpr std::string_view kSlot = "{prompt}";
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = prompt_template.find(kSlot, pos)) != std::string::npos;
       pos = at + kSlot.size()) {
    out.append(prompt_template, pos, at - pos);
    out += request;
  }
  out.append(prompt_template, pos, std::string::npos);
  return out;
}

GuardedModel::GuardedModel(std::unique_ptr<LanguageModel> guard,
                           std::unique_ptr<LanguageModel> protected_lm, GuardConfig config)
    : guard_(std::move(guard)), protected_(std::move(protected_lm)), config_(std::move(config)) {
  GB_CHECK(guard_ && protected_, "GuardedModel needs both members");
}

GuardDecision GuardedModel::Screen(const std::string& request) {
  const std::string prompt = GuardPrompt(config_.prompt_template, request);
  const LoglikRequest labels[] = {{prompt, config_.allow}, {prompt, config_.refuse}};
  const auto t0 = std::chrono::steady_clock::now();
  const auto ll = guard_->Loglikelihood(labels);
  GuardDecision d;
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  GB_CHECK(ll.size() == 2, "the guard returned ", ll.size(), " log-likelihoods for 2 labels");
  // Counted as a record's tokens_in is (the prompt once, each label), not from Cost(): what prefix
  // reuse saves depends on the requests before, so it would differ between shards and runs.
  d.tokens = ll[0].context_tokens + ll[0].n_tokens + ll[1].n_tokens;
  d.p_refuse = RefuseProbability(ll[0].logprob, ll[1].logprob);
  d.refused = GuardRefuses(d.p_refuse, config_.threshold);
  return d;
}

std::vector<LoglikResponse> GuardedModel::Loglikelihood(std::span<const LoglikRequest> requests) {
  GuardTrace t;
  t.threshold = config_.threshold;
  if (requests.empty()) {
    last_ = std::move(t);
    return {};
  }
  t.decisions.push_back(Screen(requests.front().context));
  last_ = std::move(t);
  if (last_.decisions.front().refused) return std::vector<LoglikResponse>(requests.size());
  return protected_->Loglikelihood(requests);
}

std::vector<Generation> GuardedModel::Generate(std::span<const GenRequest> requests) {
  GuardTrace t;
  t.threshold = config_.threshold;
  std::vector<GenRequest> allowed;
  for (const auto& r : requests) {
    t.decisions.push_back(Screen(r.prompt));
    if (!t.decisions.back().refused) allowed.push_back(r);
  }
  std::vector<Generation> answers;
  if (!allowed.empty()) answers = protected_->Generate(allowed);
  GB_CHECK(answers.size() == allowed.size(), "the protected model returned ", answers.size(),
           " generations for ", allowed.size(), " requests");
  std::vector<Generation> out;
  size_t next = 0;
  for (const auto& d : t.decisions) {
    if (d.refused) {
      Generation g;
      g.text = config_.refusal;
      g.finish_reason = "refused";
      out.push_back(std::move(g));
    } else {
      out.push_back(std::move(answers[next++]));
    }
  }
  last_ = std::move(t);
  return out;
}

CostReport GuardedModel::Cost() const {
  CostReport c = guard_->Cost();
  const CostReport p = protected_->Cost();
  c.prompt_tokens += p.prompt_tokens;
  c.completion_tokens += p.completion_tokens;
  c.seconds += p.seconds;
  c.flops += p.flops;
  c.weight_bytes += p.weight_bytes;
  c.kv_bytes_per_token += p.kv_bytes_per_token;
  return c;
}

}  // namespace gapbench::worker
