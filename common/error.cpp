#include "common/error.h"

#include <cstdio>
#include <cstdlib>

namespace gapbench {

void CheckFailed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "gapbench: internal error at %s:%d: check '%s' failed: %s\n", file, line,
               cond, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace gapbench
