// Q4_K / Q5_K / Q8_K quantisers and the scalar Q4_K and Q5_K x Q8_K reference dots (the SIMD
// dots are in quant_k_simd.cpp). The quantisers follow ggml's reference quantisers
// (quantize_row_q4_K_ref / q5_K_ref with make_qkx2_quants, quantize_row_q8_K_ref) operation by
// operation and in the same f32 order, so the bytes equal ggml's: the build uses -std=c++20 (no FMA
// contraction) and the rounding helper reproduces ggml's nearest_int (the 1.5 * 2^23 trick: ties to
// even). Left out: the importance-weighted variant (make_qkx3_quants / make_qp_quants), which ggml
// uses only when an imatrix is given.
#include "kernels/quant_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "kernels/fp16.h"
#include "kernels/quant_round.h"

namespace gapbench::kernels {
namespace {

constexpr int kSubBlocks = kQK_K / kQ4_KSubBlock;  // 8
constexpr int kNMax = 15;                          // largest 4-bit quant

// One 32-value sub-block as scale * L + min with L in [0, nmax] and min <= 0, chosen by
// weighted least squares over a small grid of candidate inverse scales
// (nmax + rmin + rdelta * step) / (max - min), step = 0..nstep, starting from plain min/max.
// Returns the scale and stores -min in *neg_min; L receives the quants of the best candidate.
// Weighted squared error (ggml's use_mad = false). laux: scratch of n bytes.
float SearchScaleMin(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                     float* neg_min, uint8_t* laux, float rmin, float rdelta, int nstep) {
  float min = x[0];
  float max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;  // the min is subtracted, so it is never positive
  if (max == min) {
    std::fill(L, L + n, 0);
    *neg_min = -min;
    return 0.0f;
  }
  float iscale = static_cast<float>(nmax) / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = NearestInt(iscale * (x[i] - min));
    L[i] = static_cast<uint8_t>(std::max(0, std::min(nmax, l)));
    const float diff = scale * L[i] + min - x[i];
    best_error += weights[i] * (diff * diff);
  }
  for (int step = 0; step <= nstep; ++step) {
    iscale = (rmin + rdelta * static_cast<float>(step) + static_cast<float>(nmax)) / (max - min);
    // Weighted sums for the least-squares fit x ~ scale * l + min.
    float sum_l = 0;
    float sum_l2 = 0;
    float sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::max(0, std::min(nmax, NearestInt(iscale * (x[i] - min))));
      laux[i] = static_cast<uint8_t>(l);
      const float w = weights[i];
      const float lf = static_cast<float>(l);
      sum_l += w * lf;
      sum_l2 += w * lf * lf;
      sum_xl += w * lf * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0) {  // refit the scale alone with min = 0
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * laux[i] + this_min - x[i];
        cur_error += weights[i] * (diff * diff);
      }
      if (cur_error < best_error) {
        std::copy(laux, laux + n, L);
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *neg_min = -min;
  return scale;
}

// The part Q4_K and Q5_K share (quantize_row_q4_K_ref / q5_K_ref): per 32-value sub-block a
// (scale, min) search with quants in [0, nmax] on the grid (rmin, rdelta, nstep), 6-bit scales
// and mins relative to their maxima, f16 d / dmin, and the requantisation against the stored
// scales. Fills the packed scales, d and dmin, and L (quants in element order).
void QuantizeScaleMinBlock(const float* x, int nmax, float rmin, float rdelta, int nstep,
                           uint8_t scales_out[12], uint16_t* d_out, uint16_t* dmin_out,
                           uint8_t L[kQK_K]) {
  uint8_t laux[kQ4_KSubBlock];
  float weights[kQ4_KSubBlock];
  float scales[kSubBlocks];
  float mins[kSubBlocks];  // stored as -min >= 0
  float max_scale = 0;     // scales are positive since the min is subtracted
  float max_min = 0;
  for (int j = 0; j < kSubBlocks; ++j) {
    const float* xs = x + kQ4_KSubBlock * j;
    // Weights favour large values: rms of the sub-block plus |x|.
    float sum_x2 = 0;
    for (int l = 0; l < kQ4_KSubBlock; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / kQ4_KSubBlock);
    for (int l = 0; l < kQ4_KSubBlock; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = SearchScaleMin(kQ4_KSubBlock, nmax, xs, weights, L + kQ4_KSubBlock * j, &mins[j],
                               laux, rmin, rdelta, nstep);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }

  // Scales and mins to 6 bits relative to their block maxima (uint8 truncation as in ggml).
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  uint8_t sc6[kSubBlocks];
  uint8_t m6[kSubBlocks];
  for (int j = 0; j < kSubBlocks; ++j) {
    sc6[j] = std::min<uint8_t>(63, static_cast<uint8_t>(NearestInt(inv_scale * scales[j])));
    m6[j] = std::min<uint8_t>(63, static_cast<uint8_t>(NearestInt(inv_min * mins[j])));
  }
  PackScaleMinK4(sc6, m6, scales_out);
  *d_out = F32ToF16(max_scale / 63.0f);
  *dmin_out = F32ToF16(max_min / 63.0f);

  // Requantise against the scales as stored. A sub-block whose stored scale is 0 keeps the
  // quants of the search (ggml does the same; they decode to -dmin * m either way).
  const float d = F16ToF32(*d_out);
  const float dmin = F16ToF32(*dmin_out);
  for (int j = 0; j < kSubBlocks; ++j) {
    const float dj = d * sc6[j];
    if (dj == 0) continue;
    const float mj = dmin * m6[j];
    for (int l = 0; l < kQ4_KSubBlock; ++l) {
      const int q = NearestInt((x[kQ4_KSubBlock * j + l] + mj) / dj);
      L[kQ4_KSubBlock * j + l] = static_cast<uint8_t>(std::max(0, std::min(nmax, q)));
    }
  }
}

void QuantizeBlockQ4_K(const float* x, BlockQ4_K* y) {
  uint8_t L[kQK_K];  // 4-bit quants in element order
  QuantizeScaleMinBlock(x, kNMax, -1.0f, 0.1f, 20, y->scales, &y->d, &y->dmin, L);
  for (int chunk = 0; chunk < 4; ++chunk) {
    const uint8_t* lc = L + 64 * chunk;
    for (int l = 0; l < 32; ++l) {
      y->qs[32 * chunk + l] = static_cast<uint8_t>(lc[l] | (lc[l + 32] << 4));
    }
  }
}

void QuantizeBlockQ5_K(const float* x, BlockQ5_K* y) {
  uint8_t L[kQK_K];  // 5-bit quants in element order
  QuantizeScaleMinBlock(x, 31, -0.5f, 0.1f, 15, y->scales, &y->d, &y->dmin, L);
  std::memset(y->qh, 0, sizeof(y->qh));
  for (int chunk = 0; chunk < 4; ++chunk) {
    const uint8_t* lc = L + 64 * chunk;
    for (int l = 0; l < 32; ++l) {
      const int lo = lc[l];
      const int hi = lc[l + 32];
      y->qs[32 * chunk + l] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
      y->qh[l] = static_cast<uint8_t>(y->qh[l] | ((lo >> 4) << (2 * chunk)) |
                                      ((hi >> 4) << (2 * chunk + 1)));
    }
  }
}

}  // namespace

void QuantizeRowQ5_K(const float* x, BlockQ5_K* y, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "QuantizeRowQ5_K: n=", n, " is not a multiple of 256");
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    QuantizeBlockQ5_K(x + block_idx * kQK_K, y + block_idx);
  }
}

float DotQ5_KQ8_KReference(const BlockQ5_K* w, const BlockQ8_K* x, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "DotQ5_KQ8_K: n=", n, " is not a multiple of 256");
  double sum = 0;  // see quant_k.h: products of exact operands, no rounding
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ5_K& wb = w[block_idx];
    const BlockQ8_K& xb = x[block_idx];
    uint8_t sc[kSubBlocks];
    uint8_t m[kSubBlocks];
    UnpackScaleMinK4(wb.scales, sc, m);
    int32_t sum_q = 0;
    int32_t sum_m = 0;
    for (int j = 0; j < kSubBlocks; ++j) {
      const uint8_t* qw = wb.qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      const int8_t* qx = xb.qs + kQ4_KSubBlock * j;
      int32_t dot = 0;
      for (int l = 0; l < kQ4_KSubBlock; ++l) {
        const int q = ((qw[l] >> shift) & 15) | (((wb.qh[l] >> j) & 1) << 4);
        dot += q * qx[l];
      }
      sum_q += sc[j] * dot;
      sum_m += m[j] * (xb.bsums[2 * j] + xb.bsums[2 * j + 1]);
    }
    const float d = F16ToF32(wb.d) * xb.d;
    const float dmin = F16ToF32(wb.dmin) * xb.d;
    sum += static_cast<double>(d) * sum_q - static_cast<double>(dmin) * sum_m;
  }
  return static_cast<float>(sum);
}

void PackScaleMinK4(const uint8_t sc[8], const uint8_t m[8], uint8_t packed[12]) {
  for (int j = 0; j < 4; ++j) {
    packed[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    packed[j + 4] = static_cast<uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    packed[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
}

void UnpackScaleMinK4(const uint8_t packed[12], uint8_t sc[8], uint8_t m[8]) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = packed[j] & 63;
    m[j] = packed[j + 4] & 63;
    sc[j + 4] = static_cast<uint8_t>((packed[j + 8] & 15) | ((packed[j] >> 6) << 4));
    m[j + 4] = static_cast<uint8_t>((packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4));
  }
}

void QuantizeRowQ4_K(const float* x, BlockQ4_K* y, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "QuantizeRowQ4_K: n=", n, " is not a multiple of 256");
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    QuantizeBlockQ4_K(x + block_idx * kQK_K, y + block_idx);
  }
}

void QuantizeRowQ8_KReference(const float* x, BlockQ8_K* y, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "QuantizeRowQ8_KReference: n=", n, " is not a multiple of 256");
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const float* xb = x + block_idx * kQK_K;
    BlockQ8_K& b = y[block_idx];
    // Signed value of largest magnitude (first one on ties) maps to -127.
    float max = 0;
    float amax = 0;
    for (int64_t j = 0; j < kQK_K; ++j) {
      const float ax = std::fabs(xb[j]);
      if (ax > amax) {
        amax = ax;
        max = xb[j];
      }
    }
    if (amax == 0) {
      b.d = 0;
      std::memset(b.qs, 0, sizeof(b.qs));
      std::memset(b.bsums, 0, sizeof(b.bsums));  // ggml leaves them unset; they are 0 anyway
      continue;
    }
    const float iscale = -127.0f / max;
    for (int64_t j = 0; j < kQK_K; ++j) {
      b.qs[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * xb[j])));
    }
    for (int k = 0; k < kQK_K / 16; ++k) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b.qs[16 * k + l];
      b.bsums[k] = static_cast<int16_t>(sum);
    }
    b.d = 1 / iscale;
  }
}

void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "DequantizeRowQ8_K: n=", n, " is not a multiple of 256");
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    for (int64_t j = 0; j < kQK_K; ++j) {
      *y++ = x[block_idx].d * static_cast<float>(x[block_idx].qs[j]);
    }
  }
}

float DotQ4_KQ8_KReference(const BlockQ4_K* w, const BlockQ8_K* x, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "DotQ4_KQ8_K: n=", n, " is not a multiple of 256");
  double sum = 0;  // see DotQ4_KQ8_K in quant_k.h: products of exact operands, no rounding
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ4_K& wb = w[block_idx];
    const BlockQ8_K& xb = x[block_idx];
    uint8_t sc[kSubBlocks];
    uint8_t m[kSubBlocks];
    UnpackScaleMinK4(wb.scales, sc, m);
    int32_t sum_q = 0;  // sum_j sc_j * sum q_w q_x; |.| <= 63 * 15 * 127 * 256
    int32_t sum_m = 0;  // sum_j m_j * (sum of the sub-block's q_x)
    for (int j = 0; j < kSubBlocks; ++j) {
      const uint8_t* qw = wb.qs + 32 * (j / 2);
      const int shift = 4 * (j % 2);
      const int8_t* qx = xb.qs + kQ4_KSubBlock * j;
      int32_t dot = 0;
      for (int l = 0; l < kQ4_KSubBlock; ++l) dot += ((qw[l] >> shift) & 15) * qx[l];
      sum_q += sc[j] * dot;
      sum_m += m[j] * (xb.bsums[2 * j] + xb.bsums[2 * j + 1]);
    }
    const float d = F16ToF32(wb.d) * xb.d;
    const float dmin = F16ToF32(wb.dmin) * xb.d;
    sum += static_cast<double>(d) * sum_q - static_cast<double>(dmin) * sum_m;
  }
  return static_cast<float>(sum);
}

}  // namespace gapbench::kernels
