// The kernel table (as llama.cpp's test-backend-ops): one row per op x type x shape, each run on
// every SIMD target this binary was compiled for and this CPU supports (ScopedSimdTarget), and
// checked against a scalar reference with one metric: bit identity where the kernel promises it,
// else NMSE under the row's stated bound (kernel_check.h). References are the kernels' own scalar
// versions (MatMulReference, AttendReference, QuantizeRowQ8_0, the vec-dot references) or,
// where there is none (RMSNorm, RoPE, softmax, SwiGLU, quantiser round trips), plain
// double-precision formulas written here, independent of the kernel code.
//
// Perf mode: GAPBENCH_KERNEL_PERF=1 ./build/tests/kernels/kernel_table_test times every row on
// every target (microseconds per call, the kernel alone, best of several repetitions of at least
// 20 ms) and prints one line per row and target. The test outcome does not depend on it.
//
// The NMSE bounds of the SIMD rows are about 100x the worst value seen on AVX2, SSE4, SSSE3 and
// SCALAR (the NMSE is printed in perf mode too): matmul 2.4e-13, attention 6e-12, the row ops
// 7e-15. A wrong element (an off-by-one in a SIMD loop) gives an NMSE far above 1e-6. The round
// trips' bounds follow from the formats' step sizes (scalar code, the same on every target).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/attention_rows.h"
#include "kernels/fp16.h"
#include "kernels/matmul.h"
#include "kernels/matmul_simd.h"
#include "kernels/ops.h"
#include "kernels/quant.h"
#include "kernels/quant_k.h"
#include "kernels/quant_legacy.h"
#include "tests/kernels/kernel_check.h"

namespace gapbench::kernels {
namespace {

using kernel_test::Bound;
using kernel_test::ScopedSimdTarget;

// One prepared row: the kernel under the current target, and its reference (computed once, with
// no target forced).
struct Prepared {
  std::function<std::vector<float>()> kernel;
  std::vector<double> ref;
};

struct KernelCase {
  std::string op, type, shape;
  Bound bound;
  std::vector<std::string> exact_targets;  // targets on which the kernel promises bit identity
  std::function<Prepared()> prepare;
  std::string Name() const {
    std::string name = op + "_" + type + "_" + shape;
    for (char& c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
  }
};

std::vector<float> Gaussian(int64_t n, uint32_t seed, float sigma) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = nd(rng);
  return v;
}

std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }

std::string Dims(std::initializer_list<int64_t> dims) {
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// ---- matmul -----------------------------------------------------------------------------------

struct Weight {
  GgmlType type;
  int64_t rows, cols;
  std::vector<uint8_t> data;
  MatrixView View() const { return MatrixView{type, data.data(), rows, cols}; }
};

std::shared_ptr<Weight> MakeWeight(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
  auto w = std::make_shared<Weight>(Weight{type, rows, cols, {}});
  const int64_t rb = RowBytes(Traits(type), cols);
  w->data.resize(static_cast<size_t>(rows * rb));
  const std::vector<float> v = Gaussian(rows * cols, seed, 0.1f);
  for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, v.data() + r * cols, &w->data[r * rb], cols);
  return w;
}

std::vector<double> MatMulRef(const Weight& w, const std::vector<float>& x, int64_t n_tokens) {
  std::vector<float> y(static_cast<size_t>(n_tokens * w.rows));
  MatMulReference(w.View(), x.data(), n_tokens, y.data());
  return ToDouble(y);
}

enum class MatMulVariant { kPlain, kPacked, kSameInput };

// Bounds: MatMul and MatMulReference differ only in the order of f32 additions (relative error
// ~sqrt(cols) * 2^-24 per output), so the NMSE stays near 1e-13; the vec-dot types (q4_K, q5_K,
// q6_K, q5_0, q5_1, q4_1) go through their dots, bit for bit the reference on every target;
// q8_0/q4_0 are exact on AVX3_DL (VNNI block sums).
KernelCase MatMulCase(MatMulVariant variant, GgmlType type, int64_t rows, int64_t cols,
                      int64_t n_tokens) {
  static const char* const kOps[] = {"matmul", "matmul_packed", "matmul_same_input"};
  KernelCase c{kOps[static_cast<int>(variant)],
               std::string(TypeName(type)),
               Dims({rows, cols, n_tokens}),
               Bound{false, 3e-11},
               {},
               nullptr};
  if (type == GgmlType::kQ4_K || type == GgmlType::kQ5_K || type == GgmlType::kQ6_K ||
      type == GgmlType::kQ5_0 || type == GgmlType::kQ5_1 || type == GgmlType::kQ4_1) {
    c.bound.bit_identical = true;  // the vec-dot kernels (quant_k.h, quant_legacy.h)
  }
  // The x86 int8 kernels (panel kernels on AVX2 / AVX3 / AVX3_DL, and AVX3_DL's small tiles)
  // compute exact int32 block sums and the reference's f32 operations in its order.
  if (type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0)
    c.exact_targets = {"AVX2", "AVX3", "AVX3_DL"};
  c.prepare = [=]() {
    const uint32_t seed = static_cast<uint32_t>(rows * 7919 + cols * 31 + n_tokens);
    const auto x = std::make_shared<std::vector<float>>(Gaussian(n_tokens * cols, seed, 2.0f));
    Prepared p;
    if (variant == MatMulVariant::kSameInput) {
      // Three products of one input, of different heights (as Q, K, V): concatenated outputs.
      std::vector<std::shared_ptr<Weight>> ws;
      for (int64_t r : {rows, rows / 2 + 1, 2 * rows}) {
        ws.push_back(MakeWeight(type, r, cols, seed + static_cast<uint32_t>(r)));
        const auto ref = MatMulRef(*ws.back(), *x, n_tokens);
        p.ref.insert(p.ref.end(), ref.begin(), ref.end());
      }
      p.kernel = [ws, x, n_tokens]() {
        std::vector<std::vector<float>> ys;
        std::vector<MatMulProduct> products;
        for (const auto& w : ws) {
          ys.emplace_back(static_cast<size_t>(n_tokens * w->rows), NAN);
          products.push_back(MatMulProduct{w->View(), ys.back().data()});
        }
        MatMulSameInput(products, x->data(), n_tokens);
        std::vector<float> out;
        for (const auto& y : ys) out.insert(out.end(), y.begin(), y.end());
        return out;
      };
      return p;
    }
    const auto w = MakeWeight(type, rows, cols, seed);
    p.ref = MatMulRef(*w, *x, n_tokens);
    const bool packed = variant == MatMulVariant::kPacked;
    p.kernel = [w, x, n_tokens, packed]() {
      std::vector<float> y(static_cast<size_t>(n_tokens * w->rows), NAN);
      MatrixView view = w->View();
      // Packed under the forced target: empty (plain MatMul) where it has no panel kernel.
      std::vector<uint8_t> panels;
      if (packed) {
        panels = SimdPackPanels(w->type, w->data.data(), w->rows,
                                RowBytes(Traits(w->type), w->cols), w->cols);
        view.packed = panels.empty() ? nullptr : panels.data();
      }
      MatMul(view, x->data(), n_tokens, y.data());
      return y;
    };
    return p;
  };
  return c;
}

// ---- attention ----------------------------------------------------------------------------------

struct Cache {
  GgmlType type;
  int64_t head_dim, n;
  std::vector<uint8_t> k, v;
  int64_t row_bytes = 0;
  std::vector<KvSegment> segments;  // over head 1 of 2 interleaved heads, cut into runs
};

std::shared_ptr<Cache> MakeCache(GgmlType type, int64_t head_dim, int64_t n, int splits,
                                 uint32_t seed) {
  auto c = std::make_shared<Cache>(Cache{type, head_dim, n, {}, {}, 0, {}});
  c->row_bytes = KvRowBytes(type, 2 * head_dim);
  c->k.resize(static_cast<size_t>(n * c->row_bytes));
  c->v.resize(c->k.size());
  const std::vector<float> kv = Gaussian(2 * n * 2 * head_dim, seed, 1.0f);
  for (int64_t r = 0; r < n; ++r) {
    StoreKvRow(type, kv.data() + (2 * r) * 2 * head_dim, &c->k[r * c->row_bytes], 2 * head_dim);
    StoreKvRow(type, kv.data() + (2 * r + 1) * 2 * head_dim, &c->v[r * c->row_bytes], 2 * head_dim);
  }
  const int64_t off = KvRowBytes(type, head_dim);
  int64_t done = 0;
  for (int s = 0; s < splits && done < n; ++s) {
    const int64_t len = s + 1 == splits ? n - done : std::max<int64_t>(1, (n - done) / 2);
    c->segments.push_back(KvSegment{{type, &c->k[done * c->row_bytes + off], c->row_bytes},
                                    {type, &c->v[done * c->row_bytes + off], c->row_bytes},
                                    len});
    done += len;
  }
  return c;
}

// The first m positions of the cache's segments (a causal row's keys).
std::vector<KvSegment> Prefix(const std::vector<KvSegment>& segs, int64_t m) {
  std::vector<KvSegment> out;
  for (const auto& s : segs) {
    if (m <= 0) break;
    KvSegment t = s;
    t.n = std::min(s.n, m);
    out.push_back(t);
    m -= t.n;
  }
  return out;
}

// n_rows queries; row r attends to its first keys[r] positions (all of them for per-query).
// Outputs are convex combinations of N(0,1) values; f32 against the double reference.
KernelCase AttentionCase(bool rows_kernel, GgmlType type, int64_t head_dim, int64_t n,
                         int64_t n_rows, int splits) {
  KernelCase c{rows_kernel ? "attention_rows" : "attention",
               std::string(TypeName(type)),
               Dims({head_dim, n, n_rows}),
               Bound{false, 5e-10},
               {},
               nullptr};
  c.prepare = [=]() {
    const auto seed = static_cast<uint32_t>(head_dim * 131 + n * 7 + n_rows);
    const auto cache = MakeCache(type, head_dim, n, splits, seed);
    const auto q = std::make_shared<std::vector<float>>(Gaussian(n_rows * head_dim, seed, 1.0f));
    auto keys = std::make_shared<std::vector<int64_t>>();
    for (int64_t r = 0; r < n_rows; ++r) {
      keys->push_back(rows_kernel ? std::max<int64_t>(1, n - n_rows + 1 + r) : n);
    }
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    Prepared p;
    std::vector<float> ref(static_cast<size_t>(head_dim));
    for (int64_t r = 0; r < n_rows; ++r) {
      AttendReference(q->data() + r * head_dim, Prefix(cache->segments, (*keys)[r]), head_dim,
                      scale, ref.data());
      p.ref.insert(p.ref.end(), ref.begin(), ref.end());
    }
    p.kernel = [=]() {
      std::vector<float> out(static_cast<size_t>(n_rows * head_dim), NAN);
      if (rows_kernel && AttendRowsSupported(head_dim)) {
        const int64_t stride = RowsKeyStride(n);
        std::vector<float> kt(static_cast<size_t>(head_dim * stride)),
            v(static_cast<size_t>(n * head_dim)),
            scratch(static_cast<size_t>(AttendRowsScratch(stride)));
        WidenKv(cache->segments, head_dim, kt.data(), v.data());
        std::vector<const float*> qp;
        std::vector<float*> op;
        for (int64_t r = 0; r < n_rows; ++r) {
          qp.push_back(q->data() + r * head_dim);
          op.push_back(out.data() + r * head_dim);
        }
        AttendRows(qp.data(), keys->data(), n_rows, kt.data(), v.data(), stride, head_dim, scale,
                   scratch.data(), op.data());
        return out;
      }
      // Per query (the engine's path, also where AttendRows has no SIMD path for head_dim).
      std::vector<float> scratch(static_cast<size_t>(n));
      for (int64_t r = 0; r < n_rows; ++r) {
        Attend(q->data() + r * head_dim, Prefix(cache->segments, (*keys)[r]), head_dim, scale,
               scratch.data(), out.data() + r * head_dim);
      }
      return out;
    };
    return p;
  };
  return c;
}

// ---- row ops: references in double ------------------------------------------------------------

KernelCase SoftmaxCase(int64_t n) {
  KernelCase c{"softmax", "f32", Dims({n}), Bound{false, 3e-13}, {}, nullptr};
  c.prepare = [=]() {
    const auto x = std::make_shared<std::vector<float>>(Gaussian(n, static_cast<uint32_t>(n), 4));
    Prepared p;
    double mx = -INFINITY, sum = 0.0;
    for (float v : *x) mx = std::max(mx, static_cast<double>(v));
    for (float v : *x) sum += std::exp(v - mx);
    for (float v : *x) p.ref.push_back(std::exp(v - mx) / sum);
    p.kernel = [x, n]() {
      std::vector<float> y = *x;
      Softmax(y.data(), n);
      return y;
    };
    return p;
  };
  return c;
}

KernelCase RmsNormCase(int64_t n, bool weighted, float eps) {
  KernelCase c{"rms_norm", weighted ? "f32_weighted" : "f32", Dims({n}), Bound{false, 3e-13}, {},
               nullptr};
  c.prepare = [=]() {
    const auto x = std::make_shared<std::vector<float>>(Gaussian(n, 11, 3.0f));
    const auto w = std::make_shared<std::vector<float>>(Gaussian(n, 12, 1.0f));
    Prepared p;
    double ss = 0.0;
    for (float v : *x) ss += static_cast<double>(v) * v;
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(n) + static_cast<double>(eps));
    for (int64_t i = 0; i < n; ++i) {
      p.ref.push_back((*x)[i] * inv * (weighted ? static_cast<double>((*w)[i]) : 1.0));
    }
    p.kernel = [=]() {
      std::vector<float> y(static_cast<size_t>(n), NAN);
      RmsNorm(x->data(), weighted ? w->data() : nullptr, y.data(), n, eps);
      return y;
    };
    return p;
  };
  return c;
}

// x [n_heads, head_dim]; the first n_rot dims of each head rotate by pos * theta_i, with
// theta_i = freq_scale * base^(-2i / n_rot) / factor_i; norm pairs (2i, 2i + 1), neox pairs
// (i, i + n_rot / 2); dims from n_rot on are unchanged. cos/sin of the angle in double.
KernelCase RopeCase(RopeStyle style, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos,
                    bool factors) {
  KernelCase c{style == RopeStyle::kNorm ? "rope_norm" : "rope_neox",
               factors ? "f32_factors" : "f32",
               Dims({n_heads, head_dim, n_rot, pos}),
               Bound{false, 3e-13},
               {},
               nullptr};
  c.prepare = [=]() {
    const float base = 10000.0f, freq_scale = 0.5f;
    const auto x = std::make_shared<std::vector<float>>(Gaussian(n_heads * head_dim, 21, 1.0f));
    auto ff = std::make_shared<std::vector<float>>();
    for (int64_t i = 0; i < n_rot / 2; ++i) ff->push_back(1.0f + 0.25f * static_cast<float>(i % 5));
    Prepared p;
    p.ref = ToDouble(*x);
    for (int64_t h = 0; h < n_heads; ++h) {
      for (int64_t i = 0; i < n_rot / 2; ++i) {
        const double freq = std::pow(static_cast<double>(base), -2.0 * i / n_rot);
        double angle = static_cast<double>(pos) * freq_scale * freq;
        if (factors) angle /= (*ff)[i];
        const int64_t a = h * head_dim + (style == RopeStyle::kNorm ? 2 * i : i);
        const int64_t b = h * head_dim + (style == RopeStyle::kNorm ? 2 * i + 1 : i + n_rot / 2);
        const double x0 = (*x)[a], x1 = (*x)[b];
        p.ref[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
        p.ref[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
      }
    }
    p.kernel = [=]() {
      std::vector<float> y = *x;
      Rope(y.data(), n_heads, head_dim, n_rot, pos, base, freq_scale,
           factors ? ff->data() : nullptr, style);
      return y;
    };
    return p;
  };
  return c;
}

// silu(g) * u = g / (1 + e^-g) * u; Highway's exp is within a few ulp of libm's.
KernelCase SwiGluCase(int64_t n) {
  KernelCase c{"swiglu", "f32", Dims({n}), Bound{false, 1e-12}, {}, nullptr};
  c.prepare = [=]() {
    auto g = std::make_shared<std::vector<float>>(Gaussian(n, 31, 3.0f));
    const auto u = std::make_shared<std::vector<float>>(Gaussian(n, 32, 1.0f));
    if (n > 4) (*g)[0] = -100.0f, (*g)[1] = 100.0f, (*g)[2] = -88.0f, (*g)[3] = 1e-30f;
    Prepared p;
    for (int64_t i = 0; i < n; ++i) {
      const double gi = (*g)[i];
      p.ref.push_back(gi / (1.0 + std::exp(-gi)) * (*u)[i]);
    }
    p.kernel = [=]() {
      std::vector<float> y(static_cast<size_t>(n), NAN);
      SwiGlu(g->data(), u->data(), y.data(), n);
      return y;
    };
    return p;
  };
  return c;
}

// gelu_tanh(g) * u in double against GeGluTanh (SIMD, Highway exp), run in place as the engine
// runs it (out aliases gate); 100000 values span several ParallelFor chunks.
KernelCase GeGluTanhCase(int64_t n) {
  KernelCase c{"geglu_tanh", "f32", Dims({n}), Bound{false, 1e-12}, {}, nullptr};
  c.prepare = [=]() {
    auto g = std::make_shared<std::vector<float>>(Gaussian(n, 33, 3.0f));
    const auto u = std::make_shared<std::vector<float>>(Gaussian(n, 34, 1.0f));
    if (n > 4) (*g)[0] = -100.0f, (*g)[1] = 100.0f, (*g)[2] = -8.0f, (*g)[3] = 1e-30f;
    Prepared p;
    for (int64_t i = 0; i < n; ++i) {
      const double x = (*g)[i];
      const double t = std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x));
      p.ref.push_back(0.5 * x * (1.0 + t) * (*u)[i]);
    }
    p.kernel = [=]() {
      std::vector<float> y = *g;
      GeGluTanh(y.data(), u->data(), y.data(), n);
      return y;
    };
    return p;
  };
  return c;
}

// ---- quantisers ---------------------------------------------------------------------------------

// SimdQuantizeQ8_0Rows promises QuantizeRowQ8_0's bytes: output = scales, then quants, then the
// per-block sums, as floats.
KernelCase SimdQuantizeCase(int64_t n_tokens, int64_t cols) {
  KernelCase c{"quantize_simd", "q8_0", Dims({n_tokens, cols}), Bound{true, 0.0}, {}, nullptr};
  c.prepare = [=]() {
    auto x = std::make_shared<std::vector<float>>(Gaussian(n_tokens * cols, 41, 2.0f));
    // Ties at .5 of both signs: amax 127 makes 1/d exactly 1.
    for (int64_t j = 0; j < 32 && j < cols; ++j) (*x)[j] = static_cast<float>(j % 9) - 4.5f;
    (*x)[31] = 127.0f;
    const int64_t nb = cols / kQK;
    Prepared p;
    std::vector<BlockQ8_0> blocks(static_cast<size_t>(nb));
    std::vector<double> d, q, s;
    for (int64_t t = 0; t < n_tokens; ++t) {
      QuantizeRowQ8_0(x->data() + t * cols, blocks.data(), cols);
      for (const auto& b : blocks) {
        d.push_back(F16ToF32(b.d));
        int sum = 0;
        for (int8_t v : b.qs) q.push_back(v), sum += v;
        s.push_back(sum);
      }
    }
    p.ref = d;
    p.ref.insert(p.ref.end(), q.begin(), q.end());
    p.ref.insert(p.ref.end(), s.begin(), s.end());
    p.kernel = [=]() {
      std::vector<float> xd(static_cast<size_t>(n_tokens * nb));
      std::vector<int8_t> xq(static_cast<size_t>(n_tokens * cols));
      std::vector<int32_t> xs(xd.size());
      SimdQuantizeQ8_0Rows(x->data(), n_tokens, cols, xd.data(), xq.data(), xs.data());
      std::vector<float> out = xd;
      out.insert(out.end(), xq.begin(), xq.end());
      for (int32_t v : xs) out.push_back(static_cast<float>(v));
      return out;
    };
    return p;
  };
  return c;
}

// The k-quant dots (SIMD) promise their scalar references' bits: one dot per weight row.
template <class Block>
KernelCase DotKCase(GgmlType type, int64_t rows, int64_t n,
                    float (*dot)(const Block*, const BlockQ8_K*, int64_t),
                    float (*reference)(const Block*, const BlockQ8_K*, int64_t)) {
  KernelCase c{"dot",  std::string(TypeName(type)) + "_q8_K", Dims({rows, n}), Bound{true, 0.0}, {},
               nullptr};
  c.prepare = [=]() {
    const int64_t nb = n / kQK_K;
    auto w = std::make_shared<std::vector<Block>>(static_cast<size_t>(rows * nb));
    auto x = std::make_shared<std::vector<BlockQ8_K>>(static_cast<size_t>(nb));
    const std::vector<float> wf = Gaussian(rows * n, 51, 0.1f), xf = Gaussian(n, 52, 2.0f);
    for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, wf.data() + r * n, &(*w)[r * nb], n);
    QuantizeRowQ8_K(xf.data(), x->data(), n);
    Prepared p;
    for (int64_t r = 0; r < rows; ++r) p.ref.push_back(reference(&(*w)[r * nb], x->data(), n));
    p.kernel = [=]() {
      std::vector<float> out;
      for (int64_t r = 0; r < rows; ++r) out.push_back(dot(&(*w)[r * nb], x->data(), n));
      return out;
    };
    return p;
  };
  return c;
}

// Quantise then dequantise N(0,1) values; the reference is the input. Bounds from the step
// sizes: f16 2^-11 relative, bf16 2^-8, q8_0 amax/127 per 32, q8_K amax/127 per 256, q4_0
// amax/8 per 32, q4_K ~ range/15 per 32, q5_K ~ range/31 per 32, q6_K ~ amax/32 per 16, q5_0
// amax/16 per 32, q5_1 / q4_1 range/31 / range/15 per 32 (NMSE ~ step^2 / 12 over unit variance,
// times 4).
KernelCase RoundTripCase(GgmlType type, int64_t n, double max_nmse) {
  KernelCase c{"round_trip", std::string(TypeName(type)), Dims({n}), Bound{false, max_nmse}, {},
               nullptr};
  c.prepare = [=]() {
    const auto x = std::make_shared<std::vector<float>>(Gaussian(n, 61, 1.0f));
    Prepared p;
    p.ref = ToDouble(*x);
    p.kernel = [=]() {
      std::vector<float> y(static_cast<size_t>(n), NAN);
      if (type == GgmlType::kQ8_K) {
        std::vector<BlockQ8_K> b(static_cast<size_t>(n / kQK_K));
        QuantizeRowQ8_K(x->data(), b.data(), n);
        DequantizeRowQ8_K(b.data(), y.data(), n);
      } else if (type == GgmlType::kQ4_K) {
        std::vector<BlockQ4_K> b(static_cast<size_t>(n / kQK_K));
        QuantizeRowQ4_K(x->data(), b.data(), n);
        DequantizeRow(type, b.data(), y.data(), n);
      } else {
        std::vector<uint8_t> b(static_cast<size_t>(RowBytes(Traits(type), n)));
        QuantizeRow(type, x->data(), b.data(), n);
        DequantizeRow(type, b.data(), y.data(), n);
      }
      return y;
    };
    return p;
  };
  return c;
}

// The 32-value vec dots (SIMD) promise their scalar references' bits: one dot per weight row
// against one Q8_0 / Q8_1 activation row.
template <class Block>
KernelCase Dot32Case(GgmlType type, int64_t rows, int64_t n,
                     float (*dot)(const Block*, const Q8Row&, int64_t),
                     float (*reference)(const Block*, const Q8Row&, int64_t)) {
  KernelCase c{"dot",  std::string(TypeName(type)) + "_q8", Dims({rows, n}), Bound{true, 0.0}, {},
               nullptr};
  c.prepare = [=]() {
    const int64_t nb = n / kQK5;
    auto w = std::make_shared<std::vector<Block>>(static_cast<size_t>(rows * nb));
    const std::vector<float> wf = Gaussian(rows * n, 53, 0.1f), xf = Gaussian(n, 54, 2.0f);
    for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, wf.data() + r * n, &(*w)[r * nb], n);
    auto xd = std::make_shared<std::vector<float>>(static_cast<size_t>(nb));
    auto xq = std::make_shared<std::vector<int8_t>>(static_cast<size_t>(n));
    auto xs = std::make_shared<std::vector<int32_t>>(static_cast<size_t>(nb));
    SimdQuantizeQ8_0Rows(xf.data(), 1, n, xd->data(), xq->data(), xs->data());
    const Q8Row x{xd->data(), xq->data(), xs->data()};
    Prepared p;
    for (int64_t r = 0; r < rows; ++r) p.ref.push_back(reference(&(*w)[r * nb], x, n));
    p.kernel = [=]() {
      const Q8Row xr{xd->data(), xq->data(), xs->data()};
      std::vector<float> out;
      for (int64_t r = 0; r < rows; ++r) out.push_back(dot(&(*w)[r * nb], xr, n));
      return out;
    };
    return p;
  };
  return c;
}

// ---- the table ----------------------------------------------------------------------------------

std::vector<KernelCase> BuildTable() {
  std::vector<KernelCase> t;
  const GgmlType kWeightTypes[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16,
                                   GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K,
                                   GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kQ5_0,
                                   GgmlType::kQ5_1, GgmlType::kQ4_1};
  for (GgmlType type : kWeightTypes) {
    const bool k_quant = Traits(type).block_size == kQK_K;
    const int64_t cols = k_quant ? 512 : 96;
    // Decode (1 token), a small batch, and a prefill batch past the panel kernel's threshold;
    // row counts off the 16-row panel.
    for (int64_t tokens : {1, 5, 17, 40})
      t.push_back(MatMulCase(MatMulVariant::kPlain, type, 37, cols, tokens));
    t.push_back(MatMulCase(MatMulVariant::kPlain, type, 64, k_quant ? 1024 : 544, 3));
    if (Traits(type).block_size == 1) {
      t.push_back(MatMulCase(MatMulVariant::kPlain, type, 5, 35, 2));  // SIMD tails
    }
    t.push_back(MatMulCase(MatMulVariant::kSameInput, type, 33, cols, 1));
    t.push_back(MatMulCase(MatMulVariant::kSameInput, type, 33, cols, 20));
  }
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    for (int64_t tokens : {1, 16, 40}) {
      t.push_back(MatMulCase(MatMulVariant::kPacked, type, 37, 128, tokens));
      t.push_back(MatMulCase(MatMulVariant::kPacked, type, 64, 96, tokens));
    }
  }
  // q4_K panels: decode (both 8-row groups), 2 tokens, the 4-token prefill tiles and their tails.
  for (int64_t tokens : {1, 2, 7, 40}) {
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ4_K, 37, 512, tokens));
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ4_K, 64, 768, tokens));
  }
  // q5_K panels, the same shapes.
  for (int64_t tokens : {1, 2, 7, 40}) {
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ5_K, 37, 512, tokens));
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ5_K, 64, 768, tokens));
  }
  // q5_0 panels (Qwen2.5-0.5B's 896-wide rows).
  for (int64_t tokens : {1, 2, 7, 40}) {
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ5_0, 37, 96, tokens));
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ5_0, 64, 896, tokens));
  }
  // q5_1 and q4_1 panels (Gemma-3-1B's 1152-wide rows in a Q5_K_M file: q5_1).
  for (GgmlType type : {GgmlType::kQ5_1, GgmlType::kQ4_1}) {
    for (int64_t tokens : {1, 2, 7, 40}) {
      t.push_back(MatMulCase(MatMulVariant::kPacked, type, 37, 96, tokens));
      t.push_back(MatMulCase(MatMulVariant::kPacked, type, 64, 1152, tokens));
    }
  }
  // q6_K panels: the same shapes (decode over both 8-row groups, 4-token tiles and tails).
  for (int64_t tokens : {1, 2, 7, 40}) {
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ6_K, 37, 512, tokens));
    t.push_back(MatMulCase(MatMulVariant::kPacked, GgmlType::kQ6_K, 64, 768, tokens));
  }
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0}) {
    for (int64_t hd : {32, 64, 128, 256}) {
      for (int64_t n : {1, 33, 300}) t.push_back(AttentionCase(false, type, hd, n, 2, 3));
      for (int64_t n : {7, 65, 300}) t.push_back(AttentionCase(true, type, hd, n, 9, 2));
    }
    if (type != GgmlType::kQ8_0) t.push_back(AttentionCase(false, type, 80, 40, 2, 1));
  }
  for (int64_t n : {1, 7, 64, 1000}) t.push_back(SoftmaxCase(n));
  for (int64_t n : {1, 17, 4096}) {
    t.push_back(RmsNormCase(n, false, 1e-6f));
    t.push_back(RmsNormCase(n, true, 1e-5f));
  }
  for (RopeStyle style : {RopeStyle::kNorm, RopeStyle::kNeox}) {
    t.push_back(RopeCase(style, 4, 64, 64, 7, false));
    t.push_back(RopeCase(style, 2, 128, 64, 100000, false));  // partial rotation, far position
    t.push_back(RopeCase(style, 3, 96, 96, 4095, true));
  }
  for (int64_t n : {1, 7, 16, 33, 1000}) t.push_back(SwiGluCase(n));
  for (int64_t n : {1, 7, 1000, 100000}) t.push_back(GeGluTanhCase(n));
  t.push_back(SimdQuantizeCase(1, 32));
  t.push_back(SimdQuantizeCase(6, 544));
  for (int64_t n : {256, 4096}) {
    t.push_back(DotKCase<BlockQ4_K>(GgmlType::kQ4_K, 8, n, DotQ4_KQ8_K, DotQ4_KQ8_KReference));
    t.push_back(DotKCase<BlockQ5_K>(GgmlType::kQ5_K, 8, n, DotQ5_KQ8_K, DotQ5_KQ8_KReference));
    t.push_back(DotKCase<BlockQ6_K>(GgmlType::kQ6_K, 8, n, DotQ6_KQ8_K, DotQ6_KQ8_KReference));
  }
  for (int64_t n : {32, 96, 4096}) {
    t.push_back(Dot32Case<BlockQ5_0>(GgmlType::kQ5_0, 8, n, DotQ5_0Q8_0, DotQ5_0Q8_0Reference));
    t.push_back(Dot32Case<BlockQ5_1>(GgmlType::kQ5_1, 8, n, DotQ5_1Q8_1, DotQ5_1Q8_1Reference));
    t.push_back(Dot32Case<BlockQ4_1>(GgmlType::kQ4_1, 8, n, DotQ4_1Q8_1, DotQ4_1Q8_1Reference));
  }
  t.push_back(RoundTripCase(GgmlType::kF16, 1024, 4e-7));
  t.push_back(RoundTripCase(GgmlType::kBF16, 1024, 2e-5));
  t.push_back(RoundTripCase(GgmlType::kQ8_0, 1024, 1e-4));
  t.push_back(RoundTripCase(GgmlType::kQ8_K, 1024, 2e-4));
  t.push_back(RoundTripCase(GgmlType::kQ4_0, 1024, 3e-2));
  t.push_back(RoundTripCase(GgmlType::kQ4_K, 1024, 3e-2));
  t.push_back(RoundTripCase(GgmlType::kQ5_K, 1024, 8e-3));
  t.push_back(RoundTripCase(GgmlType::kQ6_K, 1024, 2e-3));
  t.push_back(RoundTripCase(GgmlType::kQ5_0, 1024, 8e-3));
  t.push_back(RoundTripCase(GgmlType::kQ5_1, 1024, 8e-3));
  t.push_back(RoundTripCase(GgmlType::kQ4_1, 1024, 3e-2));
  return t;
}

const std::vector<KernelCase>& Table() {
  static const std::vector<KernelCase> table = BuildTable();
  return table;
}

// Microseconds per call of the kernel: best of 5 repetitions of enough calls to fill 20 ms.
double TimeMicros(const std::function<std::vector<float>()>& kernel) {
  using Clock = std::chrono::steady_clock;
  double best = INFINITY;
  for (int rep = 0; rep < 5; ++rep) {
    int64_t calls = 0;
    const auto start = Clock::now();
    auto now = start;
    do {
      kernel();
      ++calls;
      now = Clock::now();
    } while (now - start < std::chrono::milliseconds(20));
    best = std::min(best, std::chrono::duration<double, std::micro>(now - start).count() /
                              static_cast<double>(calls));
  }
  return best;
}

class KernelTable : public ::testing::TestWithParam<size_t> {};

TEST_P(KernelTable, MatchesReferenceOnEveryTarget) {
  const KernelCase& c = Table()[GetParam()];
  const Prepared p = c.prepare();
  const bool perf = std::getenv("GAPBENCH_KERNEL_PERF") != nullptr;
  int targets = 0;
  for (const int64_t target : kernel_test::CompiledTargets()) {
    const std::string name = kernel_test::TargetName(target);
    const ScopedSimdTarget guard(target);
    const std::vector<float> out = p.kernel();
    Bound bound = c.bound;
    if (std::find(c.exact_targets.begin(), c.exact_targets.end(), name) != c.exact_targets.end()) {
      bound.bit_identical = true;
    }
    EXPECT_TRUE(kernel_test::MeetsBound(out, p.ref, bound))
        << c.op << " " << c.type << " " << c.shape << " on " << name;
    ++targets;
    if (perf) {
      std::printf("%-18s %-13s %-18s %-8s nmse %9.2e  %10.2f us\n", c.op.c_str(), c.type.c_str(),
                  c.shape.c_str(), name.c_str(), kernel_test::Nmse(out, p.ref),
                  TimeMicros(p.kernel));
    }
  }
  EXPECT_GT(targets, 0);
}

INSTANTIATE_TEST_SUITE_P(Rows, KernelTable, ::testing::Range<size_t>(0, Table().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return Table()[info.param].Name();
                         });

// The guard restores the full target set also when the scope is left by a failed assertion.
TEST(ScopedSimdTarget, RestoresTheFullSetOnEveryExit) {
  const std::vector<int64_t> all = kernel_test::CompiledTargets();
  ASSERT_FALSE(all.empty());
  const int64_t worst = all.back();
  const auto leave_early = [&]() {
    const ScopedSimdTarget guard(worst);
    EXPECT_EQ(hwy::SupportedTargets() & HWY_TARGETS, worst);
    return;  // as an ASSERT_* that fails would
  };
  leave_early();
  EXPECT_EQ(kernel_test::CompiledTargets(), all);
}

}  // namespace
}  // namespace gapbench::kernels
