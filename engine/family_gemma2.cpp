// gemma2: Gemma 2 (llama.cpp's gemma2-iswa graph, transformers' Gemma2ForCausalLM).
// Embeddings times sqrt(n_embd) (f32, as llama.cpp and an f32 transformers model compute it);
// four RMSNorms per layer (attn_norm, post_attention_norm, ffn_norm, post_ffw_norm) whose
// stored weights already hold Gemma's 1 + w; GeGLU with tanh-GELU; attention scores soft-capped
// (attn_logit_softcapping, default 50) and logits soft-capped (final_logit_softcapping, default
// 30); NEOX RoPE; the even layers attend over a sliding window of attention.sliding_window
// positions (default 4096; keys p-W+1..p, transformers' `kv_idx > q_idx - W`), the odd ones
// globally. The query scale is attention.scale when the file has it (our converter writes it
// for a query_pre_attn_scalar other than head_dim), else llama.cpp's rule: 1/sqrt(head_dim),
// 1/sqrt(n_embd/n_head) for the 46-layer 27B.
#include <cmath>

#include "engine/family.h"

namespace gapbench::engine {

float GemmaQueryScale(const ModelHparams& raw, const HParams& hp, int64_t layers_27b) {
  if (raw.attention_scale) return static_cast<float>(*raw.attention_scale);
  const int64_t dim = hp.n_layer == layers_27b ? hp.n_embd / hp.n_head : hp.head_dim;
  return 1.0f / std::sqrt(static_cast<float>(dim));
}

FamilySpec Gemma2Family() {
  FamilySpec f;
  f.arch = "gemma2";
  f.default_rope_base = 10000.0f;
  f.default_rms_eps = 1e-6f;
  f.describe = [](const GgufFile&, const ModelHparams& raw, HParams& hp) {
    hp.rope_style = kernels::RopeStyle::kNeox;
    hp.embd_scale = std::sqrt(static_cast<float>(hp.n_embd));
    hp.final_softcap = static_cast<float>(raw.final_logit_softcapping.value_or(30.0));
    DescribePlainLayers(hp);
    const float scale = GemmaQueryScale(raw, hp, 46);
    const int64_t window = raw.sliding_window.value_or(4096);
    for (int64_t il = 0; il < hp.n_layer; ++il) {
      LayerSpec& l = hp.layers[static_cast<size_t>(il)];
      l.post_attn_norm = l.post_ffn_norm = true;
      l.activation = Activation::kGeGluTanh;
      l.attn_scale = scale;
      l.attn_softcap = static_cast<float>(raw.attn_logit_softcapping.value_or(50.0));
      l.window = il % 2 == 0 ? window : 0;
    }
  };
  return f;
}

}  // namespace gapbench::engine
