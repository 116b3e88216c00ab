// ggml block formats (ggml-common.h) and row conversion to/from f32. Quantisers are bit-exact
// with ggml's reference quantisers (quantize_row_*_ref) so re-quantised weights equal a file
// quantised offline by llama.cpp / gguf-py.
#pragma once

#include <cstdint>

#include "kernels/types.h"

namespace gapbench::kernels {

constexpr int64_t kQK = 32;  // elements per Q8_0 / Q4_0 block

struct BlockQ8_0 {
  uint16_t d;      // f16 scale
  int8_t qs[kQK];  // y = d * q
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockQ4_0 {
  uint16_t d;           // f16 scale
  uint8_t qs[kQK / 2];  // low nibbles: elements 0..15, high nibbles: 16..31; y = d * (q - 8)
};
static_assert(sizeof(BlockQ4_0) == 18);

// n must be a multiple of 32.
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n);
void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n);

// Converts n f32 values into a row of type t (f32, f16, bf16, q8_0, q4_0); n must be a multiple
// of the block size. Throws Error for types without a quantiser.
void QuantizeRow(GgmlType t, const float* x, void* y, int64_t n);
// Converts a row of type t into n f32 values (every type with Traits(t).computable).
void DequantizeRow(GgmlType t, const void* x, float* y, int64_t n);

}  // namespace gapbench::kernels
