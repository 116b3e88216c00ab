// Row conversion between f32 and the ggml storage types. The Q8_0 / Q4_0 quantisers follow
// ggml's reference quantisers (quantize_row_q8_0_ref / quantize_row_q4_0_ref) operation by
// operation, so the bytes equal a file quantised offline by llama.cpp: the scale is divided in
// f32, its reciprocal is multiplied in (not divided), rounding is roundf (half away from zero) for
// Q8_0 and truncation of x*id + 8.5 for Q4_0, and d is stored with round-to-nearest-even f16.
// The k-quant (quant_k.h) and Q5_0 / Q5_1 / Q4_1 (quant_legacy.h) quantisers follow ggml's _ref
// quantisers (no importance matrix).
#include "kernels/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "kernels/fp16.h"
#include "kernels/quant_k.h"
#include "kernels/quant_legacy.h"

namespace gapbench::kernels {
namespace {

// BlockQ4_K, BlockQ6_K and kQK_K come from kernels/quant_k.h.

void CheckMultiple(GgmlType t, int64_t n, int64_t block) {
  if (n % block != 0) {
    Fail("row of ", n, " elements is not a multiple of the ", TypeName(t), " block size ", block);
  }
}

// The 6-bit (scale, min) pair j of a Q4_K block (ggml's get_scale_min_k4).
void ScaleMinK4(int j, const uint8_t* s, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

void DequantizeQ4_K(const BlockQ4_K* x, float* y, int64_t n) {
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ4_K& b = x[block_idx];
    const float d = F16ToF32(b.d);
    const float dmin = F16ToF32(b.dmin);
    const uint8_t* q = b.qs;
    for (int chunk = 0; chunk < 4; ++chunk) {  // 64 values per chunk
      uint8_t sc = 0;
      uint8_t m = 0;
      ScaleMinK4(2 * chunk, b.scales, &sc, &m);
      const float d1 = d * sc;
      const float m1 = dmin * m;
      ScaleMinK4(2 * chunk + 1, b.scales, &sc, &m);
      const float d2 = d * sc;
      const float m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
      q += 32;
    }
  }
}

void DequantizeQ5_K(const BlockQ5_K* x, float* y, int64_t n) {
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ5_K& b = x[block_idx];
    const float d = F16ToF32(b.d);
    const float dmin = F16ToF32(b.dmin);
    const uint8_t* q = b.qs;
    for (int chunk = 0; chunk < 4; ++chunk) {  // 64 values per chunk
      uint8_t sc = 0;
      uint8_t m = 0;
      ScaleMinK4(2 * chunk, b.scales, &sc, &m);
      const float d1 = d * sc;
      const float m1 = dmin * m;
      ScaleMinK4(2 * chunk + 1, b.scales, &sc, &m);
      const float d2 = d * sc;
      const float m2 = dmin * m;
      const int u1 = 1 << (2 * chunk), u2 = 2 << (2 * chunk);
      for (int l = 0; l < 32; ++l) {
        *y++ = d1 * static_cast<float>((q[l] & 0xF) + (b.qh[l] & u1 ? 16 : 0)) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        *y++ = d2 * static_cast<float>((q[l] >> 4) + (b.qh[l] & u2 ? 16 : 0)) - m2;
      }
      q += 32;
    }
  }
}

void DequantizeQ6_K(const BlockQ6_K* x, float* y, int64_t n) {
  for (int64_t block_idx = 0; block_idx < n / kQK_K; ++block_idx) {
    const BlockQ6_K& b = x[block_idx];
    const float d = F16ToF32(b.d);
    const uint8_t* ql = b.ql;
    const uint8_t* qh = b.qh;
    const int8_t* sc = b.scales;
    for (int half = 0; half < 2; ++half) {  // 128 values per half
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * static_cast<float>(q1);  // (d*sc)*q as ggml
        y[l + 32] = d * sc[is + 2] * static_cast<float>(q2);
        y[l + 64] = d * sc[is + 4] * static_cast<float>(q3);
        y[l + 96] = d * sc[is + 6] * static_cast<float>(q4);
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

}  // namespace

void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n) {
  GB_CHECK(n % kQK == 0, "QuantizeRowQ8_0: n=", n, " is not a multiple of 32");
  for (int64_t block_idx = 0; block_idx < n / kQK; ++block_idx) {
    const float* xb = x + block_idx * kQK;
    float amax = 0.0f;
    for (int64_t j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[block_idx].d = F32ToF16(d);
    for (int64_t j = 0; j < kQK; ++j) {
      y[block_idx].qs[j] = static_cast<int8_t>(std::roundf(xb[j] * id));
    }
  }
}

void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n) {
  GB_CHECK(n % kQK == 0, "QuantizeRowQ4_0: n=", n, " is not a multiple of 32");
  for (int64_t block_idx = 0; block_idx < n / kQK; ++block_idx) {
    const float* xb = x + block_idx * kQK;
    // The signed value of largest magnitude (the first one on ties) maps to q = 0, i.e. -8.
    float amax = 0.0f;
    float max = 0.0f;
    for (int64_t j = 0; j < kQK; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[block_idx].d = F32ToF16(d);
    for (int64_t j = 0; j < kQK / 2; ++j) {
      // Truncating cast of x*id + 8.5 (>= 0 here, so truncation is floor).
      const auto q0 =
          static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(xb[j] * id + 8.5f)));
      const auto q1 =
          static_cast<uint8_t>(std::min<int>(15, static_cast<int8_t>(xb[j + kQK / 2] * id + 8.5f)));
      y[block_idx].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void QuantizeRow(GgmlType t, const float* x, void* y, int64_t n) {
  switch (t) {
    case GgmlType::kF32:
      std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16: {
      auto* out = static_cast<uint16_t*>(y);
      for (int64_t i = 0; i < n; ++i) out[i] = F32ToF16(x[i]);
      return;
    }
    case GgmlType::kBF16: {
      auto* out = static_cast<uint16_t*>(y);
      for (int64_t i = 0; i < n; ++i) out[i] = F32ToBF16(x[i]);
      return;
    }
    case GgmlType::kQ8_0:
      CheckMultiple(t, n, kQK);
      QuantizeRowQ8_0(x, static_cast<BlockQ8_0*>(y), n);
      return;
    case GgmlType::kQ4_0:
      CheckMultiple(t, n, kQK);
      QuantizeRowQ4_0(x, static_cast<BlockQ4_0*>(y), n);
      return;
    case GgmlType::kQ4_K:
      CheckMultiple(t, n, kQK_K);
      QuantizeRowQ4_K(x, static_cast<BlockQ4_K*>(y), n);
      return;
    case GgmlType::kQ5_K:
      CheckMultiple(t, n, kQK_K);
      QuantizeRowQ5_K(x, static_cast<BlockQ5_K*>(y), n);
      return;
    case GgmlType::kQ6_K:
      CheckMultiple(t, n, kQK_K);
      QuantizeRowQ6_K(x, static_cast<BlockQ6_K*>(y), n);
      return;
    case GgmlType::kQ5_0:
      CheckMultiple(t, n, kQK5);
      QuantizeRowQ5_0(x, static_cast<BlockQ5_0*>(y), n);
      return;
    case GgmlType::kQ5_1:
      CheckMultiple(t, n, kQK5);
      QuantizeRowQ5_1(x, static_cast<BlockQ5_1*>(y), n);
      return;
    case GgmlType::kQ4_1:
      CheckMultiple(t, n, kQK5);
      QuantizeRowQ4_1(x, static_cast<BlockQ4_1*>(y), n);
      return;
    default:
      Fail("no quantiser for type ", TypeName(t), " (supported: ", ComputableTypeNames(), ")");
  }
}

void DequantizeRow(GgmlType t, const void* x, float* y, int64_t n) {
  switch (t) {
    case GgmlType::kF32:
      std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16: {
      const auto* in = static_cast<const uint16_t*>(x);
      for (int64_t i = 0; i < n; ++i) y[i] = F16ToF32(in[i]);
      return;
    }
    case GgmlType::kBF16: {
      const auto* in = static_cast<const uint16_t*>(x);
      for (int64_t i = 0; i < n; ++i) y[i] = BF16ToF32(in[i]);
      return;
    }
    case GgmlType::kQ8_0: {
      CheckMultiple(t, n, kQK);
      const auto* blocks = static_cast<const BlockQ8_0*>(x);
      for (int64_t block_idx = 0; block_idx < n / kQK; ++block_idx) {
        const float d = F16ToF32(blocks[block_idx].d);
        for (int64_t j = 0; j < kQK; ++j) y[block_idx * kQK + j] = blocks[block_idx].qs[j] * d;
      }
      return;
    }
    case GgmlType::kQ4_0: {
      CheckMultiple(t, n, kQK);
      const auto* blocks = static_cast<const BlockQ4_0*>(x);
      for (int64_t block_idx = 0; block_idx < n / kQK; ++block_idx) {
        const float d = F16ToF32(blocks[block_idx].d);
        float* yb = y + block_idx * kQK;
        for (int64_t j = 0; j < kQK / 2; ++j) {
          yb[j] = static_cast<float>((blocks[block_idx].qs[j] & 0xF) - 8) * d;
          yb[j + kQK / 2] = static_cast<float>((blocks[block_idx].qs[j] >> 4) - 8) * d;
        }
      }
      return;
    }
    case GgmlType::kQ4_K:
      CheckMultiple(t, n, kQK_K);
      DequantizeQ4_K(static_cast<const BlockQ4_K*>(x), y, n);
      return;
    case GgmlType::kQ5_K:
      CheckMultiple(t, n, kQK_K);
      DequantizeQ5_K(static_cast<const BlockQ5_K*>(x), y, n);
      return;
    case GgmlType::kQ6_K:
      CheckMultiple(t, n, kQK_K);
      DequantizeQ6_K(static_cast<const BlockQ6_K*>(x), y, n);
      return;
    case GgmlType::kQ5_0:
      CheckMultiple(t, n, kQK5);
      DequantizeRowQ5_0(static_cast<const BlockQ5_0*>(x), y, n);
      return;
    case GgmlType::kQ5_1:
      CheckMultiple(t, n, kQK5);
      DequantizeRowQ5_1(static_cast<const BlockQ5_1*>(x), y, n);
      return;
    case GgmlType::kQ4_1:
      CheckMultiple(t, n, kQK5);
      DequantizeRowQ4_1(static_cast<const BlockQ4_1*>(x), y, n);
      return;
    default:
      Fail("no dequantiser for type ", TypeName(t), " (supported: ", ComputableTypeNames(), ")");
  }
}

}  // namespace gapbench::kernels
