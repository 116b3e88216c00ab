#include "engine/engine_lm.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "common/error.h"
#include "common/json.h"
#include "engine/generate.h"
#include "engine/kv_cache.h"
#include "engine/loglik.h"
#include "engine/sampler.h"

namespace gapbench::engine {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

EngineModel::EngineModel(const Model& model, SessionOptions opts) : model_(model), opts_(opts) {
  cost_.weight_bytes = model.weight_bytes();
  Session probe(model, opts_);
  n_ctx_ = probe.n_ctx();
  cost_.kv_bytes_per_token =
      static_cast<double>(KvCache::BytesFor(model.hparams(), probe.config(), probe.n_ctx())) /
      static_cast<double>(probe.n_ctx());
}

void EngineModel::CountTokens(int64_t prompt, int64_t completion, double seconds) {
  cost_.prompt_tokens += prompt;
  cost_.completion_tokens += completion;
  cost_.seconds += seconds;
  // Forward FLOPs ~ 2 x parameters per token (attention over the context is extra, ignored).
  cost_.flops +=
      2.0 * static_cast<double>(model_.n_params()) * static_cast<double>(prompt + completion);
}

std::pair<std::vector<int32_t>, std::vector<int32_t>> EngineModel::Split(
    const LoglikRequest& r) const {
  // lm-evaluation-harness's _encode_pair: the context's trailing whitespace (rstrip) moves to the
  // continuation ("Answer:" + " A", never "Answer: " + "A"); the continuation is
  // encode(context + continuation) from position len(encode(context)) on, and the scored
  // sequence is encode(context) followed by it.
  std::string context = r.context;
  size_t cut = context.size();
  while (cut > 0 &&
         std::string_view(" \t\n\r\v\f").find(context[cut - 1]) != std::string_view::npos) {
    --cut;
  }
  const std::string continuation = context.substr(cut) + r.continuation;
  context.resize(cut);
  const Tokenizer& tok = model_.tokenizer();
  const bool bos = tok.add_bos_default() && tok.bos() >= 0;
  std::vector<int32_t> whole = tok.Encode(context + continuation, bos);
  std::vector<int32_t> ctx = tok.Encode(context, bos);
  if (ctx.empty()) {
    // No BOS and an empty context: condition on the end-of-text token, as LME does.
    ctx.push_back(tok.eos() >= 0 ? tok.eos() : 0);
    whole.insert(whole.begin(), ctx[0]);
  }
  if (whole.size() <= ctx.size()) {
    Fail("log-likelihood request: the continuation '", r.continuation,
         "' encodes to no tokens after the context");
  }
  std::vector<int32_t> cont(whole.begin() + static_cast<long>(ctx.size()), whole.end());
  return {std::move(ctx), std::move(cont)};
}

void EngineModel::Prime(const std::vector<int32_t>& tokens, bool session_logits) {
  if (!session_) session_ = std::make_unique<Session>(model_, opts_);
  GB_CHECK(static_cast<int64_t>(tokens.size()) <= session_->n_ctx(), "a prompt of ", tokens.size(),
           " tokens was not truncated to the ", session_->n_ctx(), "-token context");
  size_t common = 0;
  const size_t n = std::min(held_.size(), tokens.size());
  while (common < n && held_[common] == tokens[common]) ++common;
  if (common == tokens.size() && common == held_.size() && !held_logits_.empty() &&
      (!session_logits || session_->n_logit_rows() > 0)) {
    return;
  }
  // Re-evaluate at least the last token so its logits are fresh.
  if (common == tokens.size()) --common;
  if (!session_->CanTruncate(static_cast<int64_t>(common))) {
    session_ = std::make_unique<Session>(model_, opts_);
    common = 0;
  }
  session_->Truncate(static_cast<int64_t>(common));
  held_.resize(common);
  const auto t0 = Clock::now();
  const std::span<const int32_t> rest(tokens.data() + common, tokens.size() - common);
  session_->Eval(rest, LogitsMode::kLast);
  CountTokens(static_cast<int64_t>(rest.size()), 0, Since(t0));
  held_ = tokens;
  auto last = session_->LastLogits();
  held_logits_.assign(last.begin(), last.end());
}

std::vector<LoglikResponse> EngineModel::Loglikelihood(std::span<const LoglikRequest> requests) {
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> split;
  split.reserve(requests.size());
  std::vector<int64_t> truncated(requests.size(), 0);
  for (size_t i = 0; i < requests.size(); ++i) {
    split.push_back(Split(requests[i]));
    // The fed tokens are context + continuation minus its last: at most n_ctx of them.
    auto& [ctx, cont] = split.back();
    const auto n_cont = static_cast<int64_t>(cont.size());
    if (n_cont > n_ctx_) {
      const std::string& c = requests[i].continuation;
      Fail("log-likelihood request: the continuation '", SanitizeUtf8(c.substr(0, 40)),
           c.size() > 40 ? "...'" : "'", " has ", n_cont, " tokens, more than the model's ", n_ctx_,
           "-token context");
    }
    const int64_t keep = n_ctx_ + 1 - n_cont;
    if (static_cast<int64_t>(ctx.size()) > keep) {
      truncated[i] = static_cast<int64_t>(ctx.size()) - keep;
      ctx.erase(ctx.begin(), ctx.begin() + static_cast<std::ptrdiff_t>(truncated[i]));
    }
  }
  // Serve in token order so shared prefixes are adjacent; answer in request order.
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return split[a].first < split[b].first; });
  std::vector<LoglikResponse> out(requests.size());
  for (size_t i : order) {
    const auto& [ctx, cont] = split[i];
    Prime(ctx, false);
    LoglikResponse r;
    r.context_tokens = static_cast<int64_t>(ctx.size());
    r.truncated_tokens = truncated[i];
    r.n_tokens = static_cast<int64_t>(cont.size());
    r.greedy = true;
    double lp = LogProb(held_logits_, cont[0]);
    if (Argmax(held_logits_) != cont[0]) r.greedy = false;
    if (cont.size() > 1) {
      const auto t0 = Clock::now();
      const std::span<const int32_t> head(cont.data(), cont.size() - 1);
      session_->Eval(head, LogitsMode::kAll);
      CountTokens(static_cast<int64_t>(head.size()), 0, Since(t0));
      for (size_t k = 1; k < cont.size(); ++k) {
        auto row = session_->Logits(static_cast<int64_t>(k - 1));
        lp += LogProb(row, cont[k]);
        if (Argmax(row) != cont[k]) r.greedy = false;
      }
      // Rewind to the context; its logits are kept in held_logits_.
      if (session_->CanTruncate(static_cast<int64_t>(ctx.size()))) {
        session_->Truncate(static_cast<int64_t>(ctx.size()));
      } else {
        session_.reset();
        held_.clear();
        held_logits_.clear();
      }
    }
    r.logprob = lp;
    out[i] = r;
  }
  return out;
}

std::vector<Generation> EngineModel::Generate(std::span<const GenRequest> requests) {
  const Tokenizer& tok = model_.tokenizer();
  std::vector<Generation> out;
  out.reserve(requests.size());
  for (const auto& req : requests) {
    std::vector<int32_t> prompt = tok.Encode(req.prompt, tok.add_bos_default(), req.parse_special);
    if (req.parse_special && prompt.size() >= 2 && tok.bos() >= 0 && prompt[0] == tok.bos() &&
        prompt[1] == tok.bos()) {
      // The template printed bos_token itself (Llama 3, Gemma, Phi-3): one BOS, not two.
      prompt.erase(prompt.begin());
    }
    if (prompt.empty())
      prompt.push_back(tok.bos() >= 0 ? tok.bos() : (tok.eos() >= 0 ? tok.eos() : 0));
    // Room for the generation budget (at most half the context), the prompt's newest tokens in
    // the rest.
    const int64_t budget = std::clamp<int64_t>(req.max_tokens, 0, n_ctx_ / 2);
    const int64_t keep = std::max<int64_t>(1, n_ctx_ - budget);
    int64_t truncated = 0;
    if (static_cast<int64_t>(prompt.size()) > keep) {
      truncated = static_cast<int64_t>(prompt.size()) - keep;
      prompt.erase(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(truncated));
    }
    Prime(prompt, true);
    GenerateOptions go;
    go.max_tokens = std::min<int64_t>(req.max_tokens, session_->n_ctx() - session_->n_past());
    go.sampling.temperature = static_cast<float>(req.temperature);
    go.sampling.top_k = req.top_k;
    go.sampling.top_p = static_cast<float>(req.top_p);
    go.sampling.seed = req.seed;
    go.stop = req.stop;
    const auto t0 = Clock::now();
    GenerateResult g = GenerateFromLogits(*session_, prompt, go);
    // Decode evaluated every generated token but the last.
    CountTokens(0, static_cast<int64_t>(g.tokens.size()), Since(t0));
    Generation r;
    r.text = std::move(g.text);
    r.prompt_tokens = static_cast<int64_t>(prompt.size());
    r.completion_tokens = static_cast<int64_t>(g.tokens.size());
    r.finish_reason = g.finish_reason;
    r.truncated_tokens = truncated;
    r.token_logprobs = std::move(g.token_logprobs);
    out.push_back(std::move(r));
    // Rewind to the prompt so the next request can share its prefix.
    if (session_->CanTruncate(static_cast<int64_t>(prompt.size()))) {
      session_->Truncate(static_cast<int64_t>(prompt.size()));
    } else {
      session_.reset();
      held_.clear();
      held_logits_.clear();
    }
  }
  return out;
}

}  // namespace gapbench::engine
