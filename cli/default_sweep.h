// Where `gapbench run` finds the bundled default sweep when no sweep file is given.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace gapbench::cli {

// The places searched, in order: next to the executable's build tree
// (<exe>/../../examples/default-sweep.json, i.e. build/cli/gapbench in a checkout), an installed
// layout (<exe>/../share/gapbench/default-sweep.json) and the source tree this binary was built
// from (examples/default-sweep.json there).
std::vector<std::filesystem::path> DefaultSweepCandidates();

// The first candidate that is a regular file; throws gapbench::Error listing every place looked
// at when none is.
std::filesystem::path FindDefaultSweep();

}  // namespace gapbench::cli
