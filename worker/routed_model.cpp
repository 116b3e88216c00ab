// The routed (cascade) model (see routed_model.h).
#include "worker/routed_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/error.h"

namespace gapbench::worker {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void Add(CostReport& into, const CostReport& c) {
  into.prompt_tokens += c.prompt_tokens;
  into.completion_tokens += c.completion_tokens;
  into.seconds += c.seconds;
  into.flops += c.flops;
  into.weight_bytes += c.weight_bytes;
  into.kv_bytes_per_token += c.kv_bytes_per_token;
}

}  // namespace

double ChoiceSignal(RouteSignal signal, std::span<const double> lp) {
  if (lp.empty()) Fail("routing: a multiple-choice item without choices");
  if (signal != RouteSignal::kTopProb && signal != RouteSignal::kMargin) {
    Fail("routing: ", RouteSignalName(signal), " is not a multiple-choice signal");
  }
  const double mx = *std::max_element(lp.begin(), lp.end());
  double sum = 0.0;
  for (double x : lp) sum += std::exp(x - mx);
  double p1 = 0.0, p2 = 0.0;
  for (double x : lp) {
    const double p = std::exp(x - mx) / sum;
    if (p > p1) {
      p2 = p1;
      p1 = p;
    } else if (p > p2) {
      p2 = p;
    }
  }
  return signal == RouteSignal::kTopProb ? p1 : p1 - p2;
}

double GenerationSignal(RouteSignal signal, std::span<const double> lp) {
  if (signal != RouteSignal::kMeanLogprob && signal != RouteSignal::kMinLogprob) {
    Fail("routing: ", RouteSignalName(signal), " is not a generation signal");
  }
  if (lp.empty()) return kNoTokenSignal;
  if (signal == RouteSignal::kMinLogprob) return *std::min_element(lp.begin(), lp.end());
  double s = 0.0;
  for (double x : lp) s += x;
  return s / static_cast<double>(lp.size());
}

RoutedModel::RoutedModel(std::unique_ptr<LanguageModel> small, std::unique_ptr<LanguageModel> large,
                         RouteConfig config)
    : small_(std::move(small)), large_(std::move(large)), config_(config) {
  GB_CHECK(small_ && large_, "RoutedModel needs both members");
}

std::vector<LoglikResponse> RoutedModel::Loglikelihood(std::span<const LoglikRequest> requests) {
  RouteTrace t;
  auto t0 = Clock::now();
  t.small_ll = small_->Loglikelihood(requests);
  t.small_seconds = Since(t0);
  t0 = Clock::now();
  t.large_ll = large_->Loglikelihood(requests);
  t.large_seconds = Since(t0);
  t.signal_kind = config_.signal;
  t.threshold = config_.threshold;
  if (!requests.empty()) {
    std::vector<double> lp;
    for (const auto& r : t.small_ll) lp.push_back(r.logprob);
    t.signal = ChoiceSignal(config_.signal, lp);
    t.escalated = t.signal < t.threshold;
  }
  last_ = std::move(t);
  return last_.escalated ? last_.large_ll : last_.small_ll;
}

std::vector<Generation> RoutedModel::Generate(std::span<const GenRequest> requests) {
  RouteTrace t;
  auto t0 = Clock::now();
  t.small_gen = small_->Generate(requests);
  t.small_seconds = Since(t0);
  t0 = Clock::now();
  t.large_gen = large_->Generate(requests);
  t.large_seconds = Since(t0);
  t.signal_kind = config_.gen_signal;
  t.threshold = config_.gen_threshold;
  if (!t.small_gen.empty()) {
    t.signal = GenerationSignal(config_.gen_signal, t.small_gen.front().token_logprobs);
    t.escalated = t.signal < t.threshold;
  }
  last_ = std::move(t);
  return last_.escalated ? last_.large_gen : last_.small_gen;
}

CostReport RoutedModel::Cost() const {
  CostReport c = small_->Cost();
  Add(c, large_->Cost());
  return c;
}

}  // namespace gapbench::worker
