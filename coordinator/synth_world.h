// Synthetic worlds named by a sweep ({"name": "world", "synth": {"seed": 7, "size": "default"}},
// docs/SWEEP.md): generated once into a cache folder next to the sweep file and reused after
// that, so every validation, the coordinator and the workers read the same files. The suites are
// then loaded and content-hashed like any other suite; their sidecars pin the content hash, so an
// edited cached file fails validation instead of mixing results.
#pragma once

#include <cstdint>
#include <string>

namespace gapbench::coordinator {

struct SynthSpec {
  uint64_t seed = 0;
  std::string size = "default";
  int64_t corpus_tokens = 0;  // 0: the size's default
};

// The folder the world for `spec` lives in under `sweep_dir`:
// SWEEP_DIR/.gapbench-worlds/world-v{generator}-seed{N}-{size}[-{corpus_tokens}].
std::string WorldFolder(const std::string& sweep_dir, const SynthSpec& spec);

// Generates the world into WorldFolder unless its manifest.json is already there (written last,
// so its presence means a complete world). Returns the folder. Throws Error on failure.
std::string EnsureWorld(const std::string& sweep_dir, const SynthSpec& spec);

}  // namespace gapbench::coordinator
