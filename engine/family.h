// Per-architecture conventions of the shared decoder block. Each family (one file each:
// family_llama.cpp, family_qwen2.cpp, ...) fills a FamilySpec; the decoder reads only the spec,
// so a new family is a new file plus a line in the registry (family.cpp).
#pragma once

#include <string_view>

#include "kernels/ops.h"

namespace gapbench::engine {

struct FamilySpec {
  std::string_view arch;  // general.architecture
  kernels::RopeStyle rope_style = kernels::RopeStyle::kNorm;
  bool qkv_bias = false;  // bq/bk/bv present (qwen2)
  float default_rope_base = 10000.0f;
  float default_rms_eps = 1e-5f;
};

// The spec for an architecture name, or nullptr when unsupported.
const FamilySpec* FindFamily(std::string_view arch);
// Comma-separated list of supported architectures, for error messages.
std::string_view SupportedFamilies();

// One function per family file.
FamilySpec LlamaFamily();
FamilySpec Qwen2Family();

}  // namespace gapbench::engine
