// The build's identity: the release version and the source commit, recorded with every sweep
// (coordinator/server.h) and printed by `gapbench --version`. Defined in one generated
// translation unit (cli/write_build_info.cmake, run by every build, rewrites it only when the
// commit changed), so a new commit recompiles that one object and relinks instead of every
// object of the CLI, and the id is the checkout's HEAD at build time, not at configure time.
#pragma once

namespace gapbench::cli {

const char* BuildVersion();  // PROJECT_VERSION, e.g. "0.1.0"
const char* BuildCommit();   // `git rev-parse --short=12 HEAD`; "" outside a git checkout

}  // namespace gapbench::cli
