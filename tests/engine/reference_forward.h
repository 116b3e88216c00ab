// A deliberately naive forward pass for tests: whole sequence at once, no KV cache, double
// accumulation, explicit attention mask per layer and explicit K/V source layer. It reads the
// weights through engine::Model (their binding is checked against transformers elsewhere) but
// shares no computation code with the engine's Session, so the engine's cache, rings, staging,
// chunking and sharing are checked against a straightforward definition.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/model.h"
#include "kernels/quant.h"

namespace gapbench::testing {

struct ReferenceAttention {
  std::vector<int64_t> window;     // per layer: 0 = global, else a query at p sees p-W+1..p
  std::vector<int64_t> kv_source;  // per layer: the layer whose K/V it uses
};

inline std::vector<double> RefMatrix(const kernels::MatrixView& m) {
  std::vector<float> row(static_cast<size_t>(m.cols));
  std::vector<double> out;
  out.reserve(static_cast<size_t>(m.rows * m.cols));
  const int64_t rb = kernels::RowBytes(kernels::Traits(m.type), m.cols);
  for (int64_t r = 0; r < m.rows; ++r) {
    kernels::DequantizeRow(m.type, static_cast<const uint8_t*>(m.data) + r * rb, row.data(),
                           m.cols);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

// y[rows] = W x
inline std::vector<double> RefMul(const std::vector<double>& w, int64_t rows, int64_t cols,
                                  const std::vector<double>& x) {
  std::vector<double> y(static_cast<size_t>(rows), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t c = 0; c < cols; ++c)
      s += w[static_cast<size_t>(r * cols + c)] * x[static_cast<size_t>(c)];
    y[static_cast<size_t>(r)] = s;
  }
  return y;
}

inline std::vector<double> RefNorm(const std::vector<double>& x, const std::vector<float>& w,
                                   double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + eps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * scale * w[i];
  return y;
}

inline void RefRope(std::vector<double>& v, int64_t n_heads, const engine::HParams& hp, int64_t pos,
                    kernels::RopeStyle style, const std::vector<float>& factors) {
  const int64_t half = hp.n_rot / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      double theta = static_cast<double>(pos) * hp.rope_freq_scale *
                     std::pow(static_cast<double>(hp.rope_base),
                              -2.0 * static_cast<double>(i) / static_cast<double>(hp.n_rot));
      if (!factors.empty()) theta /= factors[static_cast<size_t>(i)];
      const int64_t a = h * hp.head_dim + (style == kernels::RopeStyle::kNorm ? 2 * i : i);
      const int64_t b =
          h * hp.head_dim + (style == kernels::RopeStyle::kNorm ? 2 * i + 1 : i + half);
      const double x0 = v[static_cast<size_t>(a)], x1 = v[static_cast<size_t>(b)];
      v[static_cast<size_t>(a)] = x0 * std::cos(theta) - x1 * std::sin(theta);
      v[static_cast<size_t>(b)] = x0 * std::sin(theta) + x1 * std::cos(theta);
    }
  }
}

// Logits [n_tokens][n_vocab] for every position.
inline std::vector<std::vector<double>> ReferenceForward(const engine::Model& model,
                                                         const std::vector<int32_t>& tokens,
                                                         const ReferenceAttention& att) {
  const engine::HParams& hp = model.hparams();
  const auto T = static_cast<int64_t>(tokens.size());
  const int64_t d = hp.n_embd;
  std::vector<std::vector<double>> x(static_cast<size_t>(T),
                                     std::vector<double>(static_cast<size_t>(d)));
  std::vector<float> row(static_cast<size_t>(d));
  for (int64_t t = 0; t < T; ++t) {
    model.Embed(tokens[static_cast<size_t>(t)], row.data());
    for (int64_t i = 0; i < d; ++i)
      x[static_cast<size_t>(t)][static_cast<size_t>(i)] = row[static_cast<size_t>(i)];
  }
  // K/V (after RoPE) per layer and position, kept for layers that others share.
  std::vector<std::vector<std::vector<double>>> K(static_cast<size_t>(hp.n_layer)), V(K.size());
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const engine::LayerWeights& L = model.layer(il);
    const auto wq = RefMatrix(L.wq), wk = RefMatrix(L.wk), wv = RefMatrix(L.wv),
               wo = RefMatrix(L.wo);
    const auto wg = RefMatrix(L.w_gate), wu = RefMatrix(L.w_up), wd = RefMatrix(L.w_down);
    const int64_t src = att.kv_source[static_cast<size_t>(il)];
    const int64_t window = att.window[static_cast<size_t>(il)];
    std::vector<std::vector<double>> q(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) {
      const auto h = RefNorm(x[static_cast<size_t>(t)], L.attn_norm, hp.rms_eps);
      q[static_cast<size_t>(t)] = RefMul(wq, hp.n_q(), d, h);
      for (size_t i = 0; i < L.bq.size(); ++i) q[static_cast<size_t>(t)][i] += L.bq[i];
      RefRope(q[static_cast<size_t>(t)], hp.n_head, hp, t, hp.rope_style, model.rope_freqs());
      if (src == il) {
        auto k = RefMul(wk, hp.n_kv(), d, h), v = RefMul(wv, hp.n_kv(), d, h);
        for (size_t i = 0; i < L.bk.size(); ++i) k[i] += L.bk[i];
        for (size_t i = 0; i < L.bv.size(); ++i) v[i] += L.bv[i];
        RefRope(k, hp.n_head_kv, hp, t, hp.rope_style, model.rope_freqs());
        K[static_cast<size_t>(il)].push_back(k);
        V[static_cast<size_t>(il)].push_back(v);
      }
    }
    const auto& Ks = K[static_cast<size_t>(src)];
    const auto& Vs = V[static_cast<size_t>(src)];
    const int64_t group = hp.n_head / hp.n_head_kv;
    for (int64_t t = 0; t < T; ++t) {
      std::vector<double> a(static_cast<size_t>(hp.n_q()), 0.0);
      const int64_t first = window > 0 ? std::max<int64_t>(0, t - window + 1) : 0;
      for (int64_t h = 0; h < hp.n_head; ++h) {
        const int64_t kh = h / group;
        std::vector<double> s;
        for (int64_t j = first; j <= t; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < hp.head_dim; ++e) {
            dot += q[static_cast<size_t>(t)][static_cast<size_t>(h * hp.head_dim + e)] *
                   Ks[static_cast<size_t>(j)][static_cast<size_t>(kh * hp.head_dim + e)];
          }
          s.push_back(dot / std::sqrt(static_cast<double>(hp.head_dim)));
        }
        double mx = s[0], sum = 0;
        for (double v : s) mx = std::max(mx, v);
        for (double& v : s) sum += (v = std::exp(v - mx));
        for (int64_t j = first; j <= t; ++j) {
          const double p = s[static_cast<size_t>(j - first)] / sum;
          for (int64_t e = 0; e < hp.head_dim; ++e) {
            a[static_cast<size_t>(h * hp.head_dim + e)] +=
                p * Vs[static_cast<size_t>(j)][static_cast<size_t>(kh * hp.head_dim + e)];
          }
        }
      }
      const auto o = RefMul(wo, d, hp.n_q(), a);
      for (int64_t i = 0; i < d; ++i)
        x[static_cast<size_t>(t)][static_cast<size_t>(i)] += o[static_cast<size_t>(i)];
      const auto h2 = RefNorm(x[static_cast<size_t>(t)], L.ffn_norm, hp.rms_eps);
      auto g = RefMul(wg, hp.n_ff, d, h2);
      const auto u = RefMul(wu, hp.n_ff, d, h2);
      for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      const auto dn = RefMul(wd, d, hp.n_ff, g);
      for (int64_t i = 0; i < d; ++i)
        x[static_cast<size_t>(t)][static_cast<size_t>(i)] += dn[static_cast<size_t>(i)];
    }
  }
  const auto wout = RefMatrix(model.output());
  std::vector<std::vector<double>> logits;
  for (int64_t t = 0; t < T; ++t) {
    logits.push_back(RefMul(wout, hp.n_vocab, d,
                            RefNorm(x[static_cast<size_t>(t)], model.output_norm(), hp.rms_eps)));
  }
  return logits;
}

}  // namespace gapbench::testing
