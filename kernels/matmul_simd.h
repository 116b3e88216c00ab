// Internal entry points of the SIMD matmul (matmul_simd.cpp, Highway with run-time dispatch).
// kernels/matmul.cpp drives them; tests and benchmarks may also pin the dispatch target. The
// public API is kernels/matmul.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/quant_k.h"
#include "kernels/types.h"

namespace gapbench::kernels {

// Everything the tile kernels need for one MatMul call. Exactly one activation form is set:
// `x` for f32/f16/bf16 weights, (`xd`, `xq`, `xs`) for q8_0/q4_0/q5_0/q5_1/q4_1 weights (q5_1 and
// q4_1 read xs as ggml's Q8_1 block sum, exact here), (`xk`, `xk_sub`)
// for q4_K and q5_K, `xk` for q6_K (its kernel reads the blocks' bsums).
struct SimdMatMulArgs {
  GgmlType type = GgmlType::kF32;
  const uint8_t* w = nullptr;  // [rows, row_bytes]
  int64_t row_bytes = 0;
  int64_t cols = 0;
  int64_t n_tokens = 0;
  const float* x = nullptr;         // [n_tokens, cols] f32 activations
  const float* xd = nullptr;        // [n_tokens, cols / 32] Q8_0 activation scales (f16-rounded)
  const int8_t* xq = nullptr;       // [n_tokens, cols] Q8_0 activation quants, in [-127, 127]
  const int32_t* xs = nullptr;      // [n_tokens, cols / 32] sum of each block's quants
  const BlockQ8_K* xk = nullptr;    // [n_tokens, cols / 256] Q8_K activations (k-quants)
  const int16_t* xk_sub = nullptr;  // [n_tokens, cols / 256, 8] sum of each 32-value
                                    // sub-block's quants (bsums[2j] + bsums[2j + 1])
  float* y = nullptr;               // [n_tokens, y_stride]; row r of token t at y[t * y_stride + r]
  int64_t y_stride = 0;
  const uint8_t* packed = nullptr;  // the weight as SimdPackPanels laid it out, or null
};

// The panel layout of q8_0 / q4_0 / q4_K / q5_K / q5_0 / q6_K / q5_1 / q4_1 weights, read by the
// panel kernels (AVX2, AVX3, AVX3_DL; q4_K, q5_K, q5_0, q6_K, q5_1, q4_1: AVX2 code, also run on
// AVX3 and AVX3_DL) and
// written once at load (SimdPackPanels) or per call for weights that were not packed. Panel p holds
// rows [16p, 16p + 16); per block b of the type (32 columns, k-quants 256), at b *
// PanelBytesPerBlock:
//   q8_0 / q4_0:
//   - 32 bytes: the 16 rows' f16 scales (row r's bits at 2r);
//   - then G = 8 (q8_0) or 4 (q4_0) groups of 64 bytes; in group s, row r's 4 bytes at 4r are
//     bytes [4s, 4s + 4) of the row's block quants: q8_0 the int8 quants 4s..4s+3; q4_0 bytes
//     whose low nibbles are elements 4s..4s+3 and high nibbles elements 16+4s..16+4s+3.
//   q4_K (2368 bytes = 16 file blocks + 64):
//   - [0, 32) the 16 rows' f16 d, [32, 64) their f16 dmin (row r at 2r);
//   - [64, 192) the 6-bit sub-block scales unpacked to bytes (UnpackScaleMinK4): sc_j of row
//     r at 64 + 16j + r;
//   - [192, 320) the sub-block mins as bytes, in pairs: m_2p and m_2p+1 of row r at
//     192 + 32p + 2r and + 1;
//   - [320, 2368) the nibbles as in the file: chunk c (64 values) and 4-byte group s at
//     320 + 512c + 64s, row r's 4 bytes at 4r = the row's qs[32c + 4s, 32c + 4s + 4) (low
//     nibbles elements 64c + 4s.., high nibbles 64c + 32 + 4s..).
//   q5_K (2880 bytes = 16 file blocks + 64; q4_K's 4 extra bytes per row on the file's 176):
//   q4_K's layout and offsets for d, dmin, scales, mins and the low nibbles, then
//   - [2368, 2880) the fifth bits as in the file, still bits: 4-byte group s at 2368 + 64s, row
//     r's 4 bytes at 4r = the row's qh[4s, 4s + 4) (bit j of qh[l] is element 32j + l's fifth
//     bit, so group s serves nibble group s of every chunk c: bit 2c the low nibbles', bit
//     2c + 1 the high nibbles').
//   q5_0 (352 bytes = 16 file blocks: exactly the file's bytes):
//   - [0, 32) the 16 rows' f16 d;
//   - [32, 96) the fifth bits, still 32 per row, permuted: row r's byte i at 32 + 4r + i holds
//     in bit s (s = 0..3) element 4s + i's fifth bit and in bit 4 + s element 16 + 4s + i's;
//   - [96, 352) the nibbles as q4_0's 4 groups (group s at 96 + 64s, row r's 4 bytes at 4r).
//   q5_1 (384 bytes = 16 file blocks: exactly the file's bytes): q5_0's layout with the mins
//   inserted after the scales:
//   - [0, 32) the 16 rows' f16 d, [32, 64) their f16 m (row r at 2r);
//   - [64, 128) the fifth bits permuted as q5_0's (row r's byte i at 64 + 4r + i);
//   - [128, 384) the nibbles as q4_0's 4 groups (group s at 128 + 64s, row r's 4 bytes at 4r).
//   q4_1 (320 bytes = 16 file blocks exactly):
//   - [0, 32) the 16 rows' f16 d, [32, 64) their f16 m;
//   - [64, 320) the nibbles as q4_0's 4 groups (group s at 64 + 64s, row r's 4 bytes at 4r).
//   q6_K (3360 bytes = 16 file blocks exactly: no overhead), in the order the kernel reads it
//   (the file's bytes reordered so that decode streams each block front to back, which the
//   hardware prefetchers follow; the earlier layout by kind of byte, scales / low nibbles /
//   high bits, made decode jump between three regions and ran at 0.6 of the bandwidth bound):
//   - [0, 32) the 16 rows' f16 d (row r at 2r);
//   - then 4 segments of 832 bytes, segment (h, G) at 32 + 832 (2h + G) for half h (elements
//     128h..128h + 127) of the rows of 8-row group G (rows 8G..8G + 7; r' = r - 8G):
//     - [0, 64) the int8 group scales of quarter k = 0..3 (elements 128h + 32k..+31) in pairs:
//       sc_{8h+2k} and sc_{8h+2k+1} of row r' at 16k + 2r' and + 1;
//     - [64, 832) the quants by 4-byte group s = 0..7 of the quarters (elements 32k + 4s..+3
//       of each quarter k): 96 bytes at 64 + 96s hold, for the 8 rows (row r' at 4r'), the
//       file's ql group 16h + s (low nibbles: quarter 0, high: quarter 2), ql group 16h + 8 + s
//       (quarters 1 and 3) and qh group 8h + s (bits 2k, 2k + 1: quarter k's top two bits).
//     Q6KPanelScale / Q6KPanelBits below give these offsets.
// So one 32-byte load gives 4 bytes of 8 rows and one 64-byte load 4 bytes of 16 rows (one row
// per int32 lane), and the panel holds the file's bytes: 4-bit weights stay 4-bit (q4_K: plus
// 4 bytes per row and block for the unpacked scales, 2.8%), 6-bit stay 6-bit. Rows past the
// weight's end are zero (zero scales).
int64_t PanelBytesPerBlock(GgmlType type);
// Whether a type has a panel layout (q8_0, q4_0, q4_K, q5_K, q5_0, q6_K, q5_1, q4_1).
bool IsPanelType(GgmlType type);
// The q4_K panel block's size and the offsets of its scales, mins and nibbles (above).
inline constexpr int64_t kQ4_KPanelBlock = 2368, kQ4_KPanelScales = 64, kQ4_KPanelMins = 192,
                         kQ4_KPanelQuants = 320;
// The q6_K panel block's size, and the offsets (above) of segment (h, group) in it, of row
// r's (< 16) scale sc_{8h+2k+odd} and of its 4 bytes of kind w (0: ql group 16h + s, 1: ql group
// 16h + 8 + s, 2: qh group 8h + s) for 4-byte group s.
inline constexpr int64_t kQ6_KPanelBlock = 3360, kQ6_KPanelSegmentBytes = 832;
constexpr int64_t Q6KPanelSegment(int64_t h, int64_t group) {
  return 32 + kQ6_KPanelSegmentBytes * (2 * h + group);
}
constexpr int64_t Q6KPanelScale(int64_t h, int64_t k, int64_t r, int64_t odd) {
  return Q6KPanelSegment(h, r / 8) + 16 * k + 2 * (r % 8) + odd;
}
constexpr int64_t Q6KPanelBits(int64_t h, int64_t s, int64_t w, int64_t r) {
  return Q6KPanelSegment(h, r / 8) + 64 + 96 * s + 32 * w + 4 * (r % 8);
}
// d, 4 segments of 64 bytes of scales and 8 x 96 of quants: every byte of the 16 file blocks.
static_assert(Q6KPanelSegment(2, 0) == kQ6_KPanelBlock && 64 + 8 * 96 == kQ6_KPanelSegmentBytes);
// The q5_K panel block: q4_K's offsets for everything but the fifth bits, which follow.
inline constexpr int64_t kQ5_KPanelBlock = 2880, kQ5_KPanelHigh = 2368;
// The q5_0 panel block and the offsets of its fifth bits and nibbles.
inline constexpr int64_t kQ5_0PanelBlock = 352, kQ5_0PanelHigh = 32, kQ5_0PanelQuants = 96;
// The q5_1 and q4_1 panel blocks and the offsets of their mins, fifth bits and nibbles.
inline constexpr int64_t kQ5_1PanelBlock = 384, kQ5_1PanelMin = 32, kQ5_1PanelHigh = 64,
                         kQ5_1PanelQuants = 128;
inline constexpr int64_t kQ4_1PanelBlock = 320, kQ4_1PanelMin = 32, kQ4_1PanelQuants = 64;

// Writes rows [0, nr) (nr <= 16) of w (rows of row_bytes, cols a multiple of the type's block)
// as one panel into out (cols / block * PanelBytesPerBlock(type) bytes).
void PackPanelRows(GgmlType type, const uint8_t* w, int64_t row_bytes, int64_t cols, int64_t nr,
                   uint8_t* out);

// The inverse for one row: row `row` of a weight packed by SimdPackPanels, in the GGUF block
// layout (the file's blocks: 34 (q8_0), 18 (q4_0), 144 (q4_K), 176 (q5_K), 22 (q5_0), 210 (q6_K),
// 24 (q5_1) or 20 (q4_1) bytes each) into out.
void UnpackPanelRow(GgmlType type, const uint8_t* packed, int64_t cols, int64_t row, uint8_t* out);

// The q8_0/q4_0/q4_K/q5_K/q5_0/q6_K/q5_1/q4_1 weight (rows x cols, rows of row_bytes) in the panel
// layout, panel after panel, so MatMul need not repack on every call; empty when this CPU's best
// target has no panel kernel (then MatMul ignores MatrixView::packed) or for other types. Results
// with and without the packed copy are bit-identical. `packed_rows(begin, end)`, if given, is
// called after each chunk of about 1 MiB of rows [begin, end) is packed (Model releases their file
// pages there, so the two copies never coexist whole).
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

// The scalar reference of the q4_K panel kernel: y[t, r] for rows [0, rows) of a weight packed
// by SimdPackPanels (or PackPanelRows panel after panel) against Q8_K activations, reading only
// the panel bytes, with DotQ4_KQ8_KReference's arithmetic (exact int32 sums per block, d_w * d_x
// and dmin_w * d_x rounded once in f32, the rest in f64): so equal to MatMulReference on the
// file's rows bit for bit. The tests check the packing with it, and the SIMD kernel against it.
void Q4_KPanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const BlockQ8_K* x,
                              const int16_t* x_sub, int64_t n_tokens, float* y);

// The same for q5_K weights (q5_K panels, DotQ5_KQ8_KReference's arithmetic: q = nibble | fifth
// bit << 4); SimdPackPanels, PackPanelRows and UnpackPanelRow take q5_K as q4_K. The kernels
// read (xk, xk_sub) for q5_K as for q4_K.
void Q5_KPanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const BlockQ8_K* x,
                              const int16_t* x_sub, int64_t n_tokens, float* y);

// The scalar reference of the q5_0 panel kernel against Q8_0 activations (xd: f16-rounded
// scales, xq: quants, as SimdMatMulArgs), with DotQ5_0Q8_0Reference's arithmetic (exact int32
// block sums of (q - 16) * x, d_w * d_x in f32, the sum in f64): MatMulReference's bits.
void Q5_0PanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const float* xd,
                              const int8_t* xq, int64_t n_tokens, float* y);

// The scalar references of the q5_1 and q4_1 panel kernels against Q8_1-style activations (xd,
// xq, and xs: the exact block sums of the quants), with DotQ5_1Q8_1Reference's /
// DotQ4_1Q8_1Reference's arithmetic (exact int32 block sums of q * x, d_w * d_x and m_w * d_x in
// f32, acc + (dd * sumi + md * xs) in f64), reading only the panel bytes: MatMulReference's bits.
void Q5_1PanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const float* xd,
                              const int8_t* xq, const int32_t* xs, int64_t n_tokens, float* y);
void Q4_1PanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const float* xd,
                              const int8_t* xq, const int32_t* xs, int64_t n_tokens, float* y);

// The scalar reference of the q6_K panel kernel, as Q4_KPanelMatMulReference with
// DotQ6_KQ8_KReference's arithmetic (exact int32 sum_g sc_g sum (q - 32) x per block, d_w * d_x
// rounded once in f32, the rest in f64), reading only the panel bytes.
// NOLINTNEXTLINE(readability-identifier-naming): ggml's type name, as Q4_K's
void Q6_KPanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const BlockQ8_K* x,
                              int64_t n_tokens, float* y);

// The per-sub-block sums of Q8_K activations (SimdMatMulArgs::xk_sub): for n_blocks blocks,
// out[8b + j] = x[b].bsums[2j] + x[b].bsums[2j + 1] (|.| <= 32 * 128, fits int16).
void Q8_KSubBlockSums(const BlockQ8_K* x, int64_t n_blocks, int16_t* out);

// Highway target bits that the matmul kernels were compiled for and this CPU supports, best
// first, and a target's name ("AVX3_DL", "AVX2", ...).
std::vector<int64_t> SimdMatMulTargets();
std::string SimdTargetName(int64_t target);
// Restricts run-time dispatch (process-wide, every Highway module) to `target`; 0 restores
// the CPU's full set. For tests and benchmarks that compare targets; not thread-safe.
void SimdForceTarget(int64_t target);

}  // namespace gapbench::kernels
