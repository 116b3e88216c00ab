// Shared helpers for gapbench tests: locating the source tree, ../shared/data (skipping cleanly
// when it is absent), temporary directories, running the CLI as a real process.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace gapbench::testing {

std::filesystem::path SourceDir();
// ../shared/data next to the checkout (or $GAPBENCH_SHARED_DIR/data); empty if absent.
std::filesystem::path SharedDataDir();
// The gapbench executable ($GAPBENCH_BIN).
std::string GapbenchBin();

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs a program (no shell) with the given arguments, capturing stdout and stderr.
ProcessResult RunProcess(const std::vector<std::string>& argv);

std::string ReadFile(const std::filesystem::path& p);
void WriteFile(const std::filesystem::path& p, const std::string& data);

}  // namespace gapbench::testing

// Skips the current test when ../shared/data is absent, with a clear message.
#define GB_REQUIRE_SHARED_DATA(var)                                                      \
  const auto var = ::gapbench::testing::SharedDataDir();                                 \
  if (var.empty()) {                                                                     \
    GTEST_SKIP() << "../shared/data is absent (only developer machines and CI have it)"; \
  }
