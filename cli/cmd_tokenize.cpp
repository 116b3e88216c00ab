#include "cli/commands.h"
#include "common/error.h"

namespace gapbench::cli {

int CmdTokenize(const Argv&) { Fail("tokenize: not implemented yet"); }

}  // namespace gapbench::cli
