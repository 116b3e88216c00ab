// Internal entry points of the SIMD matmul (matmul_simd.cpp, Highway with run-time dispatch).
// kernels/matmul.cpp drives them; tests and benchmarks may also pin the dispatch target. The
// public API is kernels/matmul.h.
#pragma once

#include <cstdint>
#include <functional>
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

// The panel layout of q8_0 / q4_0 weights, read by the panel kernels (AVX2, AVX3, AVX3_DL) and
// written once at load (SimdPackPanels) or per call for weights that were not packed. Panel p
// holds rows [16p, 16p + 16); per 32-column block b, at b * PanelBytesPerBlock(type):
//   - 32 bytes: the 16 rows' f16 scales (row r's bits at 2r);
//   - then G = 8 (q8_0) or 4 (q4_0) groups of 64 bytes; in group s, row r's 4 bytes at 4r are
//     bytes [4s, 4s + 4) of the row's block quants: q8_0 the int8 quants 4s..4s+3; q4_0 bytes
//     whose low nibbles are elements 4s..4s+3 and high nibbles elements 16+4s..16+4s+3.
// So one 32-byte load gives 4 quants of 8 rows and one 64-byte load 4 quants of 16 rows (one row
// per int32 lane), and the panel holds exactly the file's bytes: 4-bit weights stay 4-bit. Rows
// past the weight's end are zero (zero scales).
int64_t PanelBytesPerBlock(GgmlType type);

// Writes rows [0, nr) (nr <= 16) of w (rows of row_bytes, cols % 32 == 0) as one panel into out
// (cols / 32 * PanelBytesPerBlock(type) bytes).
void PackPanelRows(GgmlType type, const uint8_t* w, int64_t row_bytes, int64_t cols, int64_t nr,
                   uint8_t* out);

// The inverse for one row: row `row` of a weight packed by SimdPackPanels, in the GGUF block
// layout (cols / 32 blocks of 34 (q8_0) or 18 (q4_0) bytes) into out.
void UnpackPanelRow(GgmlType type, const uint8_t* packed, int64_t cols, int64_t row, uint8_t* out);

// The q8_0/q4_0 weight (rows x cols, rows of row_bytes) in the panel layout, panel after panel,
// so MatMul need not repack on every call; empty when this CPU's best target has no panel kernel
// (then MatMul ignores MatrixView::packed) or for other types. Results with and without the
// packed copy are bit-identical. `packed_rows(begin, end)`, if given, is called after each chunk
// of about 1 MiB of rows [begin, end) is packed (Model releases their file pages there, so the
// two copies never coexist whole).
std::vector<uint8_t> SimdPackPanels(
    GgmlType type, const uint8_t* w, int64_t rows, int64_t row_bytes, int64_t cols,
    const std::function<void(int64_t begin, int64_t end)>& packed_rows = nullptr);

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
