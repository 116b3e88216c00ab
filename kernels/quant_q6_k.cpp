// Q6_K quantiser and the scalar Q6_K x Q8_K reference dot (the SIMD dot is in quant_k_simd.cpp).
// The quantiser follows ggml's quantize_row_q6_K_ref and make_qx_quants (rmse_type 1: weights
// x^2, a grid of 19 inverse scales around -32 / max) operation by operation and in the same f32
// order, so the bytes equal ggml's: the build uses -std=c++20 (no FMA contraction), rounding is
// ggml's nearest_int (quant_round.h), and int operands convert to float where C converts them.
// Left out: the importance-weighted variant (quantize_row_q6_K_impl with an imatrix).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "kernels/fp16.h"
#include "kernels/quant_k.h"
#include "kernels/quant_round.h"

namespace gapbench::kernels {
namespace {

constexpr int kGroup = 16;               // values per 8-bit scale
constexpr int kGroups = kQK_K / kGroup;  // 16
constexpr int kNMax = 32;                // quants l in [-32, 31], stored as l + 32
constexpr float kGroupMaxEps = 1e-15f;   // ggml's GROUP_MAX_EPS: below it a group is zero

inline int ClampQ(int l) { return std::max(-kNMax, std::min(kNMax - 1, l)); }

// ggml's make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL): L[i] = l_i + nmax with
// x ~ scale * l, scale chosen by least squares weighted by x^2 over inverse scales
// -(nmax + 0.1 is) / max, is = -9..9 (is = 0 is the start); max is the signed value of largest
// magnitude (first one on ties). Returns the scale (0 for an all-zero group).
float MakeQxQuants(int n, const float* x, int8_t* L) {
  float max = 0;
  float amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::fill(L, L + n, 0);
    return 0.0f;
  }
  float iscale = static_cast<float>(-kNMax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = ClampQ(NearestInt(iscale * x[i]));
    L[i] = static_cast<int8_t>(l + kNMax);
    const float w = x[i] * x[i];
    const auto lf = static_cast<float>(l);
    sumlx += w * x[i] * lf;
    suml2 += w * lf * lf;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(static_cast<float>(kNMax) + 0.1f * static_cast<float>(is)) / max;
    sumlx = 0;
    suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const auto lf = static_cast<float>(ClampQ(NearestInt(iscale * x[i])));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * lf;
      suml2 += w * lf * lf;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        L[i] = static_cast<int8_t>(kNMax + ClampQ(NearestInt(iscale * x[i])));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

void QuantizeBlockQ6_K(const float* x, BlockQ6_K* y) {
  int8_t L[kQK_K];  // quants + 32, element order
  float scales[kGroups];
  float max_scale = 0;  // signed scale of largest magnitude
  float max_abs_scale = 0;
  for (int g = 0; g < kGroups; ++g) {
    scales[g] = MakeQxQuants(kGroup, x + kGroup * g, L + kGroup * g);
    const float abs_scale = std::fabs(scales[g]);
    if (abs_scale > max_abs_scale) {
      max_abs_scale = abs_scale;
      max_scale = scales[g];
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(y, 0, sizeof(*y));
    y->d = F32ToF16(0.0f);
    return;
  }
  // Group scales to signed 8 bits relative to the largest (which maps to -128).
  const float iscale = -128.0f / max_scale;
  y->d = F32ToF16(1 / iscale);
  for (int g = 0; g < kGroups; ++g) {
    y->scales[g] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[g])));
  }
  // Requantise against the scales as stored; a group whose stored scale is 0 keeps the quants
  // of the search (as ggml; they decode to 0 either way).
  const float d = F16ToF32(y->d);
  for (int g = 0; g < kGroups; ++g) {
    const float dg = d * static_cast<float>(y->scales[g]);
    if (dg == 0) continue;
    for (int i = 0; i < kGroup; ++i) {
      L[kGroup * g + i] = static_cast<int8_t>(ClampQ(NearestInt(x[kGroup * g + i] / dg)) + kNMax);
    }
  }
  for (int half = 0; half < 2; ++half) {
    const int8_t* lh = L + 128 * half;
    uint8_t* ql = y->ql + 64 * half;
    uint8_t* qh = y->qh + 32 * half;
    for (int l = 0; l < 32; ++l) {
      const auto q1 = static_cast<uint8_t>(lh[l]);
      const auto q2 = static_cast<uint8_t>(lh[l + 32]);
      const auto q3 = static_cast<uint8_t>(lh[l + 64]);
      const auto q4 = static_cast<uint8_t>(lh[l + 96]);
      ql[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      ql[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
      qh[l] =
          static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
}

}  // namespace

void QuantizeRowQ6_K(const float* x, BlockQ6_K* y, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "QuantizeRowQ6_K: n=", n, " is not a multiple of 256");
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    QuantizeBlockQ6_K(x + block_idx * kQK_K, y + block_idx);
  }
}

float DotQ6_KQ8_KReference(const BlockQ6_K* w, const BlockQ8_K* x, int64_t n) {
  GB_CHECK(n % kQK_K == 0, "DotQ6_KQ8_K: n=", n, " is not a multiple of 256");
  double sum = 0;  // see quant_k.h: products of exact operands, no rounding
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ6_K& wb = w[block_idx];
    const BlockQ8_K& xb = x[block_idx];
    int32_t sum_q = 0;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = wb.ql + 64 * half;
      const uint8_t* qh = wb.qh + 32 * half;
      for (int k = 0; k < 4; ++k) {
        const uint8_t* qlk = ql + 32 * (k % 2);
        const int low_shift = 4 * (k / 2);
        for (int sub = 0; sub < 2; ++sub) {  // the two 16-value groups of this quarter
          int32_t dot = 0;
          for (int l = 16 * sub; l < 16 * sub + 16; ++l) {
            const int q = ((qlk[l] >> low_shift) & 0xF) | (((qh[l] >> (2 * k)) & 3) << 4);
            dot += (q - 32) * xb.qs[128 * half + 32 * k + l];
          }
          sum_q += wb.scales[8 * half + 2 * k + sub] * dot;
        }
      }
    }
    const float d = F16ToF32(wb.d) * xb.d;
    sum += static_cast<double>(d) * sum_q;
  }
  return static_cast<float>(sum);
}

}  // namespace gapbench::kernels
