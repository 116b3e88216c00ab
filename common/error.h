// Error tiers (STYLE.md): programmer bugs abort through GB_CHECK; expected failures (bad files,
// bad input, a machine that runs out of something) throw gapbench::Error, caught once at the
// process edge; user input never aborts.
//
// Every Error has a kind (as DuckDB's ExceptionType): the kind, not the place it was thrown,
// decides what happens next -- the exit code of a command (docs in README.md "Exit codes"),
// whether a worker retries a shard, and how the report labels a poisoned shard.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace gapbench {

enum class ErrorKind {
  // Bad files, options, configurations, suites, sweeps: the same inputs fail the same way on any
  // machine, so retrying is pointless. Exit code 2.
  kInput,
  // The machine: memory, disk, processes, sockets, a sandbox that cannot start. May succeed
  // later or elsewhere: retryable. Exit code 1.
  kResource,
  // A failure nobody anticipated (a library's own exception). Retryable once more, since the
  // cause is unknown. Exit code 1.
  kInternal,
};

std::string_view ErrorKindName(ErrorKind kind);  // "input" | "resource" | "internal"
// Whether running the same work again may succeed (everything but input errors).
inline bool Retryable(ErrorKind kind) { return kind != ErrorKind::kInput; }
// The exit code of a command that failed with an error of this kind (input 2, else 1).
inline int ExitCodeFor(ErrorKind kind) { return kind == ErrorKind::kInput ? 2 : 1; }

// The one exception type for expected failures. The message names the file, tensor, line or
// item at fault and, where possible, how to fix it.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, ErrorKind kind = ErrorKind::kInput)
      : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  bool retryable() const { return Retryable(kind_); }

 private:
  ErrorKind kind_;
};

// The kind of any exception: an Error's own, resource for std::bad_alloc and std::system_error,
// internal for anything else.
ErrorKind KindOf(const std::exception& e);

// Concatenates any streamable values: StrCat("tensor '", name, "': ", n, " bytes").
template <typename... Args>
std::string StrCat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}

// Throws an input Error with the concatenated message.
template <typename... Args>
[[noreturn]] void Fail(Args&&... args) {
  throw Error(StrCat(std::forward<Args>(args)...), ErrorKind::kInput);
}

// Throws a resource Error (memory, processes, disk, sockets) with the concatenated message.
template <typename... Args>
[[noreturn]] void FailResource(Args&&... args) {
  throw Error(StrCat(std::forward<Args>(args)...), ErrorKind::kResource);
}

[[noreturn]] void CheckFailed(const char* file, int line, const char* cond, const std::string& msg);

}  // namespace gapbench

// Always-on invariant check for programmer bugs (never for user input).
#define GB_CHECK(cond, ...)                                                                \
  do {                                                                                     \
    if (!(cond)) [[unlikely]]                                                              \
      ::gapbench::CheckFailed(__FILE__, __LINE__, #cond, ::gapbench::StrCat(__VA_ARGS__)); \
  } while (0)
