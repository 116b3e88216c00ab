#include "cli/default_sweep.h"

#include <system_error>

#include "common/error.h"

#ifndef GAPBENCH_SOURCE_DIR
#define GAPBENCH_SOURCE_DIR ""
#endif

namespace gapbench::cli {

namespace fs = std::filesystem;

std::vector<fs::path> DefaultSweepCandidates() {
  std::vector<fs::path> out;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path dir = exe.parent_path();
    out.push_back((dir / ".." / ".." / "examples" / "default-sweep.json").lexically_normal());
    out.push_back((dir / ".." / "share" / "gapbench" / "default-sweep.json").lexically_normal());
  }
  const std::string source = GAPBENCH_SOURCE_DIR;
  if (!source.empty()) {
    const fs::path p = (fs::path(source) / "examples" / "default-sweep.json").lexically_normal();
    if (out.empty() || out.front() != p) out.push_back(p);
  }
  return out;
}

fs::path FindDefaultSweep() {
  std::string tried;
  for (const fs::path& p : DefaultSweepCandidates()) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
    tried += StrCat("\n  ", p.string());
  }
  Fail("gapbench run: no sweep file given and no bundled default sweep found; looked at:", tried,
       "\ngive a sweep file: gapbench run SWEEP.json");
}

}  // namespace gapbench::cli
