// Internal entry point of the SIMD matmul (matmul_simd.cpp, Highway with run-time dispatch).
// Only kernels/matmul.cpp uses it; the public API is kernels/matmul.h.
#pragma once

#include <cstdint>

#include "kernels/types.h"

namespace gapbench::kernels {

// Everything the row kernels need for one MatMul call. Exactly one activation form is set:
// `x` for f32/f16/bf16 weights, (`xd`, `xq`) for q8_0/q4_0 weights.
struct SimdMatMulArgs {
  GgmlType type = GgmlType::kF32;
  const uint8_t* w = nullptr;  // [rows, row_bytes]
  int64_t row_bytes = 0;
  int64_t cols = 0;
  int64_t n_tokens = 0;
  const float* x = nullptr;     // [n_tokens, cols] f32 activations
  const float* xd = nullptr;    // [n_tokens, cols / 32] Q8_0 activation scales (f16-rounded)
  const int16_t* xq = nullptr;  // [n_tokens, cols] Q8_0 activation quants widened to int16
  float* y = nullptr;           // [n_tokens, y_stride]; row r of token t at y[t * y_stride + r]
  int64_t y_stride = 0;
};

// Computes y for weight rows [row_begin, row_end) and all tokens, on the best SIMD target of
// this CPU. Tokens are processed two at a time per weight row, so each row read from memory
// is reused across the tile while it sits in L1.
void SimdMatMulRows(const SimdMatMulArgs& args, int64_t row_begin, int64_t row_end);

}  // namespace gapbench::kernels
