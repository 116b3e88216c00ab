// llama: Llama 2/3, SmolLM2, Mistral-style. GGUF stores Q/K rows permuted by the converter so
// RoPE pairs adjacent dims (NORM). Llama-3 frequency scaling arrives as a rope_freqs tensor.
#include "engine/family.h"

namespace gapbench::engine {

FamilySpec LlamaFamily() {
  FamilySpec f;
  f.arch = "llama";
  f.default_rope_base = 10000.0f;
  f.default_rms_eps = 1e-5f;
  f.describe = [](const GgufFile&, const ModelHparams&, HParams& hp) {
    hp.rope_style = kernels::RopeStyle::kNorm;
    DescribePlainLayers(hp);
  };
  return f;
}

}  // namespace gapbench::engine
