#include "cli/commands.h"
#include "common/error.h"

namespace gapbench::cli {

int CmdDetokenize(const Argv&) { Fail("detokenize: not implemented yet"); }

}  // namespace gapbench::cli
