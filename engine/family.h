// Model families: one file per architecture (family_llama.cpp, family_qwen2.cpp, ...) whose
// Describe fills the per-layer description (hparams.h) from the file's keys. The decoder reads
// only that description, so a new family is a new file plus a line in the registry (family.cpp);
// the supported-architecture list is derived from the registry.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf.h"
#include "engine/hparams.h"

namespace gapbench::engine {

struct FamilySpec {
  std::string_view arch;  // general.architecture
  float default_rope_base = 10000.0f;
  float default_rms_eps = 1e-5f;
  // Fills hp's family fields and hp.layers from `raw` (the shapes, rope_base, rms_eps and
  // rope_freq_scale of hp are already read and checked). Fails (Error naming the file) on a
  // variant the engine does not run.
  void (*describe)(const GgufFile& file, const ModelHparams& raw, HParams& hp) = nullptr;
};

// The spec for an architecture name, or nullptr when unsupported.
const FamilySpec* FindFamily(std::string_view arch);
// Comma-separated list of supported architectures, for error messages.
std::string SupportedFamilies();
std::vector<std::string_view> SupportedFamilyNames();

// One function per family file.
FamilySpec LlamaFamily();
FamilySpec Qwen2Family();
FamilySpec Qwen3Family();
FamilySpec Gemma2Family();
FamilySpec Gemma3Family();
FamilySpec Phi3Family();

// Shared by the family files: n_layer layers of the plain pre-norm SwiGLU block with global
// attention at hp.rope_base / hp.rope_freq_scale and scale 1/sqrt(head_dim).
void DescribePlainLayers(HParams& hp);

// Gemma's query scale: attention.scale when the file has it, else llama.cpp's rule
// 1/sqrt(head_dim), or 1/sqrt(n_embd/n_head) for the 27B (its layer count given).
float GemmaQueryScale(const ModelHparams& raw, const HParams& hp, int64_t layers_27b);

}  // namespace gapbench::engine
