#include "cli/commands.h"
#include "common/error.h"

namespace gapbench::cli {

int CmdBench(const Argv&) { Fail("bench: not implemented yet"); }

}  // namespace gapbench::cli
