// EngineModel: the engine behind the LanguageModel interface (common/language_model.h) -- what a
// suite evaluates for a single model. It reuses computed prefixes: requests are served in an
// order that puts equal prefixes next to each other, one Session holds the last context, and a
// new context only evaluates the tokens after its common prefix with it (a shared few-shot
// header is computed once per shard; an item's context once for all its choices). Scoring a
// continuation extends the session and rewinds it (Truncate, O(1)): no KV copies.
// Context (engine::ContextFor: the training context unless the configuration says otherwise):
// a request that does not fit is left-truncated as lm-evaluation-harness does -- log-likelihood:
// context + continuation keep their last n_ctx + 1 tokens (the last is never fed); generation:
// the prompt keeps its last n_ctx - budget tokens, budget = min(max_tokens, n_ctx / 2) -- and
// the response counts the dropped tokens (truncated_tokens). A continuation longer than the
// context itself is an input Error.
// Not here: hybrid strategies (they wrap LanguageModels), suites, statistics.
#pragma once

#include <memory>
#include <vector>

#include "common/language_model.h"
#include "engine/model.h"
#include "engine/session.h"

namespace gapbench::engine {

class EngineModel : public LanguageModel {
 public:
  // `model` must outlive this object. Sessions use the model's EngineConfig.
  explicit EngineModel(const Model& model, SessionOptions opts = {});

  std::vector<LoglikResponse> Loglikelihood(std::span<const LoglikRequest> requests) override;
  std::vector<Generation> Generate(std::span<const GenRequest> requests) override;
  CostReport Cost() const override { return cost_; }

  // LME's split (_encode_pair): the context's trailing whitespace moves to the continuation;
  // the continuation is encode(context + continuation)[len(encode(context)):]. BOS per the
  // tokenizer's default (LME adds none by default; llama.cpp does for vocabularies that ask).
  // Returns {context tokens, continuation tokens}; an empty continuation is an Error.
  std::pair<std::vector<int32_t>, std::vector<int32_t>> Split(const LoglikRequest& r) const;

 private:
  // Makes the session hold exactly `tokens` with their last logits in held_logits_ (and, with
  // session_logits, also in the session itself), evaluating only what follows the common prefix
  // with what it holds.
  void Prime(const std::vector<int32_t>& tokens, bool session_logits);
  void CountTokens(int64_t prompt, int64_t completion, double seconds);

  const Model& model_;
  SessionOptions opts_;
  int64_t n_ctx_ = 0;  // ContextFor(model_, opts_)
  std::unique_ptr<Session> session_;
  std::vector<int32_t> held_;       // the tokens the session holds
  std::vector<float> held_logits_;  // logits after the last held token
  CostReport cost_;
};

}  // namespace gapbench::engine
