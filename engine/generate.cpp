#include "engine/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>

#include "common/error.h"

namespace gapbench::engine {
namespace {

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// log softmax(logits)[token], in double (the max is subtracted first).
double LogSoftmaxAt(std::span<const float> logits, int32_t token) {
  const float mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float x : logits) sum += std::exp(static_cast<double>(x) - mx);
  return static_cast<double>(logits[static_cast<size_t>(token)]) - mx - std::log(sum);
}

}  // namespace

GenerateResult Generate(Session& session, std::span<const int32_t> prompt,
                        const GenerateOptions& opts,
                        const std::function<void(const std::string&)>& on_token) {
  if (prompt.empty()) Fail("generate: the prompt has no tokens");
  const auto t0 = std::chrono::steady_clock::now();
  session.Eval(prompt, LogitsMode::kLast);
  const double prefill = Seconds(t0, std::chrono::steady_clock::now());
  GenerateResult r = GenerateFromLogits(session, prompt, opts, on_token);
  r.prefill_seconds = prefill;
  return r;
}

GenerationOutput::GenerationOutput(const Tokenizer& tok, const GenerateOptions& opts,
                                   GenerateResult& result,
                                   const std::function<void(const std::string&)>& on_token)
    : tok_(tok), opts_(opts), r_(result), on_token_(on_token) {
  r_.finish_reason = "length";
}

bool GenerationOutput::Add(int32_t next) {
  if (opts_.stop_at_eog && tok_.IsEog(next)) {
    r_.finish_reason = "eog";
    return false;
  }
  r_.tokens.push_back(next);
  const std::string piece = tok_.TokenPiece(next);
  r_.text += piece;
  for (const auto& s : opts_.stop) {
    if (s.empty()) continue;
    // A stop sequence may span token boundaries: search only the tail that could contain it.
    const size_t from =
        r_.text.size() >= s.size() + piece.size() ? r_.text.size() - s.size() - piece.size() : 0;
    const size_t at = r_.text.find(s, from);
    if (at != std::string::npos) {
      r_.text.resize(at);
      r_.finish_reason = "stop";
      return false;
    }
  }
  if (on_token_) on_token_(piece);
  return static_cast<int64_t>(r_.tokens.size()) < opts_.max_tokens;
}

GenerateResult GenerateFromLogits(Session& session, std::span<const int32_t> prompt,
                                  const GenerateOptions& opts,
                                  const std::function<void(const std::string&)>& on_token) {
  if (opts.max_tokens < 0) Fail("generate: max tokens must be >= 0");
  if (session.n_logit_rows() == 0) Fail("generate: the prompt has not been evaluated");
  const Tokenizer& tok = session.model().tokenizer();
  Sampler sampler(opts.sampling);
  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  std::vector<int32_t> history(prompt.begin(), prompt.end());
  const auto t1 = std::chrono::steady_clock::now();
  GenerationOutput out(tok, opts, r, on_token);
  for (int64_t i = 0; i < opts.max_tokens; ++i) {
    // Only ids the tokenizer knows: embedding matrices may have padding rows beyond it.
    const auto logits = session.LastLogits().first(static_cast<size_t>(
        std::min<int64_t>(tok.n_vocab(), static_cast<int64_t>(session.LastLogits().size()))));
    const int32_t next = sampler.Sample(logits, history);
    const size_t before = r.tokens.size();
    if (!out.Add(next)) {
      if (r.tokens.size() > before) r.token_logprobs.push_back(LogSoftmaxAt(logits, next));
      break;
    }
    r.token_logprobs.push_back(LogSoftmaxAt(logits, next));
    history.push_back(next);
    if (session.n_past() >= session.n_ctx()) {
      r.finish_reason = "context";
      break;
    }
    session.Eval(std::span<const int32_t>(&next, 1), LogitsMode::kLast);
  }
  r.decode_seconds = Seconds(t1, std::chrono::steady_clock::now());
  return r;
}

}  // namespace gapbench::engine
