// Attention of many query rows against one KV head, as small GEMMs: the head's keys and values
// are widened to f32 once (keys transposed, so q.K_j for 16 keys is 16 lanes of broadcast-FMA with
// no horizontal sums), then query rows are taken a few at a time so every loaded key or value
// vector serves several queries. This is the prefill path: in a chunk of T tokens the G query
// heads of a KV head (grouped-query attention) and the T positions all read the same rows, which
// the per-query Attend (attention.h) would widen G x T times. Each row attends to its own range
// [first_key, n) of them (causal, and cut at the front by a sliding window). SIMD (Highway,
// run-time dispatch); AttendReference is the reference.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/attention.h"

namespace gapbench::kernels {

// Floats per key column block: the widened key matrix has a row stride of RowsKeyStride(n).
int64_t RowsKeyStride(int64_t n_keys);

// The segments' n keys and values (f32, f16 or q8_0 rows; all of one type) widened to f32:
// kt[d * stride + j] = K_j[d] (stride = RowsKeyStride(n); columns n..stride-1 are zero) and
// v[j * head_dim + d] = V_j[d]. kt holds head_dim * stride floats, v n * head_dim.
void WidenKv(std::span<const KvSegment> segments, int64_t head_dim, float* kt, float* v);

// Whether AttendRows has a SIMD path for this head size on this CPU: a multiple of two vectors
// (AVX2: 16 floats; AVX-512: 32); else use Attend per row.
bool AttendRowsSupported(int64_t head_dim);

// For r < n_rows: out[r][0..head_dim) = sum_{b_r <= j < n_keys[r]} softmax_j(cap(scale *
// q[r].K_j)) V_j over the widened keys/values, b_r = first_key[r] (0 when first_key is null: a
// sliding window cuts the front of a row's range); b_r < n_keys[r] <= the widened count; cap as
// in Attend (softcap 0: none). scratch: at least AttendRowsScratch(stride) floats.
void AttendRows(const float* const* q, const int64_t* n_keys, int64_t n_rows, const float* kt,
                const float* v, int64_t stride, int64_t head_dim, float scale, float* scratch,
                float* const* out, float softcap = 0.0f, const int64_t* first_key = nullptr);
int64_t AttendRowsScratch(int64_t stride);

}  // namespace gapbench::kernels
