// ggml tensor types as stored in GGUF files: ids, block sizes and bytes per block.
// Only the traits live here; the block layouts are in quant.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gapbench::kernels {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

struct TypeTraits {
  GgmlType type;
  std::string_view name;  // ggml's name: "f32", "q4_0", "q4_K", ...
  int64_t block_size;     // elements per block (1 for float types)
  int64_t type_size;      // bytes per block
  bool computable;        // MatMul, QuantizeRow and DequantizeRow handle it (weights)
};

// Traits of a known type id, or nullopt for ids this build does not know (an unknown id in a
// file is an error the caller reports with the file and tensor name).
std::optional<TypeTraits> LookupType(uint32_t id);
const TypeTraits& Traits(GgmlType t);  // for known types only
std::string_view TypeName(GgmlType t);
// Parses a ggml type name ("f32", "q8_0", "q4_k", "q6_K", ...; case-insensitive).
std::optional<GgmlType> ParseTypeName(std::string_view name);
// The computable types' names, comma-separated in id order ("f32, f16, q4_0, ..."): for errors.
std::string ComputableTypeNames();

// Bytes of a row of n elements; n must be a multiple of the block size.
inline int64_t RowBytes(const TypeTraits& t, int64_t n) { return n / t.block_size * t.type_size; }

}  // namespace gapbench::kernels
