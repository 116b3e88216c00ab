#include "cli/commands.h"
#include "common/error.h"

namespace gapbench::cli {

int CmdModel(const Argv&) { Fail("model: not implemented yet"); }

}  // namespace gapbench::cli
