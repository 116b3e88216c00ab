#include "engine/session.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "common/error.h"
#include "kernels/attention_rows.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/parallel.h"

namespace gapbench::engine {
namespace {

// Widening the cache once pays off from this many query rows (tokens x heads per KV head) and
// tokens: a chunk of 64 tokens x 7 heads at 450 cached positions attends 3.1x faster widened,
// one decode token x 7 heads 3.5x slower (gb_kernels_bench BM_AttentionChunk).
constexpr int64_t kRowsMinQueries = 16;
constexpr int64_t kRowsMinTokens = 4;

void AddBias(float* y, const std::vector<float>& b, int64_t n_tokens) {
  if (b.empty()) return;
  const auto n = static_cast<int64_t>(b.size());
  for (int64_t t = 0; t < n_tokens; ++t) kernels::AddInPlace(y + t * n, b.data(), n);
}

}  // namespace

int64_t ContextFor(const Model& model, const SessionOptions& opts) {
  if (opts.n_ctx > 0) return opts.n_ctx;
  if (model.config().context > 0) return model.config().context;
  return std::min(model.hparams().n_ctx_train, kMaxContext);
}

EngineConfig Session::ResolveConfig(const Model& model, const SessionOptions& opts) {
  EngineConfig c = model.config();
  c.context = ContextFor(model, opts);
  if (opts.n_batch > 0) c.batch = opts.n_batch;
  if (c.batch <= 0) c.batch = 256;
  c.batch = std::min(c.batch, c.context);
  if (opts.kv_type) c.kv_cache = *opts.kv_type;
  return c;
}

Session::Session(const Model& model, SessionOptions opts)
    : model_(model),
      config_(ResolveConfig(model, opts)),
      cache_(model.hparams(), config_, config_.context, config_.batch) {
  const HParams& hp = model_.hparams();
  const auto T = static_cast<size_t>(config_.batch);
  x_.resize(T * hp.n_embd);
  h_.resize(T * hp.n_embd);
  tmp_.resize(T * hp.n_embd);
  q_.resize(T * hp.n_q());
  attn_.resize(T * hp.n_q());
  k_.resize(T * hp.n_kv());
  v_.resize(T * hp.n_kv());
  gate_.resize(T * hp.n_ff);
  up_.resize(T * hp.n_ff);
}

std::span<const float> Session::Logits(int64_t row) const {
  GB_CHECK(row >= 0 && row < n_logit_rows_, "logits row ", row, " not computed (", n_logit_rows_,
           " rows)");
  const int64_t nv = model_.hparams().n_vocab;
  return {logits_.data() + row * nv, static_cast<size_t>(nv)};
}

void Session::Eval(std::span<const int32_t> tokens, LogitsMode mode) {
  if (tokens.empty()) Fail("Eval: no tokens to evaluate");
  if (n_past_ + static_cast<int64_t>(tokens.size()) > n_ctx()) {
    Fail("context overflow: ", n_past_, " cached + ", tokens.size(), " new tokens exceed the ",
         n_ctx(), "-token context (raise the context size)");
  }
  const int64_t n_vocab = model_.hparams().n_vocab;
  for (int32_t t : tokens) {
    if (t < 0 || t >= n_vocab) {
      Fail("token id ", t, " is out of range (vocabulary has ", n_vocab, " tokens)");
    }
  }
  const auto total = static_cast<int64_t>(tokens.size());
  const int64_t rows = mode == LogitsMode::kAll ? total : (mode == LogitsMode::kLast ? 1 : 0);
  logits_.resize(static_cast<size_t>(rows * n_vocab));
  n_logit_rows_ = 0;
  for (int64_t start = 0; start < total; start += config_.batch) {
    const int64_t n = std::min(config_.batch, total - start);
    const bool last_chunk = start + n == total;
    LogitsMode chunk_mode = mode;
    if (mode == LogitsMode::kLast && !last_chunk) chunk_mode = LogitsMode::kNone;
    Forward(tokens.subspan(static_cast<size_t>(start), static_cast<size_t>(n)), chunk_mode);
  }
}

void Session::Attention(int64_t il, int64_t n_tokens) {
  const HParams& hp = model_.hparams();
  const int64_t group = hp.n_head / hp.n_head_kv;
  const float scale = hp.layer(il).attn_scale;
  const float softcap = hp.layer(il).attn_softcap;
  // A chunk of several tokens (or a wide group) reads each cached row many times: widen it once.
  if (!token_by_token_attention_ && n_tokens >= kRowsMinTokens &&
      n_tokens * group >= kRowsMinQueries && AttentionRows(il, n_tokens, scale, softcap)) {
    return;
  }
  // One task per (token, head); each needs n_keys floats of scratch.
  kernels::ParallelFor(0, n_tokens * hp.n_head, 4, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scratch;
    if (scratch.size() < static_cast<size_t>(n_past_ + n_tokens))
      scratch.resize(static_cast<size_t>(n_past_ + n_tokens));
    std::array<kernels::KvSegment, 3> segs;
    for (int64_t idx = begin; idx < end; ++idx) {
      const int64_t t = idx / hp.n_head;
      const int64_t head = idx % hp.n_head;
      // Causal, windowed per the layer's K/V source: positions the cache hands over.
      const size_t n_segs = cache_.Segments(il, head / group, n_past_, t, segs);
      kernels::Attend(q_.data() + t * hp.n_q() + head * hp.head_dim, std::span(segs.data(), n_segs),
                      hp.head_dim, scale, scratch.data(),
                      attn_.data() + t * hp.n_q() + head * hp.head_dim, softcap);
    }
  });
}

bool Session::AttentionRows(int64_t il, int64_t n_tokens, float scale, float softcap) {
  const HParams& hp = model_.hparams();
  const int64_t hd = hp.head_dim, n_kvh = hp.n_head_kv, group = hp.n_head / hp.n_head_kv;
  if (!kernels::AttendRowsSupported(hd)) return false;
  using Segs = std::array<kernels::KvSegment, 3>;
  // One widened copy per KV head of the positions the whole chunk attends to (from the first
  // token's window start to the last token); each token takes its own range of it: causal, and
  // cut at the front by a sliding window.
  std::vector<Segs> last(static_cast<size_t>(n_kvh));
  std::vector<size_t> n_last(static_cast<size_t>(n_kvh));
  for (int64_t g = 0; g < n_kvh; ++g) {
    n_last[static_cast<size_t>(g)] =
        cache_.ChunkSegments(il, g, n_past_, n_tokens, last[static_cast<size_t>(g)]);
  }
  const int64_t base = cache_.FirstPosition(il, n_past_);
  std::vector<int64_t> keys(static_cast<size_t>(n_tokens)), first(keys.size());
  for (int64_t t = 0; t < n_tokens; ++t) {
    keys[static_cast<size_t>(t)] = n_past_ + t - base + 1;
    first[static_cast<size_t>(t)] = cache_.FirstPosition(il, n_past_ + t) - base;
  }
  int64_t n_max = 0;
  for (size_t i = 0; i < n_last[0]; ++i) n_max += last[0][i].n;
  GB_CHECK(n_max == keys.back(), "AttentionRows: the chunk's runs hold ", n_max, " positions, not ",
           keys.back());
  const int64_t stride = kernels::RowsKeyStride(n_max);
  const int64_t per_head = hd * stride + n_max * hd;
  widened_.resize(static_cast<size_t>(n_kvh * per_head));
  kernels::ParallelFor(0, n_kvh, 1, [&](int64_t begin, int64_t end) {
    for (int64_t g = begin; g < end; ++g) {
      float* kt = widened_.data() + g * per_head;
      kernels::WidenKv(
          std::span(last[static_cast<size_t>(g)].data(), n_last[static_cast<size_t>(g)]), hd, kt,
          kt + hd * stride);
    }
  });
  // Rows of KV head g: k = t * group + i is query head g * group + i of token t.
  const int64_t rows = n_tokens * group;
  constexpr int64_t kTile = 16;
  const int64_t tiles = (rows + kTile - 1) / kTile;
  kernels::ParallelFor(0, n_kvh * tiles, 1, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(kernels::AttendRowsScratch(stride)));
    const float* qp[kTile];
    float* op[kTile];
    int64_t nk[kTile], fk[kTile];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t g = task / tiles;
      const int64_t k0 = (task % tiles) * kTile, k1 = std::min(k0 + kTile, rows);
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t t = k / group, head = g * group + k % group;
        qp[k - k0] = q_.data() + t * hp.n_q() + head * hd;
        op[k - k0] = attn_.data() + t * hp.n_q() + head * hd;
        nk[k - k0] = keys[static_cast<size_t>(t)];
        fk[k - k0] = first[static_cast<size_t>(t)];
      }
      const float* kt = widened_.data() + g * per_head;
      kernels::AttendRows(qp, nk, k1 - k0, kt, kt + hd * stride, stride, hd, scale, scratch.data(),
                          op, softcap, fk);
    }
  });
  return true;
}

// One forward pass for every family: each step reads the layer's LayerSpec (hparams.h).
void Session::Forward(std::span<const int32_t> tokens, LogitsMode mode) {
  const HParams& hp = model_.hparams();
  const auto T = static_cast<int64_t>(tokens.size());
  const int64_t d = hp.n_embd;
  const float* freq_factors = model_.rope_freqs().empty() ? nullptr : model_.rope_freqs().data();
  auto norm_rows = [&](const float* x, const std::vector<float>& w, float* y, int64_t rows,
                       int64_t n) {
    for (int64_t r = 0; r < rows; ++r)
      kernels::RmsNorm(x + r * n, w.data(), y + r * n, n, hp.rms_eps);
  };

  for (int64_t t = 0; t < T; ++t) model_.Embed(tokens[static_cast<size_t>(t)], x_.data() + t * d);
  if (hp.embd_scale != 1.0f) {
    for (int64_t i = 0; i < T * d; ++i) x_[static_cast<size_t>(i)] *= hp.embd_scale;
  }

  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& L = model_.layer(il);
    const LayerSpec& ls = hp.layer(il);
    // Attention block: h = RMS(x)·w; q,k,v projections (+bias, per-head norms); RoPE; cache;
    // attend; o = Wo·a (post-norm); x += o.
    norm_rows(x_.data(), L.attn_norm, h_.data(), T, d);
    // Layers that share another layer's K/V (kv_sharing) compute and store none of their own.
    const bool own_kv = cache_.Owns(il);
    if (own_kv) {
      const kernels::MatMulProduct qkv[3] = {
          {L.wq, q_.data()}, {L.wk, k_.data()}, {L.wv, v_.data()}};
      kernels::MatMulSameInput(qkv, h_.data(), T);
      AddBias(k_.data(), L.bk, T);
      AddBias(v_.data(), L.bv, T);
    } else {
      kernels::MatMul(L.wq, h_.data(), T, q_.data());
    }
    AddBias(q_.data(), L.bq, T);
    if (ls.qk_norm) {
      norm_rows(q_.data(), L.q_norm, q_.data(), T * hp.n_head, hp.head_dim);
      if (own_kv) norm_rows(k_.data(), L.k_norm, k_.data(), T * hp.n_head_kv, hp.head_dim);
    }
    const float* factors = ls.rope_freqs ? freq_factors : nullptr;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t pos = n_past_ + t;
      kernels::Rope(q_.data() + t * hp.n_q(), hp.n_head, hp.head_dim, hp.n_rot, pos, ls.rope_base,
                    ls.rope_freq_scale, factors, hp.rope_style);
      if (!own_kv) continue;
      kernels::Rope(k_.data() + t * hp.n_kv(), hp.n_head_kv, hp.head_dim, hp.n_rot, pos,
                    ls.rope_base, ls.rope_freq_scale, factors, hp.rope_style);
      cache_.Stage(il, t, k_.data() + t * hp.n_kv(), v_.data() + t * hp.n_kv());
    }
    Attention(il, T);
    kernels::MatMul(L.wo, attn_.data(), T, tmp_.data());
    if (ls.post_attn_norm) norm_rows(tmp_.data(), L.attn_post_norm, tmp_.data(), T, d);
    kernels::AddInPlace(x_.data(), tmp_.data(), T * d);

    // Feed-forward block: x += W_down · (act(W_gate·h) * (W_up·h)) (post-norm), h = RMS(x)·w.
    norm_rows(x_.data(), L.ffn_norm, h_.data(), T, d);
    const kernels::MatMulProduct gate_up[2] = {{L.w_gate, gate_.data()}, {L.w_up, up_.data()}};
    kernels::MatMulSameInput(gate_up, h_.data(), T);
    if (ls.activation == Activation::kGeGluTanh) {
      kernels::GeGluTanh(gate_.data(), up_.data(), gate_.data(), T * hp.n_ff);
    } else {
      kernels::SwiGlu(gate_.data(), up_.data(), gate_.data(), T * hp.n_ff);
    }
    kernels::MatMul(L.w_down, gate_.data(), T, tmp_.data());
    if (ls.post_ffn_norm) norm_rows(tmp_.data(), L.ffn_post_norm, tmp_.data(), T, d);
    kernels::AddInPlace(x_.data(), tmp_.data(), T * d);
  }
  cache_.Commit(n_past_, T);
  n_past_ += T;

  if (mode == LogitsMode::kNone) return;
  // Final norm and output projection only for the rows whose logits were asked for.
  const int64_t first = mode == LogitsMode::kAll ? 0 : T - 1;
  const int64_t n_rows = T - first;
  norm_rows(x_.data() + first * d, model_.output_norm(), h_.data(), n_rows, d);
  const int64_t nv = hp.n_vocab;
  float* logits = logits_.data() + n_logit_rows_ * nv;
  kernels::MatMul(model_.output(), h_.data(), n_rows, logits);
  if (hp.final_softcap > 0.0f) kernels::SoftCap(logits, n_rows * nv, hp.final_softcap);
  n_logit_rows_ += n_rows;
}

std::unique_ptr<Session> Session::Fork() const {
  auto s = std::make_unique<Session>(
      model_, SessionOptions{config_.context, config_.batch, config_.kv_cache});
  s->cache_.CopyFrom(cache_, n_past_);
  s->n_past_ = n_past_;
  s->logits_ = logits_;
  s->n_logit_rows_ = n_logit_rows_;
  return s;
}

void Session::Truncate(int64_t n) {
  GB_CHECK(n >= 0 && n <= n_past_, "Truncate(", n, ") beyond n_past ", n_past_);
  if (!cache_.CanTruncate(n_past_, n)) {
    Fail("cannot rewind to position ", n,
         ": the sliding-window ring has overwritten what it needs");
  }
  n_past_ = n;
  n_logit_rows_ = 0;
}

}  // namespace gapbench::engine
