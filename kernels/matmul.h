// Matrix products of a weight matrix (any computable ggml type) with f32 activations.
// The layout is GGUF's: a weight of ne = {cols, rows} is `rows` contiguous rows of `cols`
// elements (HF's [out, in] = [rows, cols]).
//
// Numerics (shared by the fast path and the reference, so they agree to rounding order):
//   F32            : f32 x f32, f32 accumulation
//   F16, BF16      : weights widened to f32, f32 x f32
//   Q8_0, Q4_0     : activations quantised to Q8_0 per 32-block (as ggml's vec_dot_type),
//                    int32 dot per block, scaled by d_w * d_x and summed in f32
//   Q4_K, Q5_K,    : activations quantised to Q8_K per 256-block, DotQ4_KQ8_K / DotQ5_KQ8_K /
//   Q6_K             DotQ6_KQ8_K (quant_k.h): exact int32 per block, f64 across blocks
//   Q5_0, Q5_1,    : activations quantised to Q8_0 per 32-block (plus the exact quant sums: Q8_1
//   Q4_1             for the types with a min), quant_legacy.h dots: int32 per block, f64 across
#pragma once

#include <cstdint>
#include <span>

#include "kernels/types.h"

namespace gapbench::kernels {

struct MatrixView {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features (contiguous, multiple of the block size)
  // Optional: the same weight in the prefill kernel's panel layout (SimdPackPanels in
  // matmul_simd.h), owned by whoever made it; used when the running target has that kernel.
  const uint8_t* packed = nullptr;
};

// y[t, r] = sum_c W[r, c] * x[t, c] for t < n_tokens, r < rows.
// x: [n_tokens, cols] f32, y: [n_tokens, rows] f32. Parallel (ParallelFor) and SIMD.
void MatMul(const MatrixView& w, const float* x, int64_t n_tokens, float* y);

// Several products of one input: y_i = W_i x (all W_i with x's column count). Int8 weights
// (q8_0/q4_0) share one quantisation of x and one parallel pass over all their row panels; the
// results are bit-identical to MatMul called for each product. Likewise q5_0 with them, and the
// k-quants (q4_K, q5_K, q6_K, also mixed as in a Q5_K_M file) share one Q8_K quantisation.
struct MatMulProduct {
  MatrixView w;
  float* y = nullptr;  // [n_tokens, w.rows]
};
void MatMulSameInput(std::span<const MatMulProduct> products, const float* x, int64_t n_tokens);

// Plain scalar, single-threaded implementation with the same numerics; the tests compare MatMul
// with it.
void MatMulReference(const MatrixView& w, const float* x, int64_t n_tokens, float* y);

// One row of W dotted with one f32 vector (same numerics as MatMul); for small ad-hoc products.
float DotRow(const MatrixView& w, int64_t row, const float* x);

}  // namespace gapbench::kernels
