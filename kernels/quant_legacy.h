// The 32-value quants with a fifth bit or a min (ggml's block_q5_0, block_q5_1, block_q4_1):
// quantisers byte-identical to ggml's quantize_row_*_ref and gguf-py's gguf.quants, and their dot
// products with activations quantised to Q8_0 (Q5_0) or Q8_1 (Q5_1, Q4_1), as ggml's
// vec_dot_type, as scalar references plus Highway SIMD versions dispatched at run time
// (quant_legacy_simd.cpp). Nothing is dequantised in the dots.
// Q5_0 is llama.cpp's per-tensor fallback for Q4_K (rows not a multiple of 256), Q5_1 the one for
// Q5_K. Left out: Q8_1 as a stored type, importance-matrix quantisation (quantize_q5_0 with
// quant_weights).
#pragma once

#include <cstdint>

namespace gapbench::kernels {

constexpr int64_t kQK5 = 32;  // elements per Q5_0 / Q5_1 / Q4_1 block

// y = d * (q - 16), q in [0, 31]: low nibbles as Q4_0 (qs[j] holds elements j and j + 16), bit i
// of qh (little-endian u32) is the fifth bit of element i.
struct BlockQ5_0 {
  uint16_t d;            // f16 scale
  uint8_t qh[4];         // fifth bits
  uint8_t qs[kQK5 / 2];  // low nibbles
};
static_assert(sizeof(BlockQ5_0) == 22);

// y = d * q + m, q in [0, 31]; nibbles and fifth bits as Q5_0.
struct BlockQ5_1 {
  uint16_t d;  // f16 scale
  uint16_t m;  // f16 min
  uint8_t qh[4];
  uint8_t qs[kQK5 / 2];
};
static_assert(sizeof(BlockQ5_1) == 24);

// y = d * q + m, q in [0, 15]; qs[j] holds elements j (low nibble) and j + 16 (high nibble).
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK5 / 2];
};
static_assert(sizeof(BlockQ4_1) == 20);

// Quantisers and dequantisers; n must be a multiple of 32 (GB_CHECK). The bytes follow ggml's
// reference quantisers: Q5_0 d = max / -16 on the signed value of largest magnitude,
// q = min(31, (int8)(x / d + 16.5)); Q5_1 / Q4_1 d = (max - min) / 31 (15), m = min,
// q = trunc((x - min) / d + 0.5) (Q4_1 clamped to 15); 1/d multiplied, not divided.
void QuantizeRowQ5_0(const float* x, BlockQ5_0* y, int64_t n);
void QuantizeRowQ5_1(const float* x, BlockQ5_1* y, int64_t n);
void QuantizeRowQ4_1(const float* x, BlockQ4_1* y, int64_t n);
void DequantizeRowQ5_0(const BlockQ5_0* x, float* y, int64_t n);
void DequantizeRowQ5_1(const BlockQ5_1* x, float* y, int64_t n);
void DequantizeRowQ4_1(const BlockQ4_1* x, float* y, int64_t n);

// One row of activations quantised to Q8_0 per 32 values (QuantizeRowQ8_0's values), split for
// SIMD loads: d[b] the f16-rounded scale as f32, q the int8 quants, s[b] the sum of block b's
// quants. With s it is ggml's Q8_1 as well, except that ggml stores s as f16(d * sum) and this
// keeps the exact integer sum (one rounding fewer).
struct Q8Row {
  const float* d = nullptr;
  const int8_t* q = nullptr;
  const int32_t* s = nullptr;
};

// Dots over n elements (a multiple of 32) with exact int32 sums per block; per block
//   Q5_0: d_w d_x sum (q_w - 16) q_x,    Q5_1 / Q4_1: d_w d_x sum q_w q_x + m_w d_x s_x,
// the scale products d_w * d_x and m_w * d_x rounded once in f32 (as ggml), the rest in f64,
// where the products are exact. The SIMD versions return the reference's bits on every target.
float DotQ5_0Q8_0Reference(const BlockQ5_0* w, const Q8Row& x, int64_t n);
float DotQ5_1Q8_1Reference(const BlockQ5_1* w, const Q8Row& x, int64_t n);
float DotQ4_1Q8_1Reference(const BlockQ4_1* w, const Q8Row& x, int64_t n);
float DotQ5_0Q8_0(const BlockQ5_0* w, const Q8Row& x, int64_t n);
float DotQ5_1Q8_1(const BlockQ5_1* w, const Q8Row& x, int64_t n);
float DotQ4_1Q8_1(const BlockQ4_1* w, const Q8Row& x, int64_t n);

}  // namespace gapbench::kernels
