// Q5_0 / Q5_1 / Q4_1 quantisers, dequantisers and scalar reference dots (the SIMD dots are in
// quant_legacy_simd.cpp). The quantisers follow ggml's quantize_row_q5_0_ref / q5_1_ref /
// q4_1_ref operation by operation in f32 (the build uses -std=c++20: no FMA contraction), so the
// bytes equal ggml's and gguf-py's; the dequantisers compute (float)q * d (+ m) as both do.
#include "kernels/quant_legacy.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "kernels/fp16.h"

namespace gapbench::kernels {
namespace {

constexpr int kHalf = kQK5 / 2;

void CheckN(const char* what, int64_t n) {
  GB_CHECK(n % kQK5 == 0, what, ": n=", n, " is not a multiple of 32");
}

// Fifth bit of element i of a block (qh little-endian).
inline int HighBit(const uint8_t qh[4], int i) { return (qh[i / 8] >> (i % 8)) & 1; }

inline void StoreQh(uint32_t bits, uint8_t qh[4]) {
  for (int k = 0; k < 4; ++k) qh[k] = static_cast<uint8_t>(bits >> (8 * k));
}

// Signed min and max of a block as ggml's q*_1 quantisers find them (from +-FLT_MAX).
void MinMax(const float* x, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < kQK5; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

}  // namespace

void QuantizeRowQ5_0(const float* x, BlockQ5_0* y, int64_t n) {
  CheckN("QuantizeRowQ5_0", n);
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const float* xb = x + b * kQK5;
    // The signed value of largest magnitude (the first one on ties) maps to q = 0, i.e. -16.
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQK5; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      // Truncating cast of x * id + 16.5 (>= 0 here, so truncation is floor).
      const auto q0 =
          static_cast<uint8_t>(std::min<int>(31, static_cast<int8_t>(xb[j] * id + 16.5f)));
      const auto q1 =
          static_cast<uint8_t>(std::min<int>(31, static_cast<int8_t>(xb[j + kHalf] * id + 16.5f)));
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= static_cast<uint32_t>((q0 & 0x10u) >> 4) << j;
      qh |= static_cast<uint32_t>((q1 & 0x10u) >> 4) << (j + kHalf);
    }
    StoreQh(qh, y[b].qh);
  }
}

void QuantizeRowQ5_1(const float* x, BlockQ5_1* y, int64_t n) {
  CheckN("QuantizeRowQ5_1", n);
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const float* xb = x + b * kQK5;
    float min = 0.0f;
    float max = 0.0f;
    MinMax(xb, &min, &max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    y[b].m = F32ToF16(min);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      // (x - min) / d + 0.5 lies in [0.5, 31.5]: the truncating cast is floor and stays <= 31.
      const auto q0 = static_cast<uint8_t>((xb[j] - min) * id + 0.5f);
      const auto q1 = static_cast<uint8_t>((xb[j + kHalf] - min) * id + 0.5f);
      y[b].qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= static_cast<uint32_t>((q0 & 0x10u) >> 4) << j;
      qh |= static_cast<uint32_t>((q1 & 0x10u) >> 4) << (j + kHalf);
    }
    StoreQh(qh, y[b].qh);
  }
}

void QuantizeRowQ4_1(const float* x, BlockQ4_1* y, int64_t n) {
  CheckN("QuantizeRowQ4_1", n);
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const float* xb = x + b * kQK5;
    float min = 0.0f;
    float max = 0.0f;
    MinMax(xb, &min, &max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = F32ToF16(d);
    y[b].m = F32ToF16(min);
    for (int j = 0; j < kHalf; ++j) {
      const auto q0 =
          static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>((xb[j] - min) * id + 0.5f)));
      const auto q1 = static_cast<uint8_t>(
          std::min<int>(15, static_cast<int8_t>((xb[j + kHalf] - min) * id + 0.5f)));
      y[b].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void DequantizeRowQ5_0(const BlockQ5_0* x, float* y, int64_t n) {
  CheckN("DequantizeRowQ5_0", n);
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const float d = F16ToF32(x[b].d);
    float* yb = y + b * kQK5;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = ((x[b].qs[j] & 0x0F) | (HighBit(x[b].qh, j) << 4)) - 16;
      const int q1 = ((x[b].qs[j] >> 4) | (HighBit(x[b].qh, j + kHalf) << 4)) - 16;
      yb[j] = static_cast<float>(q0) * d;
      yb[j + kHalf] = static_cast<float>(q1) * d;
    }
  }
}

void DequantizeRowQ5_1(const BlockQ5_1* x, float* y, int64_t n) {
  CheckN("DequantizeRowQ5_1", n);
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const float d = F16ToF32(x[b].d);
    const float m = F16ToF32(x[b].m);
    float* yb = y + b * kQK5;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = (x[b].qs[j] & 0x0F) | (HighBit(x[b].qh, j) << 4);
      const int q1 = (x[b].qs[j] >> 4) | (HighBit(x[b].qh, j + kHalf) << 4);
      yb[j] = static_cast<float>(q0) * d + m;
      yb[j + kHalf] = static_cast<float>(q1) * d + m;
    }
  }
}

void DequantizeRowQ4_1(const BlockQ4_1* x, float* y, int64_t n) {
  CheckN("DequantizeRowQ4_1", n);
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const float d = F16ToF32(x[b].d);
    const float m = F16ToF32(x[b].m);
    float* yb = y + b * kQK5;
    for (int j = 0; j < kHalf; ++j) {
      yb[j] = static_cast<float>(x[b].qs[j] & 0x0F) * d + m;
      yb[j + kHalf] = static_cast<float>(x[b].qs[j] >> 4) * d + m;
    }
  }
}

float DotQ5_0Q8_0Reference(const BlockQ5_0* w, const Q8Row& x, int64_t n) {
  CheckN("DotQ5_0Q8_0", n);
  double sum = 0;
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const int8_t* xq = x.q + b * kQK5;
    int32_t sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = ((w[b].qs[j] & 0x0F) | (HighBit(w[b].qh, j) << 4)) - 16;
      const int q1 = ((w[b].qs[j] >> 4) | (HighBit(w[b].qh, j + kHalf) << 4)) - 16;
      sumi += q0 * xq[j] + q1 * xq[j + kHalf];
    }
    const float dd = F16ToF32(w[b].d) * x.d[b];
    sum += static_cast<double>(dd) * sumi;
  }
  return static_cast<float>(sum);
}

float DotQ5_1Q8_1Reference(const BlockQ5_1* w, const Q8Row& x, int64_t n) {
  CheckN("DotQ5_1Q8_1", n);
  double sum = 0;
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const int8_t* xq = x.q + b * kQK5;
    int32_t sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int q0 = (w[b].qs[j] & 0x0F) | (HighBit(w[b].qh, j) << 4);
      const int q1 = (w[b].qs[j] >> 4) | (HighBit(w[b].qh, j + kHalf) << 4);
      sumi += q0 * xq[j] + q1 * xq[j + kHalf];
    }
    const float dd = F16ToF32(w[b].d) * x.d[b];
    const float md = F16ToF32(w[b].m) * x.d[b];
    sum += static_cast<double>(dd) * sumi + static_cast<double>(md) * x.s[b];
  }
  return static_cast<float>(sum);
}

float DotQ4_1Q8_1Reference(const BlockQ4_1* w, const Q8Row& x, int64_t n) {
  CheckN("DotQ4_1Q8_1", n);
  double sum = 0;
  for (int64_t b = 0; b < n / kQK5; ++b) {
    const int8_t* xq = x.q + b * kQK5;
    int32_t sumi = 0;
    for (int j = 0; j < kHalf; ++j) {
      sumi += (w[b].qs[j] & 0x0F) * xq[j] + (w[b].qs[j] >> 4) * xq[j + kHalf];
    }
    const float dd = F16ToF32(w[b].d) * x.d[b];
    const float md = F16ToF32(w[b].m) * x.d[b];
    sum += static_cast<double>(dd) * sumi + static_cast<double>(md) * x.s[b];
  }
  return static_cast<float>(sum);
}

}  // namespace gapbench::kernels
