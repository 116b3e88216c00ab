// The k-quants (ggml's block_q4_K, block_q5_K, block_q6_K) and the Q8_K activation blocks they are
// multiplied with: quantisers that follow ggml's quantize_row_*_ref operation by operation, the
// Q8_K quantiser (quantize_row_q8_K_ref), and the k-quant x Q8_K dot products as scalar
// references plus Highway SIMD versions dispatched at run time (quant_k_simd.cpp). Nothing is
// dequantised to float in the dots: Q4_K's sub-block mins enter through the Q8_K per-16 sums
// (bsums); Q6_K's quants are signed (q - 32) and need none.
// Left out: importance-matrix quantisation (quantize_row_*_impl), Q2_K / Q3_K, matmul
// integration (matmul.cpp calls the dots per weight row and token).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gapbench::kernels {

constexpr int64_t kQK_K = 256;         // elements per k-quant super-block
constexpr int64_t kQ4_KSubBlock = 32;  // elements sharing one 6-bit (scale, min) pair

// 256 weights: y = d * sc_j * q - dmin * m_j for sub-block j = element / 32, q in [0, 15].
struct BlockQ4_K {
  uint16_t d;             // f16 scale of the 6-bit sub-block scales sc_j
  uint16_t dmin;          // f16 scale of the 6-bit sub-block mins m_j
  uint8_t scales[12];     // 8 (sc, m) pairs of 6 bits, packed as ggml's get_scale_min_k4 reads
  uint8_t qs[kQK_K / 2];  // chunk c (64 values) = bytes [32c, 32c + 32): low nibbles are elements
                          // 64c + l, high nibbles 64c + 32 + l
};
static_assert(sizeof(BlockQ4_K) == 144);

// 256 weights: y = d * sc_j * q - dmin * m_j as Q4_K, but q in [0, 31]: the low four bits as
// Q4_K's qs, the fifth bit of element 64c + l in bit 2c of qh[l], of 64c + 32 + l in bit 2c + 1.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];     // as BlockQ4_K
  uint8_t qh[kQK_K / 8];  // fifth bits
  uint8_t qs[kQK_K / 2];  // low nibbles, as BlockQ4_K
};
static_assert(sizeof(BlockQ5_K) == 176);

// 256 activations: y = d * q. bsums[k] = sum of qs[16k .. 16k + 15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};
static_assert(sizeof(BlockQ8_K) == 292);

// 256 weights in 16 groups of 16: y = d * scales[g] * (q - 32), q in [0, 63] (6 bits).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // low 4 bits; half h (128 values) = bytes [64h, 64h + 64)
  uint8_t qh[kQK_K / 4];      // high 2 bits; half h = bytes [32h, 32h + 32)
  int8_t scales[kQK_K / 16];  // signed 8-bit scale per group of 16 values
  uint16_t d;                 // f16 super-block scale
};
static_assert(sizeof(BlockQ6_K) == 210);
// Element 128h + 32k + l (k = 0..3, l = 0..31) of a Q6_K block: low nibble of ql[64h + l] (k = 0),
// of ql[64h + 32 + l] (k = 1), high nibble of ql[64h + l] (k = 2), of ql[64h + 32 + l] (k = 3);
// high bits (qh[32h + l] >> 2k) & 3; scale scales[8h + 2k + l / 16].

// Quantisers; n must be a multiple of 256 (GB_CHECK). Q4_K bytes equal ggml's
// quantize_row_q4_K_ref (the no-imatrix path of llama-quantize) evaluated in plain f32 without
// FMA contraction; a ggml build that contracts a * b + c into FMAs can differ in rare ties.
void QuantizeRowQ4_K(const float* x, BlockQ4_K* y, int64_t n);
// Q8_K (the k-quant products' activations) as ggml's quantize_row_q8_K: QuantizeRowQ8_K in SIMD
// (quant_k_simd.cpp, every target), byte-identical to the scalar QuantizeRowQ8_KReference.
void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t n);
void QuantizeRowQ8_KReference(const float* x, BlockQ8_K* y, int64_t n);
// Q5_K bytes equal ggml's quantize_row_q5_K_ref (Q4_K's search with 31 levels and its own grid).
void QuantizeRowQ5_K(const float* x, BlockQ5_K* y, int64_t n);
// Q6_K bytes equal ggml's quantize_row_q6_K_ref (make_qx_quants with rmse_type 1 per group of 16,
// no imatrix), under the same f32 evaluation rules.
void QuantizeRowQ6_K(const float* x, BlockQ6_K* y, int64_t n);
// y = d * q, n values (a multiple of 256). Q4_K rows decode through DequantizeRow (quant.h).
void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n);

// The 6-bit (scale, min) pairs of a Q4_K block: sc[j], m[j] in [0, 63] for sub-blocks j = 0..7.
// Bytes 0..3 hold sc[0..3] in bits 0..5, bytes 4..7 hold m[0..3]; bytes 8..11 hold the low four
// bits of sc[4..7] (bits 0..3) and m[4..7] (bits 4..7); the top two bits of sc[4..7] and
// m[4..7] sit in bits 6..7 of bytes 0..3 and 4..7.
void PackScaleMinK4(const uint8_t sc[8], const uint8_t m[8], uint8_t packed[12]);
void UnpackScaleMinK4(const uint8_t packed[12], uint8_t sc[8], uint8_t m[8]);

// sum_i w_i * x_i over n elements (a multiple of 256) with exact int32 sums per block:
// sum_b [ d_w d_x sum_j sc_j sum_{i in j} q_w q_x - dmin_w d_x sum_j m_j (bsum_2j + bsum_2j+1) ].
float DotQ4_KQ8_KReference(const BlockQ4_K* w, const BlockQ8_K* x, int64_t n);
// Same value on the best Highway target of this CPU, bit for bit: the integer sums are exact,
// the block scales d_w * d_x are rounded once in f32 (as ggml), and the rest runs in f64, where
// the products (24-bit scale x 25-bit integer) are exact, so FMA contraction cannot change the
// result on any target. The f64 accumulator also keeps long rows more accurate than ggml's f32.
float DotQ4_KQ8_K(const BlockQ4_K* w, const BlockQ8_K* x, int64_t n);

// sum_i w_i * x_i for Q6_K weights, exact int32 sums per block:
// sum_b d_w d_x sum_g sc_g sum_{i in g} (q_w - 32) q_x, |block sum| <= 128 * 32 * 127 * 256 < 2^31.
// The block scale d_w * d_x is rounded once in f32 (as ggml), the rest runs in f64 where the
// products are exact; the SIMD version returns the reference's bits on every target.
float DotQ6_KQ8_KReference(const BlockQ6_K* w, const BlockQ8_K* x, int64_t n);
// Q5_K as Q4_K (mins through the bsums), |block sums| <= 63 * 31 * 127 * 256 < 2^31; the same
// rounding (block scales once in f32, f64 sum) and the same bit identity of the SIMD version.
float DotQ5_KQ8_KReference(const BlockQ5_K* w, const BlockQ8_K* x, int64_t n);
float DotQ5_KQ8_K(const BlockQ5_K* w, const BlockQ8_K* x, int64_t n);
float DotQ6_KQ8_K(const BlockQ6_K* w, const BlockQ8_K* x, int64_t n);

// Highway targets DotQ4_KQ8_K was compiled for and this CPU supports, best first, and a
// target's name. QuantKForceTarget restricts dispatch (process-wide, every Highway module) to
// one target, 0 restores the CPU's full set: for tests and benchmarks only, not thread-safe.
std::vector<int64_t> QuantKTargets();
std::string QuantKTargetName(int64_t target);
void QuantKForceTarget(int64_t target);

}  // namespace gapbench::kernels
