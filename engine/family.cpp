#include "engine/family.h"

#include <array>
#include <cmath>

namespace gapbench::engine {
namespace {

const std::vector<FamilySpec>& Registry() {
  static const std::vector<FamilySpec> kFamilies = {LlamaFamily(),  Qwen2Family(),  Qwen3Family(),
                                                    Gemma2Family(), Gemma3Family(), Phi3Family()};
  return kFamilies;
}

}  // namespace

const FamilySpec* FindFamily(std::string_view arch) {
  for (const auto& f : Registry()) {
    if (f.arch == arch) return &f;
  }
  return nullptr;
}

std::vector<std::string_view> SupportedFamilyNames() {
  std::vector<std::string_view> out;
  for (const auto& f : Registry()) out.push_back(f.arch);
  return out;
}

std::string SupportedFamilies() {
  std::string out;
  for (const auto& f : Registry()) {
    if (!out.empty()) out += ", ";
    out += f.arch;
  }
  return out;
}

void DescribePlainLayers(HParams& hp) {
  LayerSpec l;
  l.attn_scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
  l.rope_base = hp.rope_base;
  l.rope_freq_scale = hp.rope_freq_scale;
  hp.layers.assign(static_cast<size_t>(hp.n_layer), l);
}

}  // namespace gapbench::engine
