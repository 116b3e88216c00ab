#include "cli/commands.h"
#include "common/error.h"

namespace gapbench::cli {

int CmdGenerate(const Argv&) { Fail("generate: not implemented yet"); }

}  // namespace gapbench::cli
