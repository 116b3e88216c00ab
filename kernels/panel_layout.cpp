// The panel layout of the packed weights (matmul_simd.h): packing a weight's rows into panels and
// reading a row back, and the scalar references of the k-quant, Q5_0, Q5_1 and Q4_1 panel kernels.
// Target independent; the kernels that read these panels are in matmul_simd.cpp,
// matmul_kquant-inl.h and matmul_q5_1-inl.h.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/fp16.h"
#include "kernels/matmul_simd.h"
#include "kernels/quant_k.h"
#include "kernels/quant_legacy.h"

namespace gapbench::kernels {

int64_t PanelBytesPerBlock(GgmlType type) {
  if (type == GgmlType::kQ4_K) return kQ4_KPanelBlock;
  if (type == GgmlType::kQ6_K) return kQ6_KPanelBlock;
  if (type == GgmlType::kQ5_K) return kQ5_KPanelBlock;
  if (type == GgmlType::kQ5_0) return kQ5_0PanelBlock;
  if (type == GgmlType::kQ5_1) return kQ5_1PanelBlock;
  if (type == GgmlType::kQ4_1) return kQ4_1PanelBlock;
  return 32 + 64 * (type == GgmlType::kQ8_0 ? 8 : 4);
}

namespace {

// Row r (< 16) of a q4_K panel block from / to the file's block.
void PackQ4_KRow(const BlockQ4_K& src, int64_t r, uint8_t* dst) {
  std::memcpy(dst + 2 * r, &src.d, 2);
  std::memcpy(dst + 32 + 2 * r, &src.dmin, 2);
  uint8_t sc[8], m[8];
  UnpackScaleMinK4(src.scales, sc, m);
  for (int j = 0; j < 8; ++j) {
    dst[kQ4_KPanelScales + 16 * j + r] = sc[j];
    dst[kQ4_KPanelMins + 32 * (j / 2) + 2 * r + j % 2] = m[j];
  }
  for (int c = 0; c < 4; ++c) {
    for (int s = 0; s < 8; ++s) {
      std::memcpy(dst + kQ4_KPanelQuants + 512 * c + 64 * s + 4 * r, src.qs + 32 * c + 4 * s, 4);
    }
  }
}

void UnpackQ4_KRow(const uint8_t* src, int64_t r, BlockQ4_K* dst) {
  std::memcpy(&dst->d, src + 2 * r, 2);
  std::memcpy(&dst->dmin, src + 32 + 2 * r, 2);
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = src[kQ4_KPanelScales + 16 * j + r];
    m[j] = src[kQ4_KPanelMins + 32 * (j / 2) + 2 * r + j % 2];
  }
  PackScaleMinK4(sc, m, dst->scales);  // the inverse of UnpackScaleMinK4 on 6-bit values
  for (int c = 0; c < 4; ++c) {
    for (int s = 0; s < 8; ++s) {
      std::memcpy(dst->qs + 32 * c + 4 * s, src + kQ4_KPanelQuants + 512 * c + 64 * s + 4 * r, 4);
    }
  }
}

// Row r (< 16) of a q5_K panel block from / to the file's block: q4_K's parts, then the qh
// groups.
void PackQ5_KRow(const BlockQ5_K& src, int64_t r, uint8_t* dst) {
  BlockQ4_K q4;
  q4.d = src.d;
  q4.dmin = src.dmin;
  std::memcpy(q4.scales, src.scales, sizeof(q4.scales));
  std::memcpy(q4.qs, src.qs, sizeof(q4.qs));
  PackQ4_KRow(q4, r, dst);
  for (int s = 0; s < 8; ++s) std::memcpy(dst + kQ5_KPanelHigh + 64 * s + 4 * r, src.qh + 4 * s, 4);
}

void UnpackQ5_KRow(const uint8_t* src, int64_t r, BlockQ5_K* dst) {
  BlockQ4_K q4;
  UnpackQ4_KRow(src, r, &q4);
  dst->d = q4.d;
  dst->dmin = q4.dmin;
  std::memcpy(dst->scales, q4.scales, sizeof(q4.scales));
  std::memcpy(dst->qs, q4.qs, sizeof(q4.qs));
  for (int s = 0; s < 8; ++s) {
    std::memcpy(dst->qh + 4 * s, src + kQ5_KPanelHigh + 64 * s + 4 * r, 4);
  }
}

// Row r (< 16) of a q5_0 panel block from / to the file's block (matmul_simd.h: the fifth bits
// permuted so that byte i, bit s is element 4s + i's and bit 4 + s element 16 + 4s + i's).
void PackQ5_0Row(const BlockQ5_0& src, int64_t r, uint8_t* dst) {
  std::memcpy(dst + 2 * r, &src.d, 2);
  for (int i = 0; i < 4; ++i) {
    int byte = 0;
    for (int s = 0; s < 4; ++s) {
      const int lo = 4 * s + i, hi = 16 + 4 * s + i;
      byte |= ((src.qh[lo / 8] >> (lo % 8)) & 1) << s;
      byte |= ((src.qh[hi / 8] >> (hi % 8)) & 1) << (4 + s);
    }
    dst[kQ5_0PanelHigh + 4 * r + i] = static_cast<uint8_t>(byte);
  }
  for (int s = 0; s < 4; ++s) {
    std::memcpy(dst + kQ5_0PanelQuants + 64 * s + 4 * r, src.qs + 4 * s, 4);
  }
}

void UnpackQ5_0Row(const uint8_t* src, int64_t r, BlockQ5_0* dst) {
  std::memcpy(&dst->d, src + 2 * r, 2);
  std::memset(dst->qh, 0, sizeof(dst->qh));
  for (int i = 0; i < 4; ++i) {
    const int byte = src[kQ5_0PanelHigh + 4 * r + i];
    for (int s = 0; s < 4; ++s) {
      const int lo = 4 * s + i, hi = 16 + 4 * s + i;
      dst->qh[lo / 8] = static_cast<uint8_t>(dst->qh[lo / 8] | (((byte >> s) & 1) << (lo % 8)));
      dst->qh[hi / 8] =
          static_cast<uint8_t>(dst->qh[hi / 8] | (((byte >> (4 + s)) & 1) << (hi % 8)));
    }
  }
  for (int s = 0; s < 4; ++s) {
    std::memcpy(dst->qs + 4 * s, src + kQ5_0PanelQuants + 64 * s + 4 * r, 4);
  }
}

// Row r (< 16) of a q5_1 panel block from / to the file's block: d, m, then q5_0's permuted
// fifth bits and nibble groups (matmul_simd.h).
void PackQ5_1Row(const BlockQ5_1& src, int64_t r, uint8_t* dst) {
  std::memcpy(dst + 2 * r, &src.d, 2);
  std::memcpy(dst + kQ5_1PanelMin + 2 * r, &src.m, 2);
  for (int i = 0; i < 4; ++i) {
    int byte = 0;
    for (int s = 0; s < 4; ++s) {
      const int lo = 4 * s + i, hi = 16 + 4 * s + i;
      byte |= ((src.qh[lo / 8] >> (lo % 8)) & 1) << s;
      byte |= ((src.qh[hi / 8] >> (hi % 8)) & 1) << (4 + s);
    }
    dst[kQ5_1PanelHigh + 4 * r + i] = static_cast<uint8_t>(byte);
  }
  for (int s = 0; s < 4; ++s) {
    std::memcpy(dst + kQ5_1PanelQuants + 64 * s + 4 * r, src.qs + 4 * s, 4);
  }
}

void UnpackQ5_1Row(const uint8_t* src, int64_t r, BlockQ5_1* dst) {
  std::memcpy(&dst->d, src + 2 * r, 2);
  std::memcpy(&dst->m, src + kQ5_1PanelMin + 2 * r, 2);
  std::memset(dst->qh, 0, sizeof(dst->qh));
  for (int i = 0; i < 4; ++i) {
    const int byte = src[kQ5_1PanelHigh + 4 * r + i];
    for (int s = 0; s < 4; ++s) {
      const int lo = 4 * s + i, hi = 16 + 4 * s + i;
      dst->qh[lo / 8] = static_cast<uint8_t>(dst->qh[lo / 8] | (((byte >> s) & 1) << (lo % 8)));
      dst->qh[hi / 8] =
          static_cast<uint8_t>(dst->qh[hi / 8] | (((byte >> (4 + s)) & 1) << (hi % 8)));
    }
  }
  for (int s = 0; s < 4; ++s) {
    std::memcpy(dst->qs + 4 * s, src + kQ5_1PanelQuants + 64 * s + 4 * r, 4);
  }
}

// Row r (< 16) of a q4_1 panel block from / to the file's block: d, m, q4_0's nibble groups.
void PackQ4_1Row(const BlockQ4_1& src, int64_t r, uint8_t* dst) {
  std::memcpy(dst + 2 * r, &src.d, 2);
  std::memcpy(dst + kQ4_1PanelMin + 2 * r, &src.m, 2);
  for (int s = 0; s < 4; ++s) {
    std::memcpy(dst + kQ4_1PanelQuants + 64 * s + 4 * r, src.qs + 4 * s, 4);
  }
}

void UnpackQ4_1Row(const uint8_t* src, int64_t r, BlockQ4_1* dst) {
  std::memcpy(&dst->d, src + 2 * r, 2);
  std::memcpy(&dst->m, src + kQ4_1PanelMin + 2 * r, 2);
  for (int s = 0; s < 4; ++s) {
    std::memcpy(dst->qs + 4 * s, src + kQ4_1PanelQuants + 64 * s + 4 * r, 4);
  }
}

// Row r (< 16) of a q6_K panel block from / to the file's block: the same bytes, moved.
void PackQ6_KRow(const BlockQ6_K& src, int64_t r, uint8_t* dst) {
  std::memcpy(dst + 2 * r, &src.d, 2);
  for (int64_t h = 0; h < 2; ++h) {
    for (int64_t k = 0; k < 4; ++k) {
      for (int64_t odd = 0; odd < 2; ++odd) {
        dst[Q6KPanelScale(h, k, r, odd)] = static_cast<uint8_t>(src.scales[8 * h + 2 * k + odd]);
      }
    }
    for (int64_t s = 0; s < 8; ++s) {
      std::memcpy(dst + Q6KPanelBits(h, s, 0, r), src.ql + 4 * (16 * h + s), 4);
      std::memcpy(dst + Q6KPanelBits(h, s, 1, r), src.ql + 4 * (16 * h + 8 + s), 4);
      std::memcpy(dst + Q6KPanelBits(h, s, 2, r), src.qh + 4 * (8 * h + s), 4);
    }
  }
}

void UnpackQ6_KRow(const uint8_t* src, int64_t r, BlockQ6_K* dst) {
  std::memcpy(&dst->d, src + 2 * r, 2);
  for (int64_t h = 0; h < 2; ++h) {
    for (int64_t k = 0; k < 4; ++k) {
      for (int64_t odd = 0; odd < 2; ++odd) {
        dst->scales[8 * h + 2 * k + odd] = static_cast<int8_t>(src[Q6KPanelScale(h, k, r, odd)]);
      }
    }
    for (int64_t s = 0; s < 8; ++s) {
      std::memcpy(dst->ql + 4 * (16 * h + s), src + Q6KPanelBits(h, s, 0, r), 4);
      std::memcpy(dst->ql + 4 * (16 * h + 8 + s), src + Q6KPanelBits(h, s, 1, r), 4);
      std::memcpy(dst->qh + 4 * (8 * h + s), src + Q6KPanelBits(h, s, 2, r), 4);
    }
  }
}

}  // namespace

bool IsPanelType(GgmlType type) {
  return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0 || type == GgmlType::kQ4_K ||
         type == GgmlType::kQ5_K || type == GgmlType::kQ5_0 || type == GgmlType::kQ6_K ||
         type == GgmlType::kQ5_1 || type == GgmlType::kQ4_1;
}

// Rows [0, nr) of w, blocks of `elems` values each, packed block by block with pack_row; a
// partial panel's missing rows stay zero.
template <class Block>
void PackRowsOf(const uint8_t* w, int64_t row_bytes, int64_t cols, int64_t elems, int64_t nr,
                int64_t per_block, void (*pack_row)(const Block&, int64_t, uint8_t*),
                uint8_t* out) {
  const int64_t nb = cols / elems;
  if (nr < 16) std::memset(out, 0, static_cast<size_t>(nb * per_block));
  for (int64_t r = 0; r < nr; ++r) {
    const auto* src = reinterpret_cast<const Block*>(w + r * row_bytes);
    for (int64_t b = 0; b < nb; ++b) pack_row(src[b], r, out + b * per_block);
  }
}

void PackPanelRows(GgmlType type, const uint8_t* w, int64_t row_bytes, int64_t cols, int64_t nr,
                   uint8_t* out) {
  const int64_t per_block = PanelBytesPerBlock(type);
  switch (type) {
    case GgmlType::kQ6_K:
      return PackRowsOf(w, row_bytes, cols, kQK_K, nr, per_block, PackQ6_KRow, out);
    case GgmlType::kQ4_K:
      return PackRowsOf(w, row_bytes, cols, kQK_K, nr, per_block, PackQ4_KRow, out);
    case GgmlType::kQ5_K:
      return PackRowsOf(w, row_bytes, cols, kQK_K, nr, per_block, PackQ5_KRow, out);
    case GgmlType::kQ5_0:
      return PackRowsOf(w, row_bytes, cols, 32, nr, per_block, PackQ5_0Row, out);
    case GgmlType::kQ5_1:
      return PackRowsOf(w, row_bytes, cols, 32, nr, per_block, PackQ5_1Row, out);
    case GgmlType::kQ4_1:
      return PackRowsOf(w, row_bytes, cols, 32, nr, per_block, PackQ4_1Row, out);
    default:
      break;  // q8_0 / q4_0 below
  }
  const int64_t block_bytes = type == GgmlType::kQ8_0 ? 34 : 18;
  const int64_t groups = (block_bytes - 2) / 4;
  const int64_t nb = cols / 32;
  if (nr < 16) std::memset(out, 0, static_cast<size_t>(nb * per_block));
  for (int64_t r = 0; r < nr; ++r) {
    const uint8_t* src = w + r * row_bytes;
    for (int64_t b = 0; b < nb; ++b, src += block_bytes) {
      uint8_t* dst = out + b * per_block;
      std::memcpy(dst + 2 * r, src, 2);
      for (int64_t s = 0; s < groups; ++s)
        std::memcpy(dst + 32 + 64 * s + 4 * r, src + 2 + 4 * s, 4);
    }
  }
}

void UnpackPanelRow(GgmlType type, const uint8_t* packed, int64_t cols, int64_t row, uint8_t* out) {
  const int64_t per_block = PanelBytesPerBlock(type);
  const int64_t r = row % 16;
  if (type == GgmlType::kQ6_K) {
    const int64_t nb = cols / kQK_K;
    const uint8_t* panel = packed + row / 16 * nb * per_block;
    auto* dst = reinterpret_cast<BlockQ6_K*>(out);
    for (int64_t b = 0; b < nb; ++b) UnpackQ6_KRow(panel + b * per_block, r, dst + b);
    return;
  }
  if (type == GgmlType::kQ4_K) {
    const int64_t nb = cols / kQK_K;
    const uint8_t* panel = packed + row / 16 * nb * per_block;
    auto* dst = reinterpret_cast<BlockQ4_K*>(out);
    for (int64_t b = 0; b < nb; ++b) UnpackQ4_KRow(panel + b * per_block, r, dst + b);
    return;
  }
  if (type == GgmlType::kQ5_K) {
    const int64_t nb = cols / kQK_K;
    const uint8_t* panel = packed + row / 16 * nb * per_block;
    auto* dst = reinterpret_cast<BlockQ5_K*>(out);
    for (int64_t b = 0; b < nb; ++b) UnpackQ5_KRow(panel + b * per_block, r, dst + b);
    return;
  }
  if (type == GgmlType::kQ5_0) {
    const int64_t nb = cols / 32;
    const uint8_t* panel = packed + row / 16 * nb * per_block;
    auto* dst = reinterpret_cast<BlockQ5_0*>(out);
    for (int64_t b = 0; b < nb; ++b) UnpackQ5_0Row(panel + b * per_block, r, dst + b);
    return;
  }
  if (type == GgmlType::kQ5_1) {
    const int64_t nb = cols / 32;
    const uint8_t* panel = packed + row / 16 * nb * per_block;
    auto* dst = reinterpret_cast<BlockQ5_1*>(out);
    for (int64_t b = 0; b < nb; ++b) UnpackQ5_1Row(panel + b * per_block, r, dst + b);
    return;
  }
  if (type == GgmlType::kQ4_1) {
    const int64_t nb = cols / 32;
    const uint8_t* panel = packed + row / 16 * nb * per_block;
    auto* dst = reinterpret_cast<BlockQ4_1*>(out);
    for (int64_t b = 0; b < nb; ++b) UnpackQ4_1Row(panel + b * per_block, r, dst + b);
    return;
  }
  const int64_t block_bytes = type == GgmlType::kQ8_0 ? 34 : 18;
  const int64_t groups = (block_bytes - 2) / 4;
  const int64_t nb = cols / 32;
  const uint8_t* panel = packed + row / 16 * nb * per_block;
  for (int64_t b = 0; b < nb; ++b, out += block_bytes) {
    const uint8_t* src = panel + b * per_block;
    std::memcpy(out, src + 2 * r, 2);
    for (int64_t s = 0; s < groups; ++s) std::memcpy(out + 2 + 4 * s, src + 32 + 64 * s + 4 * r, 4);
  }
}

void Q8_KSubBlockSums(const BlockQ8_K* x, int64_t n_blocks, int16_t* out) {
  for (int64_t b = 0; b < n_blocks; ++b) {
    for (int j = 0; j < 8; ++j) {
      out[8 * b + j] = static_cast<int16_t>(x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    }
  }
}

void Q4_KPanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const BlockQ8_K* x,
                              const int16_t* x_sub, int64_t n_tokens, float* y) {
  const int64_t nb = cols / kQK_K;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t row = 0; row < rows; ++row) {
      const uint8_t* panel = packed + row / 16 * nb * kQ4_KPanelBlock;
      const int64_t r = row % 16;
      double sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = panel + b * kQ4_KPanelBlock;
        const BlockQ8_K& xb = x[t * nb + b];
        const int16_t* sub = x_sub + (t * nb + b) * 8;
        int32_t sum_q = 0;
        int32_t sum_m = 0;
        for (int j = 0; j < 8; ++j) {
          const int c = j / 2;
          const int shift = 4 * (j % 2);
          int32_t dot = 0;
          for (int s = 0; s < 8; ++s) {
            const uint8_t* q = blk + kQ4_KPanelQuants + 512 * c + 64 * s + 4 * r;
            for (int i = 0; i < 4; ++i) {
              dot += ((q[i] >> shift) & 15) * xb.qs[64 * c + 32 * (j % 2) + 4 * s + i];
            }
          }
          sum_q += blk[kQ4_KPanelScales + 16 * j + r] * dot;
          sum_m += blk[kQ4_KPanelMins + 32 * c + 2 * r + j % 2] * sub[j];
        }
        uint16_t d_bits, dmin_bits;
        std::memcpy(&d_bits, blk + 2 * r, 2);
        std::memcpy(&dmin_bits, blk + 32 + 2 * r, 2);
        const float d = F16ToF32(d_bits) * xb.d;
        const float dmin = F16ToF32(dmin_bits) * xb.d;
        sum += static_cast<double>(d) * sum_q - static_cast<double>(dmin) * sum_m;
      }
      y[t * rows + row] = static_cast<float>(sum);
    }
  }
}

void Q5_KPanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const BlockQ8_K* x,
                              const int16_t* x_sub, int64_t n_tokens, float* y) {
  const int64_t nb = cols / kQK_K;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t row = 0; row < rows; ++row) {
      const uint8_t* panel = packed + row / 16 * nb * kQ5_KPanelBlock;
      const int64_t r = row % 16;
      double sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = panel + b * kQ5_KPanelBlock;
        const BlockQ8_K& xb = x[t * nb + b];
        const int16_t* sub = x_sub + (t * nb + b) * 8;
        int32_t sum_q = 0;
        int32_t sum_m = 0;
        for (int j = 0; j < 8; ++j) {
          const int c = j / 2;
          const int shift = 4 * (j % 2);
          int32_t dot = 0;
          for (int s = 0; s < 8; ++s) {
            const uint8_t* q = blk + kQ4_KPanelQuants + 512 * c + 64 * s + 4 * r;
            const uint8_t* h = blk + kQ5_KPanelHigh + 64 * s + 4 * r;
            for (int i = 0; i < 4; ++i) {
              const int w = ((q[i] >> shift) & 15) | (((h[i] >> j) & 1) << 4);
              dot += w * xb.qs[64 * c + 32 * (j % 2) + 4 * s + i];
            }
          }
          sum_q += blk[kQ4_KPanelScales + 16 * j + r] * dot;
          sum_m += blk[kQ4_KPanelMins + 32 * c + 2 * r + j % 2] * sub[j];
        }
        uint16_t d_bits, dmin_bits;
        std::memcpy(&d_bits, blk + 2 * r, 2);
        std::memcpy(&dmin_bits, blk + 32 + 2 * r, 2);
        const float d = F16ToF32(d_bits) * xb.d;
        const float dmin = F16ToF32(dmin_bits) * xb.d;
        sum += static_cast<double>(d) * sum_q - static_cast<double>(dmin) * sum_m;
      }
      y[t * rows + row] = static_cast<float>(sum);
    }
  }
}

void Q5_0PanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const float* xd,
                              const int8_t* xq, int64_t n_tokens, float* y) {
  const int64_t nb = cols / 32;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t row = 0; row < rows; ++row) {
      const uint8_t* panel = packed + row / 16 * nb * kQ5_0PanelBlock;
      const int64_t r = row % 16;
      double sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = panel + b * kQ5_0PanelBlock;
        const int8_t* x = xq + t * cols + b * 32;
        int32_t sumi = 0;
        for (int s = 0; s < 4; ++s) {
          for (int i = 0; i < 4; ++i) {
            const int q = blk[kQ5_0PanelQuants + 64 * s + 4 * r + i];
            const int h = blk[kQ5_0PanelHigh + 4 * r + i];
            const int lo = ((q & 15) | (((h >> s) & 1) << 4)) - 16;
            const int hi = ((q >> 4) | (((h >> (4 + s)) & 1) << 4)) - 16;
            sumi += lo * x[4 * s + i] + hi * x[16 + 4 * s + i];
          }
        }
        uint16_t d_bits;
        std::memcpy(&d_bits, blk + 2 * r, 2);
        const float dd = F16ToF32(d_bits) * xd[t * nb + b];
        sum += static_cast<double>(dd) * sumi;
      }
      y[t * rows + row] = static_cast<float>(sum);
    }
  }
}

namespace {

// q5_1 (kFifth) and q4_1 panels: element 4s + i of a block is the low nibble of group s's byte i,
// element 16 + 4s + i its high nibble; q5_1's fifth bits are in the permuted byte i (bits s and
// 4 + s).
template <bool kFifth>
void MinPanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const float* xd,
                             const int8_t* xq, const int32_t* xs, int64_t n_tokens, float* y) {
  constexpr int64_t kBlock = kFifth ? kQ5_1PanelBlock : kQ4_1PanelBlock;
  constexpr int64_t kMin = kFifth ? kQ5_1PanelMin : kQ4_1PanelMin;
  constexpr int64_t kQuants = kFifth ? kQ5_1PanelQuants : kQ4_1PanelQuants;
  const int64_t nb = cols / 32;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t row = 0; row < rows; ++row) {
      const uint8_t* panel = packed + row / 16 * nb * kBlock;
      const int64_t r = row % 16;
      double sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = panel + b * kBlock;
        const int8_t* x = xq + t * cols + b * 32;
        int32_t sumi = 0;
        for (int s = 0; s < 4; ++s) {
          for (int i = 0; i < 4; ++i) {
            const int q = blk[kQuants + 64 * s + 4 * r + i];
            const int h = kFifth ? blk[kQ5_1PanelHigh + 4 * r + i] : 0;
            const int lo = (q & 15) | (((h >> s) & 1) << 4);
            const int hi = (q >> 4) | (((h >> (4 + s)) & 1) << 4);
            sumi += lo * x[4 * s + i] + hi * x[16 + 4 * s + i];
          }
        }
        uint16_t d_bits, m_bits;
        std::memcpy(&d_bits, blk + 2 * r, 2);
        std::memcpy(&m_bits, blk + kMin + 2 * r, 2);
        const float dd = F16ToF32(d_bits) * xd[t * nb + b];
        const float md = F16ToF32(m_bits) * xd[t * nb + b];
        sum += static_cast<double>(dd) * sumi + static_cast<double>(md) * xs[t * nb + b];
      }
      y[t * rows + row] = static_cast<float>(sum);
    }
  }
}

}  // namespace

void Q5_1PanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const float* xd,
                              const int8_t* xq, const int32_t* xs, int64_t n_tokens, float* y) {
  MinPanelMatMulReference<true>(packed, rows, cols, xd, xq, xs, n_tokens, y);
}

void Q4_1PanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const float* xd,
                              const int8_t* xq, const int32_t* xs, int64_t n_tokens, float* y) {
  MinPanelMatMulReference<false>(packed, rows, cols, xd, xq, xs, n_tokens, y);
}

void Q6_KPanelMatMulReference(const uint8_t* packed, int64_t rows, int64_t cols, const BlockQ8_K* x,
                              int64_t n_tokens, float* y) {
  const int64_t nb = cols / kQK_K;
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t row = 0; row < rows; ++row) {
      const uint8_t* panel = packed + row / 16 * nb * kQ6_KPanelBlock;
      const int64_t r = row % 16;
      double sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = panel + b * kQ6_KPanelBlock;
        const BlockQ8_K& xb = x[t * nb + b];
        int32_t sum_q = 0;
        for (int g = 0; g < 16; ++g) {  // elements 16g + i = 128h + 32k + l, l = 16 (g % 2) + i
          const int h = g / 8, k = (g % 8) / 2;
          int32_t dot = 0;
          for (int i = 0; i < 16; ++i) {
            const int l = 16 * (g % 2) + i;
            const uint8_t lo = blk[Q6KPanelBits(h, l / 4, k % 2, r) + l % 4];
            const uint8_t hi = blk[Q6KPanelBits(h, l / 4, 2, r) + l % 4];
            const int q = ((lo >> (4 * (k / 2))) & 15) | (((hi >> (2 * k)) & 3) << 4);
            dot += (q - 32) * xb.qs[16 * g + i];
          }
          sum_q += static_cast<int8_t>(blk[Q6KPanelScale(h, k, r, g % 2)]) * dot;
        }
        uint16_t d_bits;
        std::memcpy(&d_bits, blk + 2 * r, 2);
        const float d = F16ToF32(d_bits) * xb.d;
        sum += static_cast<double>(d) * sum_q;
      }
      y[t * rows + row] = static_cast<float>(sum);
    }
  }
}

}  // namespace gapbench::kernels
