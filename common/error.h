// Error tiers (STYLE.md): programmer bugs abort through GB_CHECK; expected failures (bad files,
// bad input) throw gapbench::Error, caught once at the process edge; user input never aborts.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace gapbench {

// The one exception type for expected failures. The message names the file, tensor, line or
// item at fault and, where possible, how to fix it.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Concatenates any streamable values: StrCat("tensor '", name, "': ", n, " bytes").
template <typename... Args>
std::string StrCat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

// Throws Error with the concatenated message.
template <typename... Args>
[[noreturn]] void Fail(Args&&... args) {
  throw Error(StrCat(std::forward<Args>(args)...));
}

[[noreturn]] void CheckFailed(const char* file, int line, const char* cond, const std::string& msg);

}  // namespace gapbench

// Always-on invariant check for programmer bugs (never for user input).
#define GB_CHECK(cond, ...)                                                                \
  do {                                                                                     \
    if (!(cond)) [[unlikely]]                                                              \
      ::gapbench::CheckFailed(__FILE__, __LINE__, #cond, ::gapbench::StrCat(__VA_ARGS__)); \
  } while (0)
