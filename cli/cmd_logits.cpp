#include "cli/commands.h"
#include "common/error.h"

namespace gapbench::cli {

int CmdLogits(const Argv&) { Fail("logits: not implemented yet"); }

}  // namespace gapbench::cli
