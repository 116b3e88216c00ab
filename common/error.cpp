#include "common/error.h"

#include <cstdio>
#include <cstdlib>
#include <new>
#include <system_error>

namespace gapbench {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInput:
      return "input";
    case ErrorKind::kResource:
      return "resource";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

ErrorKind KindOf(const std::exception& e) {
  if (const auto* err = dynamic_cast<const Error*>(&e)) return err->kind();
  if (dynamic_cast<const std::bad_alloc*>(&e) || dynamic_cast<const std::system_error*>(&e)) {
    return ErrorKind::kResource;
  }
  return ErrorKind::kInternal;
}

void CheckFailed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "gapbench: internal error at %s:%d: check '%s' failed: %s\n", file, line,
               cond, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace gapbench
