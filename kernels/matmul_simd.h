// Internal entry points of the SIMD matmul (matmul_simd.cpp, Highway with run-time dispatch).
// kernels/matmul.cpp drives them; tests and benchmarks may also pin the dispatch target. The
// public API is kernels/matmul.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/types.h"

namespace gapbench::kernels {

// Everything the tile kernels need for one MatMul call. Exactly one activation form is set:
// `x` for f32/f16/bf16 weights, (`xd`, `xq`) for q8_0/q4_0 weights.
struct SimdMatMulArgs {
  GgmlType type = GgmlType::kF32;
  const uint8_t* w = nullptr;  // [rows, row_bytes]
  int64_t row_bytes = 0;
  int64_t cols = 0;
  int64_t n_tokens = 0;
  const float* x = nullptr;     // [n_tokens, cols] f32 activations
  const float* xd = nullptr;    // [n_tokens, cols / 32] Q8_0 activation scales (f16-rounded)
  const int8_t* xq = nullptr;   // [n_tokens, cols] Q8_0 activation quants, in [-127, 127]
  const int32_t* xs = nullptr;  // [n_tokens, cols / 32] sum of each block's quants
  float* y = nullptr;           // [n_tokens, y_stride]; row r of token t at y[t * y_stride + r]
  int64_t y_stride = 0;
  const uint8_t* packed = nullptr;  // the weight as SimdPackPanels laid it out, or null
};

// Bytes of one 32-column block of a 16-row panel in the packed layout (16 f32 scales, then the
// 16 rows' 32 quants as 8 vectors of 16 x 4 bytes).
constexpr int64_t kPanelBytesPerBlock = 64 + 8 * 64;

// The q8_0/q4_0 weight (rows x cols, rows of row_bytes) transposed into the prefill kernel's
// 16-row panels once, so MatMul need not transpose a panel on every call; empty when this CPU's
// best target has no panel kernel (then MatMul ignores MatrixView::packed). Results with and
// without the packed copy are bit-identical.
std::vector<uint8_t> SimdPackPanels(GgmlType type, const uint8_t* w, int64_t rows,
                                    int64_t row_bytes, int64_t cols);

// Weight rows per panel: a task's rows are processed in panels of this many rows, each panel
// against all tokens, so the panel stays in L1 while the activations stream from L2. MatMul
// splits work at panel boundaries.
constexpr int64_t kSimdRowPanel = 16;

// Computes y for weight rows [row_begin, row_end) and all tokens, on the best SIMD target of
// this CPU, in register tiles of several rows x several tokens. Every output element is
// computed by the same sequence of operations whatever the tile, the row range or n_tokens, so
// results do not depend on the thread split or on the batch a token is in.
void SimdMatMulRows(const SimdMatMulArgs& args, int64_t row_begin, int64_t row_end);

// Quantises n_tokens rows of cols f32 (cols % 32 == 0) to Q8_0 exactly as QuantizeRowQ8_0
// (same scale, same round-half-away-from-zero quants), split into xd (f16-rounded scales as
// f32), xq (quants) and xs (per-block sums of the quants), each [n_tokens, ...] as in
// SimdMatMulArgs. SIMD on the best target; single-threaded.
void SimdQuantizeQ8_0Rows(const float* x, int64_t n_tokens, int64_t cols, float* xd, int8_t* xq,
                          int32_t* xs);

// Highway target bits that the matmul kernels were compiled for and this CPU supports, best
// first, and a target's name ("AVX3_DL", "AVX2", ...).
std::vector<int64_t> SimdMatMulTargets();
std::string SimdTargetName(int64_t target);
// Restricts run-time dispatch (process-wide, every Highway module) to `target`; 0 restores
// the CPU's full set. For tests and benchmarks that compare targets; not thread-safe.
void SimdForceTarget(int64_t target);

}  // namespace gapbench::kernels
