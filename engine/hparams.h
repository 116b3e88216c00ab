// Hyper-parameters of a GGUF model in two stages, from one reader of the file's keys:
//   ModelHparams  -- the keys as stored (all optional), for `model inspect` and for families;
//   HParams       -- the checked model description the engine runs: shapes plus one LayerSpec
//                    per layer (norm placement, q/k norms, activation, soft-caps, window, RoPE),
//                    filled by the architecture's family file (family.h) from ModelHparams.
// Session::Forward reads only HParams, so a family is data, not a code path.
// Not here: tensors (model.h), the engine settings a sweep varies (engine_config.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "kernels/ops.h"

namespace gapbench::engine {

// The architecture-prefixed keys of ENGINE_NOTES §1, as stored. Integer keys stored as per-layer
// arrays are summarised by their largest element (per_layer_heads says so for the head counts).
struct ModelHparams {
  std::optional<int64_t> context_length;
  std::optional<int64_t> embedding_length;
  std::optional<int64_t> block_count;
  std::optional<int64_t> feed_forward_length;
  std::optional<int64_t> head_count;
  std::optional<int64_t> head_count_kv;
  bool per_layer_heads = false;                 // head_count or head_count_kv is an array
  std::optional<int64_t> key_length;            // as stored
  std::optional<int64_t> value_length;          // as stored
  std::optional<int64_t> head_dim;              // key_length, else embedding_length / head_count
  std::optional<int64_t> rope_dimension_count;  // else head_dim
  std::optional<double> rope_freq_base;
  std::optional<double> rope_freq_base_swa;  // base of sliding-window layers (gemma3)
  std::optional<std::string> rope_scaling_type;
  std::optional<double> rope_scaling_factor;
  std::optional<int64_t> rope_scaling_original_context_length;
  bool has_rope_freqs = false;               // a rope_freqs.weight tensor (llama3-style scaling)
  bool has_rope_factors_long_short = false;  // rope_factors_long/short tensors (LongRoPE)
  std::optional<double> rms_epsilon;
  std::optional<int64_t> vocab_size;  // [a].vocab_size, else the tokenizer's token count
  std::optional<int64_t> sliding_window;
  std::optional<double> attention_scale;  // [a].attention.scale (query scale)
  std::optional<double> attn_logit_softcapping;
  std::optional<double> final_logit_softcapping;
};

// Reads every key above for `arch` (nullopt arch: nothing but tensor flags). A key of the wrong
// type is an Error naming the file and key. Never touches tensor data.
ModelHparams ReadModelHparams(const GgufFile& file, const std::optional<std::string>& arch);

enum class Activation {
  kSwiGlu,     // silu(gate) * up
  kGeGluTanh,  // gelu_tanh(gate) * up (Gemma)
};

// How one decoder layer computes, in order:
//   h = Norm(x)·attn_norm; q,k,v = W·h (+bias); [q,k = per-head Norm·q_norm/k_norm];
//   RoPE(q,k; base, freq_scale); a = softmax(cap(scale·q·k)) v over the window; o = Wo·a;
//   [o = Norm(o)·attn_post_norm]; x += o;
//   h = Norm(x)·ffn_norm; f = Wdown·act(Wgate·h, Wup·h); [f = Norm(f)·ffn_post_norm]; x += f.
struct LayerSpec {
  bool qkv_bias = false;        // attn_q/k/v.bias
  bool qk_norm = false;         // attn_q_norm / attn_k_norm: per-head RMSNorm before RoPE
  bool post_attn_norm = false;  // attn_post_norm
  bool post_ffn_norm = false;   // ffn_post_norm
  bool fused_qkv = false;       // one attn_qkv tensor (rows: Q, then K, then V)
  bool fused_gate_up = false;   // ffn_up holds gate rows then up rows (no ffn_gate)
  Activation activation = Activation::kSwiGlu;
  float attn_scale = 1.0f;    // multiplies q·k (1/sqrt(head_dim) unless the family says)
  float attn_softcap = 0.0f;  // scores s -> cap·tanh(s/cap); 0 = none
  int64_t window = 0;         // native sliding window: keys p-W+1..p; 0 = global
  float rope_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / linear scaling factor
  bool rope_freqs = true;        // divide by the rope_freqs tensor when the file has one
};

struct HParams {
  std::string arch;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;          // key/query/value head dimension
  int64_t n_rot = 0;             // rotary dimensions per head (<= head_dim)
  float rope_base = 10000.0f;    // the file's rope.freq_base (global layers)
  float rope_freq_scale = 1.0f;  // 1 / the file's linear scaling factor
  float rms_eps = 1e-5f;
  kernels::RopeStyle rope_style = kernels::RopeStyle::kNorm;
  // RMSNorm multiplies by (1 + w) instead of w. False for every GGUF: converters bake the +1 of
  // Gemma's norms into the stored weights (ENGINE_NOTES §1); a loader of HF weights sets it.
  bool norm_add_one = false;
  float embd_scale = 1.0f;        // token embeddings are multiplied by it (Gemma: sqrt(n_embd))
  float final_softcap = 0.0f;     // logits z -> cap·tanh(z/cap); 0 = none
  std::vector<LayerSpec> layers;  // n_layer entries

  int64_t n_q() const { return n_head * head_dim; }
  int64_t n_kv() const { return n_head_kv * head_dim; }
  const LayerSpec& layer(int64_t il) const { return layers[static_cast<size_t>(il)]; }
};

// The checked description of a GGUF model file: supported family (else an Error naming the
// architecture and listing the supported ones), ranges, head layout, the family's per-layer
// description. Reads no tensor data: cheap enough for validating sweeps.
HParams ReadHParams(const GgufFile& file);

}  // namespace gapbench::engine
