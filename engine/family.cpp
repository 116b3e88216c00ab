#include "engine/family.h"

#include <array>

namespace gapbench::engine {

const FamilySpec* FindFamily(std::string_view arch) {
  static const std::array kFamilies = {LlamaFamily(), Qwen2Family()};
  for (const auto& f : kFamilies) {
    if (f.arch == arch) return &f;
  }
  return nullptr;
}

std::string_view SupportedFamilies() { return "llama, qwen2"; }

}  // namespace gapbench::engine
