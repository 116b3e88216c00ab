// gemma3: Gemma 3 text models (llama.cpp's gemma3 graph, transformers' Gemma3ForCausalLM).
// Gemma 2's block (sqrt(n_embd) embeddings, four norms holding 1 + w, GeGLU-tanh, NEOX RoPE,
// the same query-scale rule) plus a per-head RMSNorm on q and k before RoPE, and no soft-caps.
// Five local layers to one global: layer il is global when il % 6 == 5. Local layers attend
// over attention.sliding_window positions (512 for 1B, 1024 otherwise; no key: all global, as
// llama.cpp does) with RoPE base rope.freq_base_swa (default 10000) and no scaling; global
// layers use rope.freq_base (default 1e6) and the file's linear scaling (factor 8 on 4B-27B).
#include <cmath>

#include "engine/family.h"

namespace gapbench::engine {

FamilySpec Gemma3Family() {
  FamilySpec f;
  f.arch = "gemma3";
  f.default_rope_base = 1000000.0f;
  f.default_rms_eps = 1e-6f;
  f.describe = [](const GgufFile&, const ModelHparams& raw, HParams& hp) {
    hp.rope_style = kernels::RopeStyle::kNeox;
    hp.embd_scale = std::sqrt(static_cast<float>(hp.n_embd));
    hp.final_softcap = static_cast<float>(raw.final_logit_softcapping.value_or(0.0));
    DescribePlainLayers(hp);
    const float scale = GemmaQueryScale(raw, hp, 62);
    const int64_t window = raw.sliding_window.value_or(0);
    const auto local_base = static_cast<float>(raw.rope_freq_base_swa.value_or(10000.0));
    for (int64_t il = 0; il < hp.n_layer; ++il) {
      LayerSpec& l = hp.layers[static_cast<size_t>(il)];
      l.qk_norm = l.post_attn_norm = l.post_ffn_norm = true;
      l.activation = Activation::kGeGluTanh;
      l.attn_scale = scale;
      if (window > 0 && il % 6 != 5) {
        l.window = window;
        l.rope_base = local_base;
        l.rope_freq_scale = 1.0f;
      }
    }
  };
  return f;
}

}  // namespace gapbench::engine
