// phi3: Phi-3 / Phi-3.5 mini with the 4k context (llama.cpp's phi3 graph). Fused attn_qkv
// (rows: Q, then K, then V) and fused ffn_up (gate rows, then up rows; SwiGLU), bound as row
// ranges of the file's tensors. NEOX RoPE, base 10000, scale 1/sqrt(head_dim). The files carry
// attention.sliding_window (2047) but, as llama.cpp does, no window is applied (the engine's
// sliding_window setting can add one). The LongRoPE variants (128k: rope_factors_long/short)
// are refused when the hyper-parameters are read.
#include "engine/family.h"

namespace gapbench::engine {

FamilySpec Phi3Family() {
  FamilySpec f;
  f.arch = "phi3";
  f.default_rope_base = 10000.0f;
  f.default_rms_eps = 1e-5f;
  f.describe = [](const GgufFile&, const ModelHparams&, HParams& hp) {
    hp.rope_style = kernels::RopeStyle::kNeox;
    DescribePlainLayers(hp);
    for (auto& l : hp.layers) l.fused_qkv = l.fused_gate_up = true;
  };
  return f;
}

}  // namespace gapbench::engine
