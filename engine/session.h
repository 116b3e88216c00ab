// Session: one sequence being evaluated against a Model -- owns the KV cache and the scratch
// buffers of the forward pass. Batched prefill and single-token decode are the same call (Eval
// with one or many tokens). Fork() copies the cached prefix so a shared few-shot prefix is
// computed once. Not thread-safe; use one Session per thread (the Model is shared).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/kv_cache.h"
#include "engine/model.h"

namespace gapbench::engine {

// Per-session overrides of the model's EngineConfig (context, batch, kv_cache).
struct SessionOptions {
  int64_t n_ctx = 0;    // 0: config.context, else the model's training context (ContextFor)
  int64_t n_batch = 0;  // 0: config.batch, else 256 tokens per forward chunk (bounds scratch)
  std::optional<kernels::GgmlType> kv_type;  // default: config.kv_cache
};

// The one context rule (docs/SETTINGS.md "context"): the positions a session of `model` holds --
// the session's override, else the configuration's "context", else the model's training context.
// Every command and the workers go through it; none evaluates past it (the KV cache grows with
// use, so a long training context costs nothing until it is used).
int64_t ContextFor(const Model& model, const SessionOptions& opts = {});

enum class LogitsMode {
  kLast,  // logits of the last token only
  kAll,   // logits of every token passed to Eval
  kNone,  // no logits (prefix computation)
};

class Session {
 public:
  Session(const Model& model, SessionOptions opts = {});

  const Model& model() const { return model_; }
  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return cache_.n_ctx(); }
  int64_t n_batch() const { return config_.batch; }
  const EngineConfig& config() const { return config_; }
  const KvCache& cache() const { return cache_; }

  // Appends `tokens` at positions n_past.. and computes their hidden states. Errors (Error):
  // context overflow, token id out of range. Logits of the requested rows are then available.
  void Eval(std::span<const int32_t> tokens, LogitsMode mode = LogitsMode::kLast);

  // Logits computed by the last Eval: n_logit_rows() rows of n_vocab floats.
  int64_t n_logit_rows() const { return n_logit_rows_; }
  std::span<const float> Logits(int64_t row) const;
  std::span<const float> LastLogits() const { return Logits(n_logit_rows_ - 1); }

  // A new session holding the same cached positions and last logits (an explicit copy of
  // n_past rows of KV cache).
  std::unique_ptr<Session> Fork() const;
  // Forgets positions >= n (n <= n_past); logits become unavailable. O(1): nothing is copied.
  // Error when a sliding-window ring has already overwritten what position n needs
  // (CanTruncate tells in advance).
  void Truncate(int64_t n);
  bool CanTruncate(int64_t n) const {
    return n >= 0 && n <= n_past_ && cache_.CanTruncate(n_past_, n);
  }

  // Attention of a multi-token Eval computed token by token, the path a one-token Eval takes, so
  // that every row's logits equal those of evaluating the tokens one at a time, bit for bit (the
  // matrix products are batch-independent; the row-blocked attention kernel rounds differently).
  // Speculative verification needs it (its output must be the target's own); prefill does not.
  void set_token_by_token_attention(bool on) { token_by_token_attention_ = on; }

 private:
  void Forward(std::span<const int32_t> tokens, LogitsMode mode);  // tokens.size() <= n_batch
  void Attention(int64_t il, int64_t n_tokens);
  // The chunk's attention as small GEMMs per KV head (kernels/attention_rows.h), each token over
  // its own causal, windowed range of the chunk's positions: false when the head size has no
  // such path.
  bool AttentionRows(int64_t il, int64_t n_tokens, float scale, float softcap);
  static EngineConfig ResolveConfig(const Model& model, const SessionOptions& opts);

  const Model& model_;
  EngineConfig config_;  // the model's, with this session's overrides applied
  KvCache cache_;
  int64_t n_past_ = 0;

  // Scratch for a chunk of up to n_batch tokens (shapes in comments are [tokens, features]).
  std::vector<float> x_;          // [T, n_embd] residual stream
  std::vector<float> h_;          // [T, n_embd] normed input
  std::vector<float> q_;          // [T, n_q]
  std::vector<float> k_, v_;      // [T, n_kv]
  std::vector<float> attn_;       // [T, n_q]
  std::vector<float> gate_, up_;  // [T, n_ff]
  std::vector<float> tmp_;        // [T, n_embd]
  std::vector<float> logits_;     // [rows, n_vocab]
  std::vector<float> widened_;    // per KV head: keys transposed + values as f32 (AttentionRows)
  int64_t n_logit_rows_ = 0;
  bool token_by_token_attention_ = false;
};

}  // namespace gapbench::engine
