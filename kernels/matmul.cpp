// MatMul driver and the scalar reference. MatMul quantises the activations once per call (int8
// weight types), then splits the weight rows, in panels, over ParallelFor; each task runs the
// SIMD tile kernels of matmul_simd.cpp (several rows x several tokens per register tile).
// MatMulReference is the plain loop nest with the same numerics (see matmul.h).
#include "kernels/matmul.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "kernels/fp16.h"
#include "kernels/matmul_simd.h"
#include "kernels/parallel.h"
#include "kernels/quant.h"
#include "kernels/quant_k.h"
#include "kernels/quant_legacy.h"

namespace gapbench::kernels {
namespace {

bool IsInt8Type(GgmlType t) { return t == GgmlType::kQ8_0 || t == GgmlType::kQ4_0; }

// Weight types whose products run the panel kernels of matmul_simd.cpp on quantised activations:
// q8_0 / q4_0 / q5_0 on Q8_0, q5_1 / q4_1 on the same Q8_0 quants with their exact block sums
// (ggml's Q8_1, so one quantisation serves all five), q4_K / q5_K / q6_K on Q8_K.
enum class ActKind { kNone, kQ8_0, kQ8_K };
ActKind PanelActKind(GgmlType t) {
  if (IsInt8Type(t)) return ActKind::kQ8_0;
  if (t == GgmlType::kQ4_K) return ActKind::kQ8_K;
  if (t == GgmlType::kQ5_K) return ActKind::kQ8_K;
  if (t == GgmlType::kQ6_K) return ActKind::kQ8_K;
  if (t == GgmlType::kQ5_0) return ActKind::kQ8_0;  // the q5_0 panel kernel
  if (t == GgmlType::kQ5_1) return ActKind::kQ8_0;  // the q5_1 / q4_1 panel kernels (Q8_1: + xs)
  if (t == GgmlType::kQ4_1) return ActKind::kQ8_0;
  return ActKind::kNone;
}

// Weight types multiplied by a dot kernel on quantised activations, as ggml's vec_dot_type: Q8_K
// for the k-quants (quant_k.h), Q8_0 / Q8_1 for the 32-value types of quant_legacy.h. All of them
// run the panel kernels in MatMul (Q4_K, Q5_K, Q6_K, Q5_0, Q5_1, Q4_1; on targets without one,
// the vec dot per row and token inside matmul_simd.cpp) and keep the vec dot as their reference
// (MatMulReference) and for DotRow.
bool IsVecDotType(GgmlType t) {
  switch (t) {
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
    case GgmlType::kQ4_1:
      return true;
    default:
      return false;
  }
}

void CheckSupported(const MatrixView& w) {
  switch (w.type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
      break;
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
      if (w.cols % kQK != 0) {
        Fail("MatMul: ", TypeName(w.type), " weight has ", w.cols,
             " columns, not a multiple of the block size 32");
      }
      break;
    default:
      if (!IsVecDotType(w.type)) {
        Fail("MatMul: no kernel for weight type ", TypeName(w.type),
             " (supported: ", ComputableTypeNames(), ")");
      }
      if (w.cols % Traits(w.type).block_size != 0) {
        Fail("MatMul: ", TypeName(w.type), " weight has ", w.cols,
             " columns, not a multiple of the block size ", Traits(w.type).block_size);
      }
  }
  GB_CHECK(w.rows >= 0 && w.cols >= 0, "MatMul: negative shape");
  GB_CHECK(w.data != nullptr || w.rows * w.cols == 0, "MatMul: null weight data");
}

// Activations of the int8 paths: Q8_0-quantised exactly as QuantizeRowQ8_0 (so the reference's
// activations), split into f16-rounded scales and contiguous int8 quants for the SIMD loads.
// The k-quant panel kernels' activations: Q8_K blocks (QuantizeRowQ8_K's bytes) and their
// per-sub-block sums.
struct QuantizedActivations {
  std::vector<float> d;        // [n_tokens, cols / 32]
  std::vector<int8_t> q;       // [n_tokens, cols]
  std::vector<int32_t> s;      // [n_tokens, cols / 32] sum of each block's quants
  std::vector<BlockQ8_K> k;    // [n_tokens, cols / 256] (k-quant weights only)
  std::vector<int16_t> k_sub;  // [n_tokens, cols / 256, 8]
};

// Q8_K activations once per product (not per row), tokens split over threads; the bytes are
// QuantizeRowQ8_K's.
QuantizedActivations QuantizeActivationsK(const float* x, int64_t n_tokens, int64_t cols) {
  const int64_t nb = cols / kQK_K;
  QuantizedActivations acts;
  acts.k.resize(static_cast<size_t>(n_tokens * nb));
  acts.k_sub.resize(static_cast<size_t>(n_tokens * nb * 8));
  ParallelFor(0, n_tokens, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)),
              [&](int64_t t_begin, int64_t t_end) {
                for (int64_t t = t_begin; t < t_end; ++t) {
                  QuantizeRowQ8_K(x + t * cols, acts.k.data() + t * nb, cols);
                }
                Q8_KSubBlockSums(acts.k.data() + t_begin * nb, (t_end - t_begin) * nb,
                                 acts.k_sub.data() + t_begin * nb * 8);
              });
  return acts;
}

QuantizedActivations QuantizeActivations(const float* x, int64_t n_tokens, int64_t cols);

QuantizedActivations QuantizeFor(ActKind kind, const float* x, int64_t n_tokens, int64_t cols) {
  switch (kind) {
    case ActKind::kQ8_0:
      return QuantizeActivations(x, n_tokens, cols);
    case ActKind::kQ8_K:
      return QuantizeActivationsK(x, n_tokens, cols);
    default:
      return {};
  }
}

QuantizedActivations QuantizeActivations(const float* x, int64_t n_tokens, int64_t cols) {
  const int64_t nb = cols / kQK;
  QuantizedActivations acts;
  acts.d.resize(static_cast<size_t>(n_tokens * nb));
  acts.q.resize(static_cast<size_t>(n_tokens * cols));
  acts.s.resize(static_cast<size_t>(n_tokens * nb));
  ParallelFor(0, n_tokens, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)),
              [&](int64_t t_begin, int64_t t_end) {
                SimdQuantizeQ8_0Rows(x + t_begin * cols, t_end - t_begin, cols,
                                     acts.d.data() + t_begin * nb, acts.q.data() + t_begin * cols,
                                     acts.s.data() + t_begin * nb);
              });
  return acts;
}

// QuantizeActivations' values from the scalar quantiser (QuantizeRowQ8_0), for the reference.
QuantizedActivations QuantizeActivationsReference(const float* x, int64_t n_tokens, int64_t cols) {
  const int64_t nb = cols / kQK;
  QuantizedActivations acts;
  acts.d.resize(static_cast<size_t>(n_tokens * nb));
  acts.q.resize(static_cast<size_t>(n_tokens * cols));
  acts.s.resize(static_cast<size_t>(n_tokens * nb));
  std::vector<BlockQ8_0> blocks(static_cast<size_t>(nb));
  for (int64_t t = 0; t < n_tokens; ++t) {
    QuantizeRowQ8_0(x + t * cols, blocks.data(), cols);
    for (int64_t b = 0; b < nb; ++b) {
      const size_t i = static_cast<size_t>(t * nb + b);
      acts.d[i] = F16ToF32(blocks[b].d);
      int32_t sum = 0;
      for (int64_t j = 0; j < kQK; ++j) {
        acts.q[static_cast<size_t>(t * cols + b * kQK + j)] = blocks[b].qs[j];
        sum += blocks[b].qs[j];
      }
      acts.s[i] = sum;
    }
  }
  return acts;
}

float RefFloatDot(const MatrixView& w, int64_t row, const float* x) {
  float sum = 0.0f;
  const int64_t cols = w.cols;
  switch (w.type) {
    case GgmlType::kF32: {
      const float* wr = static_cast<const float*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) sum += wr[c] * x[c];
      break;
    }
    case GgmlType::kF16: {
      const uint16_t* wr = static_cast<const uint16_t*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) sum += F16ToF32(wr[c]) * x[c];
      break;
    }
    default: {  // kBF16
      const uint16_t* wr = static_cast<const uint16_t*>(w.data) + row * cols;
      for (int64_t c = 0; c < cols; ++c) sum += BF16ToF32(wr[c]) * x[c];
      break;
    }
  }
  return sum;
}

// One weight row against one Q8_0 activation row: int32 dot per block, scaled in f32.
float RefInt8Dot(const MatrixView& w, int64_t row, const BlockQ8_0* xq) {
  const int64_t nb = w.cols / kQK;
  float sum = 0.0f;
  if (w.type == GgmlType::kQ8_0) {
    const BlockQ8_0* wr = static_cast<const BlockQ8_0*>(w.data) + row * nb;
    for (int64_t b = 0; b < nb; ++b) {
      int32_t sumi = 0;
      for (int64_t j = 0; j < kQK; ++j) sumi += wr[b].qs[j] * xq[b].qs[j];
      sum += static_cast<float>(sumi) * (F16ToF32(wr[b].d) * F16ToF32(xq[b].d));
    }
  } else {  // kQ4_0
    const BlockQ4_0* wr = static_cast<const BlockQ4_0*>(w.data) + row * nb;
    for (int64_t b = 0; b < nb; ++b) {
      int32_t sumi = 0;
      for (int64_t j = 0; j < kQK / 2; ++j) {
        sumi += ((wr[b].qs[j] & 0xF) - 8) * xq[b].qs[j];
        sumi += ((wr[b].qs[j] >> 4) - 8) * xq[b].qs[j + kQK / 2];
      }
      sum += static_cast<float>(sumi) * (F16ToF32(wr[b].d) * F16ToF32(xq[b].d));
    }
  }
  return sum;
}

// Runs the SIMD kernels for rows [row_begin, row_end) of w on a single thread.
void RunRows(const MatrixView& w, const float* x, const QuantizedActivations* acts,
             int64_t n_tokens, float* y, int64_t y_stride, int64_t row_begin, int64_t row_end) {
  SimdMatMulArgs args;
  args.type = w.type;
  args.w = static_cast<const uint8_t*>(w.data);
  args.row_bytes = RowBytes(Traits(w.type), w.cols);
  args.cols = w.cols;
  args.n_tokens = n_tokens;
  args.x = x;
  if (acts != nullptr) {
    args.xd = acts->d.data();
    args.xq = acts->q.data();
    args.xs = acts->s.data();
    args.xk = acts->k.data();
    args.xk_sub = acts->k_sub.data();
  }
  args.y = y;
  args.y_stride = y_stride;
  args.packed = static_cast<const uint8_t*>(w.packed);
  SimdMatMulRows(args, row_begin, row_end);
}

// One weight row (of a vec-dot type) against one Q8_K activation row. `reference` selects the
// scalar dot, which the SIMD one equals bit for bit (quant_k.h).
float VecDotK(GgmlType type, const uint8_t* row, const BlockQ8_K* x, int64_t cols, bool reference) {
  switch (type) {
    case GgmlType::kQ4_K: {
      const auto* w = reinterpret_cast<const BlockQ4_K*>(row);
      return reference ? DotQ4_KQ8_KReference(w, x, cols) : DotQ4_KQ8_K(w, x, cols);
    }
    case GgmlType::kQ5_K: {
      const auto* w = reinterpret_cast<const BlockQ5_K*>(row);
      return reference ? DotQ5_KQ8_KReference(w, x, cols) : DotQ5_KQ8_K(w, x, cols);
    }
    default: {  // kQ6_K
      const auto* w = reinterpret_cast<const BlockQ6_K*>(row);
      return reference ? DotQ6_KQ8_KReference(w, x, cols) : DotQ6_KQ8_K(w, x, cols);
    }
  }
}

// One weight row of a 32-value vec-dot type against one Q8_0 / Q8_1 activation row.
float VecDot32(GgmlType type, const uint8_t* row, const Q8Row& x, int64_t cols, bool reference) {
  switch (type) {
    case GgmlType::kQ5_0: {
      const auto* w = reinterpret_cast<const BlockQ5_0*>(row);
      return reference ? DotQ5_0Q8_0Reference(w, x, cols) : DotQ5_0Q8_0(w, x, cols);
    }
    case GgmlType::kQ5_1: {
      const auto* w = reinterpret_cast<const BlockQ5_1*>(row);
      return reference ? DotQ5_1Q8_1Reference(w, x, cols) : DotQ5_1Q8_1(w, x, cols);
    }
    default: {  // kQ4_1
      const auto* w = reinterpret_cast<const BlockQ4_1*>(row);
      return reference ? DotQ4_1Q8_1Reference(w, x, cols) : DotQ4_1Q8_1(w, x, cols);
    }
  }
}

// Vec-dot weights (IsVecDotType): the activations are quantised once per call, then one dot per
// row and token, rows split over threads; the weights are read as stored, never dequantised.
void MatMulVecDot(const MatrixView& w, const float* x, int64_t n_tokens, float* y, bool reference) {
  const bool k_quant = Traits(w.type).block_size == kQK_K;
  const int64_t nb = w.cols / kQK_K;
  std::vector<BlockQ8_K> acts_k;
  QuantizedActivations acts_8;
  if (k_quant) {
    acts_k.resize(static_cast<size_t>(n_tokens * nb));
    for (int64_t t = 0; t < n_tokens; ++t) {
      QuantizeRowQ8_K(x + t * w.cols, acts_k.data() + t * nb, w.cols);
    }
  } else {
    acts_8 = reference ? QuantizeActivationsReference(x, n_tokens, w.cols)
                       : QuantizeActivations(x, n_tokens, w.cols);
  }
  const auto* rows = static_cast<const uint8_t*>(w.data);
  const int64_t row_bytes = RowBytes(Traits(w.type), w.cols);
  const int64_t nb32 = w.cols / kQK;
  auto run = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t t = 0; t < n_tokens; ++t) {
        if (k_quant) {
          y[t * w.rows + r] =
              VecDotK(w.type, rows + r * row_bytes, acts_k.data() + t * nb, w.cols, reference);
        } else {
          const Q8Row xt{acts_8.d.data() + t * nb32, acts_8.q.data() + t * w.cols,
                         acts_8.s.data() + t * nb32};
          y[t * w.rows + r] = VecDot32(w.type, rows + r * row_bytes, xt, w.cols, reference);
        }
      }
    }
  };
  if (reference) {
    run(0, w.rows);
  } else {
    const int64_t grain =
        std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, w.cols * n_tokens));
    ParallelFor(0, w.rows, grain, run);
  }
}

}  // namespace

namespace {

// The SIMD kernels over the row panels of every product in one parallel range ([first[i],
// first[i + 1]) are product i's panels). Tasks are runs of whole panels (the kernels' cache
// blocking) of at least ~64K multiply-adds (a few microseconds), so scheduling stays small next
// to the work while an 896x896 decode product still splits into 14 chunks that TBB balances
// over the threads. acts: the products' shared Q8_0 or Q8_K activations (quantised weights), else
// null.
void RunPanels(std::span<const MatMulProduct> products, const float* x,
               const QuantizedActivations* acts, int64_t n_tokens) {
  std::vector<int64_t> first(products.size() + 1, 0);
  for (size_t i = 0; i < products.size(); ++i) {
    first[i + 1] = first[i] + (products[i].w.rows + kSimdRowPanel - 1) / kSimdRowPanel;
  }
  const int64_t macs_per_panel =
      std::max<int64_t>(1, kSimdRowPanel * products[0].w.cols * n_tokens);
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / macs_per_panel);
  ParallelFor(0, first.back(), grain, [&](int64_t begin, int64_t end) {
    for (size_t i = 0; i < products.size(); ++i) {
      const int64_t b = std::max(begin, first[i]), e = std::min(end, first[i + 1]);
      if (b >= e) continue;
      const MatrixView& w = products[i].w;
      RunRows(w, x, acts, n_tokens, products[i].y, w.rows, (b - first[i]) * kSimdRowPanel,
              std::min(w.rows, (e - first[i]) * kSimdRowPanel));
    }
  });
}

}  // namespace

void MatMul(const MatrixView& w, const float* x, int64_t n_tokens, float* y) {
  CheckSupported(w);
  if (n_tokens <= 0 || w.rows == 0) return;
  // Every vec-dot type has a panel kernel (PanelActKind is not kNone for it): the per-row vec
  // dot serves only MatMulReference and DotRow.
  const ActKind kind = PanelActKind(w.type);
  const QuantizedActivations acts = QuantizeFor(kind, x, n_tokens, w.cols);
  const MatMulProduct one{w, y};
  RunPanels(std::span(&one, 1), x, kind != ActKind::kNone ? &acts : nullptr, n_tokens);
}

// Besides q8_0/q4_0 (matmul.h), products of one input whose weights all take the same
// activations share one quantisation: q8_0 / q4_0 / q5_0 / q5_1 / q4_1 one Q8_0 (with block
// sums), q4_K / q5_K / q6_K one Q8_K
// (mixed as llama.cpp's q4_K_M / q5_K_M mixes give attn_v and ffn_down q6_K).
void MatMulSameInput(std::span<const MatMulProduct> products, const float* x, int64_t n_tokens) {
  if (products.empty() || n_tokens <= 0) return;
  const ActKind kind = PanelActKind(products[0].w.type);
  bool shared = kind != ActKind::kNone;
  for (const auto& p : products) {
    CheckSupported(p.w);
    shared = shared && PanelActKind(p.w.type) == kind && p.w.cols == products[0].w.cols;
  }
  if (!shared) {
    for (const auto& p : products) MatMul(p.w, x, n_tokens, p.y);
    return;
  }
  const QuantizedActivations acts = QuantizeFor(kind, x, n_tokens, products[0].w.cols);
  RunPanels(products, x, &acts, n_tokens);
}

void MatMulReference(const MatrixView& w, const float* x, int64_t n_tokens, float* y) {
  CheckSupported(w);
  if (IsVecDotType(w.type)) return MatMulVecDot(w, x, n_tokens, y, true);
  const int64_t nb = w.cols / kQK;
  std::vector<BlockQ8_0> xq;
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* xt = x + t * w.cols;
    if (IsInt8Type(w.type)) {
      xq.resize(static_cast<size_t>(nb));
      QuantizeRowQ8_0(xt, xq.data(), w.cols);
    }
    for (int64_t r = 0; r < w.rows; ++r) {
      y[t * w.rows + r] = IsInt8Type(w.type) ? RefInt8Dot(w, r, xq.data()) : RefFloatDot(w, r, xt);
    }
  }
}

float DotRow(const MatrixView& w, int64_t row, const float* x) {
  CheckSupported(w);
  GB_CHECK(row >= 0 && row < w.rows, "DotRow: row ", row, " out of [0, ", w.rows, ")");
  if (IsVecDotType(w.type)) {
    MatrixView one_row = w;
    one_row.data = static_cast<const uint8_t*>(w.data) + row * RowBytes(Traits(w.type), w.cols);
    one_row.rows = 1;
    float y = 0.0f;
    MatMulVecDot(one_row, x, 1, &y, false);
    return y;
  }
  QuantizedActivations acts;
  if (IsInt8Type(w.type)) acts = QuantizeActivations(x, 1, w.cols);
  MatrixView one_row = w;  // the row alone, so the kernel writes y[0]
  one_row.data = static_cast<const uint8_t*>(w.data) + row * RowBytes(Traits(w.type), w.cols);
  one_row.rows = 1;
  float y = 0.0f;
  RunRows(one_row, x, IsInt8Type(w.type) ? &acts : nullptr, 1, &y, 1, 0, 1);
  return y;
}

}  // namespace gapbench::kernels
