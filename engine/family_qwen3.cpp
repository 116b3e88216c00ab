// qwen3: Qwen3 dense models. As qwen2 but without q/k/v biases and with a per-head RMSNorm on q
// and k (attn_q_norm / attn_k_norm, [head_dim]) before RoPE; head_dim is explicit
// (attention.key_length: 128 for Qwen3-0.6B, whose 16 heads x 128 != 1024 = n_embd).
#include "engine/family.h"

namespace gapbench::engine {

FamilySpec Qwen3Family() {
  FamilySpec f;
  f.arch = "qwen3";
  f.default_rope_base = 1000000.0f;
  f.default_rms_eps = 1e-6f;
  f.describe = [](const GgufFile&, const ModelHparams&, HParams& hp) {
    hp.rope_style = kernels::RopeStyle::kNeox;
    DescribePlainLayers(hp);
    for (auto& l : hp.layers) l.qk_norm = true;
  };
  return f;
}

}  // namespace gapbench::engine
