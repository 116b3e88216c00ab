// llama.cpp's per-tensor type assignment for the quantisation mixes (see weight_mix.h for the
// rule and its source). The counters follow llama-quantize: tensors are visited sorted by layer
// (non-layer tensors first), then by name, as its weight map orders them; attn_v-like tensors
// count from 0 in that order, ffn_down tensors likewise against n_layer.
#include "engine/weight_mix.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <numeric>

#include "common/error.h"

namespace gapbench::engine {
namespace {

using kernels::GgmlType;

// llama_ftype values (llama.h).
constexpr uint32_t kFtypeQ4_1 = 3;
constexpr uint32_t kFtypeQ5_0 = 8;
constexpr uint32_t kFtypeQ5_1 = 9;
constexpr uint32_t kFtypeQ4_K_M = 15;
constexpr uint32_t kFtypeQ5_K_M = 17;
constexpr uint32_t kFtypeQ6_K = 18;

constexpr std::array kMixes = {
    WeightMix{"q4_k_m", GgmlType::kQ4_K, kFtypeQ4_K_M},
    WeightMix{"q5_k_m", GgmlType::kQ5_K, kFtypeQ5_K_M},
    WeightMix{"q6_k", GgmlType::kQ6_K, kFtypeQ6_K},
    WeightMix{"q5_0", GgmlType::kQ5_0, kFtypeQ5_0},
    WeightMix{"q5_1", GgmlType::kQ5_1, kFtypeQ5_1},
    WeightMix{"q4_1", GgmlType::kQ4_1, kFtypeQ4_1},
};

enum class Category { kTokenEmbd, kOutput, kAttnV, kFfnDown, kOther };

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// llama.cpp's tensor_get_category, reduced to the categories the mixes here look at (the
// attn_q / attn_k / attn_output / ffn_up / ffn_gate categories change nothing for them).
Category CategoryOf(std::string_view name) {
  if (name == "output.weight") return Category::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") {
    return Category::kTokenEmbd;
  }
  if (Contains(name, "attn_qkv.weight") || Contains(name, "attn_kv_b.weight") ||
      Contains(name, "attn_v.weight")) {
    return Category::kAttnV;
  }
  if (Contains(name, "attn_k.weight") || Contains(name, "attn_q.weight") ||
      Contains(name, "attn_output.weight") || Contains(name, "ffn_up") ||
      Contains(name, "ffn_gate")) {
    return Category::kOther;
  }
  if (Contains(name, "ffn_down")) return Category::kFfnDown;
  return Category::kOther;
}

// llama.cpp's tensor_allows_quantization for these architectures.
bool Quantised(const TensorShape& t) {
  if (t.ne.size() < 2) return false;
  const std::string_view name = t.name;
  const bool weight = name.size() >= 6 && name.substr(name.size() - 6) == "weight";
  return weight && !Contains(name, "_norm.weight") && !Contains(name, "ffn_gate_inp.weight");
}

// The layer of "blk.N." names, -1 for the others (llama.cpp's sscanf("blk.%d.")).
int64_t LayerOf(const std::string& name) {
  int layer = -1;
  if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1) return -1;
  return layer;
}

// llama.cpp's tensor_type_fallback: a type whose block does not divide the row.
GgmlType Fallback(const TensorShape& t, GgmlType type) {
  const int64_t ncols = t.ne[0];
  if (ncols % kernels::Traits(type).block_size == 0) return type;
  GgmlType out;
  switch (type) {
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
      out = GgmlType::kQ4_0;
      break;
    case GgmlType::kQ4_K:
      out = GgmlType::kQ5_0;
      break;
    case GgmlType::kQ5_K:
      out = GgmlType::kQ5_1;
      break;
    case GgmlType::kQ6_K:
      out = GgmlType::kQ8_0;
      break;
    default:
      Fail("tensor '", t.name, "': a row of ", ncols, " values is not a multiple of the ",
           kernels::TypeName(type), " block size ", kernels::Traits(type).block_size,
           " and llama.cpp defines no fallback type for ", kernels::TypeName(type));
  }
  return ncols % kernels::Traits(out).block_size == 0 ? out : GgmlType::kF16;
}

}  // namespace

std::optional<WeightMix> FindWeightMix(std::string_view name) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& m : kMixes) {
    if (m.name == lower) return m;
  }
  return std::nullopt;
}

std::string WeightMixNames() {
  std::string names;
  for (const auto& m : kMixes) names += (names.empty() ? "" : ", ") + std::string(m.name);
  return names;
}

bool UseMoreBits(int64_t i_layer, int64_t n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

std::vector<std::optional<GgmlType>> AssignWeightTypes(const WeightMix& mix,
                                                       std::span<const TensorShape> tensors,
                                                       int64_t n_layer) {
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int64_t la = LayerOf(tensors[a].name), lb = LayerOf(tensors[b].name);
    if (la != lb) return la < lb;
    return tensors[a].name < tensors[b].name;
  });
  int64_t n_attn_v = 0;
  bool tied = true;
  for (const auto& t : tensors) {
    const Category c = CategoryOf(t.name);
    if (c == Category::kAttnV) ++n_attn_v;
    if (c == Category::kOutput) tied = false;
  }
  const bool more_bits_mix = mix.name == "q4_k_m" || mix.name == "q5_k_m";
  int64_t i_attn_v = 0;
  int64_t i_ffn_down = 0;
  std::vector<std::optional<GgmlType>> out(tensors.size());
  for (const size_t i : order) {
    const TensorShape& t = tensors[i];
    if (!Quantised(t)) continue;
    GgmlType type = mix.base;
    switch (CategoryOf(t.name)) {
      case Category::kOutput:
        type = t.ne[0] % kernels::Traits(mix.base).block_size != 0 ? GgmlType::kQ8_0
               : mix.base != GgmlType::kQ8_0                       ? GgmlType::kQ6_K
                                                                   : mix.base;
        break;
      case Category::kTokenEmbd:
        if (tied) {  // quantised as the output it doubles as
          type = t.ne[0] % kernels::Traits(mix.base).block_size != 0 ? GgmlType::kQ8_0
                 : mix.base != GgmlType::kQ8_0                       ? GgmlType::kQ6_K
                                                                     : mix.base;
        }
        break;
      case Category::kAttnV:
        if (more_bits_mix && UseMoreBits(i_attn_v, n_attn_v)) type = GgmlType::kQ6_K;
        ++i_attn_v;
        break;
      case Category::kFfnDown:
        if (more_bits_mix && UseMoreBits(i_ffn_down, n_layer)) type = GgmlType::kQ6_K;
        ++i_ffn_down;
        break;
      case Category::kOther:
        break;
    }
    out[i] = Fallback(t, type);
  }
  return out;
}

}  // namespace gapbench::engine
