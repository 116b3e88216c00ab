// qwen2: Qwen2 / Qwen2.5. Biases on q, k, v (none on o), NEOX RoPE (rotate-half pairing),
// base 1e6, RMSNorm eps 1e-6.
#include "engine/family.h"

namespace gapbench::engine {

FamilySpec Qwen2Family() {
  FamilySpec f;
  f.arch = "qwen2";
  f.default_rope_base = 1000000.0f;
  f.default_rms_eps = 1e-6f;
  f.describe = [](const GgufFile&, const ModelHparams&, HParams& hp) {
    hp.rope_style = kernels::RopeStyle::kNeox;
    DescribePlainLayers(hp);
    for (auto& l : hp.layers) l.qkv_bias = true;
  };
  return f;
}

}  // namespace gapbench::engine
