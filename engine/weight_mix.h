// llama.cpp's quantisation mixes: which ggml type each tensor of a model gets for a llama_ftype
// such as Q4_K_M, as llama-quantize assigns them (llama_tensor_get_type in src/llama-quant.cpp,
// no imatrix, no overrides), so `gapbench model random --wtype q4_k_m` and the engine setting
// "weights": "q4_k_m" produce the files users download.
// The rule, for the dense architectures here (no experts, not Falcon, not 70B):
//   - quantised: tensors of >= 2 dimensions whose name ends in "weight" and not "_norm.weight";
//     the rest keeps its type;
//   - `output.weight`, or `token_embd.weight` when the model has no output.weight (tied): Q8_0
//     if its row is not a multiple of the base type's block, else Q6_K (unless the base is Q8_0);
//   - attn_v / attn_qkv / attn_kv_b (counted in llama.cpp's order: by layer, then name) and
//     ffn_down of layer i: Q6_K for Q4_K_M and Q5_K_M where use_more_bits(i, n) =
//     i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2;
//   - everything else the base type;
//   - then per tensor, where the row (ne[0]) is not a multiple of the chosen type's block:
//     Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0 (Q2_K / Q3_K -> Q4_0), and F16 if even that does
//     not divide the row.
// Not here: IQ / Q2_K / Q3_K / Q4_K_S / Q5_K_S mixes, importance matrices, --pure, per-tensor
// overrides.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/types.h"

namespace gapbench::engine {

struct WeightMix {
  std::string_view name;   // "q4_k_m", as llama-quantize names the file type (lower case)
  kernels::GgmlType base;  // llama_ftype_get_default_type
  uint32_t file_type;      // the llama_ftype, written as general.file_type
};

// The mixes: q4_k_m, q5_k_m, q6_k, q5_0, q5_1, q4_1 (case-insensitive), else nullopt.
std::optional<WeightMix> FindWeightMix(std::string_view name);
std::string WeightMixNames();  // "q4_k_m, q5_k_m, q6_k, q5_0, q5_1, q4_1"

struct TensorShape {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] is the row length
};

// The type llama.cpp gives each tensor of a model of n_layer layers under `mix` (same order as
// `tensors`); nullopt for tensors it leaves as they are. Throws Error naming the tensor when a
// type has no fallback for its row length.
std::vector<std::optional<kernels::GgmlType>> AssignWeightTypes(
    const WeightMix& mix, std::span<const TensorShape> tensors, int64_t n_layer);

// llama.cpp's use_more_bits(i_layer, n_layers) (C integer division and remainder).
bool UseMoreBits(int64_t i_layer, int64_t n_layers);

}  // namespace gapbench::engine
