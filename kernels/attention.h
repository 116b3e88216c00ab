// Attention of query rows against a KV cache stored as f32 or f16 rows.
// SIMD (Highway, run-time dispatch); f16 rows are widened on the fly.
#pragma once

#include <cstdint>

#include "kernels/types.h"

namespace gapbench::kernels {

// A strided view of the keys (or values) of one KV head: row j (0 <= j < n) starts at
// data + j * row_stride elements of `type` (f32 or f16) and holds head_dim elements.
struct KvView {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;
  int64_t row_stride = 0;  // in elements
};

// out[head_dim] = sum_j softmax_j(scale * q.K_j) V_j over keys j in [0, n_keys).
// scratch must hold n_keys floats.
void AttendOne(const float* q, const KvView& k, const KvView& v, int64_t n_keys, int64_t head_dim,
               float scale, float* scratch, float* out);

// Plain scalar version in double precision (the tests' reference for AttendOne).
void AttendOneReference(const float* q, const KvView& k, const KvView& v, int64_t n_keys,
                        int64_t head_dim, float scale, float* scratch, float* out);

// Stores n f32 values into a cache row of type t (f32 or f16).
void StoreKvRow(GgmlType t, const float* x, void* dst, int64_t n);

}  // namespace gapbench::kernels
