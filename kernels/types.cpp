#include "kernels/types.h"

#include <array>
#include <cctype>
#include <string>

#include "common/error.h"

namespace gapbench::kernels {
namespace {

constexpr std::array kTypes = {
    TypeTraits{GgmlType::kF32, "f32", 1, 4, true},
    TypeTraits{GgmlType::kF16, "f16", 1, 2, true},
    TypeTraits{GgmlType::kQ4_0, "q4_0", 32, 18, true},
    TypeTraits{GgmlType::kQ4_1, "q4_1", 32, 20, true},
    TypeTraits{GgmlType::kQ5_0, "q5_0", 32, 22, true},
    TypeTraits{GgmlType::kQ5_1, "q5_1", 32, 24, true},
    TypeTraits{GgmlType::kQ8_0, "q8_0", 32, 34, true},
    TypeTraits{GgmlType::kQ8_1, "q8_1", 32, 36, false},
    TypeTraits{GgmlType::kQ2_K, "q2_K", 256, 84, false},
    TypeTraits{GgmlType::kQ3_K, "q3_K", 256, 110, false},
    TypeTraits{GgmlType::kQ4_K, "q4_K", 256, 144, true},
    TypeTraits{GgmlType::kQ5_K, "q5_K", 256, 176, true},
    TypeTraits{GgmlType::kQ6_K, "q6_K", 256, 210, true},
    TypeTraits{GgmlType::kQ8_K, "q8_K", 256, 292, false},
    TypeTraits{GgmlType::kBF16, "bf16", 1, 2, true},
};

}  // namespace

std::optional<TypeTraits> LookupType(uint32_t id) {
  for (const auto& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == id) return t;
  }
  return std::nullopt;
}

const TypeTraits& Traits(GgmlType type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t;
  }
  GB_CHECK(false, "unknown ggml type ", static_cast<uint32_t>(type));
}

std::string_view TypeName(GgmlType t) { return Traits(t).name; }

std::optional<GgmlType> ParseTypeName(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& t : kTypes) {
    std::string tn(t.name);
    for (auto& c : tn) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (tn == lower) return t.type;
  }
  return std::nullopt;
}

std::string ComputableTypeNames() {
  std::string names;
  for (const auto& t : kTypes) {
    if (t.computable) names += (names.empty() ? "" : ", ") + std::string(t.name);
  }
  return names;
}

}  // namespace gapbench::kernels
