#include "coordinator/synth_world.h"

#include <filesystem>

#include "common/error.h"
#include "world/generate.h"

namespace gapbench::coordinator {
namespace fs = std::filesystem;

std::string WorldFolder(const std::string& sweep_dir, const SynthSpec& spec) {
  std::string name =
      StrCat("world-v", world::kGeneratorVersion, "-seed", spec.seed, "-", spec.size);
  if (spec.corpus_tokens > 0) name += StrCat("-", spec.corpus_tokens);
  return (fs::path(sweep_dir) / ".gapbench-worlds" / name).lexically_normal().string();
}

std::string EnsureWorld(const std::string& sweep_dir, const SynthSpec& spec) {
  const std::string dir = WorldFolder(sweep_dir, spec);
  std::error_code ec;
  if (fs::is_regular_file(fs::path(dir) / "manifest.json", ec)) return dir;
  world::SynthOptions o;
  o.seed = spec.seed;
  o.size = spec.size;
  o.corpus_words = spec.corpus_tokens;
  o.out = dir;
  world::Synthesize(o);
  return dir;
}

}  // namespace gapbench::coordinator
