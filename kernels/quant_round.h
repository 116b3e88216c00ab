// Rounding shared by the k-quant quantisers: ggml's nearest_int, so quantised bytes equal ggml's.
#pragma once

#include <cstdint>
#include <cstring>

namespace gapbench::kernels {

// Round to nearest, ties to even, for |v| < 2^22 (ggml's nearest_int): adding 1.5 * 2^23 leaves
// the rounded integer in the low mantissa bits.
inline int NearestInt(float v) {
  const float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof(bits));
  return (bits & 0x007fffff) - 0x00400000;
}

}  // namespace gapbench::kernels
