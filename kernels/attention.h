// Attention of one query head against cached keys and values stored as f32, f16 or Q8_0 rows.
// The cache may hand over its positions as several runs (a ring buffer that wrapped, then the
// rows of the chunk being evaluated); they are attended in the order given, so the summation
// order is that of the positions. SIMD (Highway, run-time dispatch) beside a double-precision
// scalar reference.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/types.h"

namespace gapbench::kernels {

// Consecutive rows of one KV head: row j starts at data + j * row_bytes and holds head_dim
// values of `type` (f32, f16, or q8_0 blocks of 32; head_dim a multiple of 32 for q8_0).
struct KvView {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;
  int64_t row_bytes = 0;
};

// A run of n positions: keys k, values v.
struct KvSegment {
  KvView k, v;
  int64_t n = 0;
};

// out[head_dim] = sum_j softmax_j(cap(scale * q.K_j)) V_j over all positions of all segments,
// cap(s) = softcap * tanh(s / softcap) when softcap > 0 (Gemma 2), else s.
// scratch must hold as many floats as there are positions in total.
void Attend(const float* q, std::span<const KvSegment> segments, int64_t head_dim, float scale,
            float* scratch, float* out, float softcap = 0.0f);

// Plain scalar version in double precision (the tests' reference for Attend).
void AttendReference(const float* q, std::span<const KvSegment> segments, int64_t head_dim,
                     float scale, float* out, float softcap = 0.0f);

// Bytes of one cache row of n values in type t.
int64_t KvRowBytes(GgmlType t, int64_t n);
// Stores n f32 values as a cache row of type t (f32, f16, q8_0).
void StoreKvRow(GgmlType t, const float* x, void* dst, int64_t n);

}  // namespace gapbench::kernels
