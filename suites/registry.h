// The suites gapbench knows without being told a path: the published data sets in the shared
// data folder (../shared/data next to the checkout) under short names, so `gapbench suites show
// mmlu` works. Paths always win over names.
//
// Not here: loading (loaders.h).
#pragma once

#include <string>
#include <vector>

namespace gapbench::suites {

struct KnownSuite {
  std::string name;  // "mmlu", "humaneval", "gsm8k", and lm-eval's task names ("arc_challenge",
                     // "truthfulqa_mc2", ...) for the task files present
  std::string path;
  std::string format;
};

// The shared data folder: $GAPBENCH_DATA_DIR, else $GAPBENCH_SHARED_DIR/data, else the first
// shared/data found walking up from the working directory and from the executable. "" if none.
std::string FindDataDir();

// The bundled/default suites present under `data_dir` (none when it is empty).
std::vector<KnownSuite> DefaultSuites(const std::string& data_dir);

// `name_or_path` itself when it exists on disk, else the path of the default suite with that
// name; Error listing the known names otherwise.
std::string ResolveSuite(const std::string& name_or_path, const std::string& data_dir);

// The format of the default suite `name_or_path` names ("truthfulqa_mc2" reads the same file as
// "truthfulqa_mc1" in another format); "" for a path or an unknown name.
std::string KnownSuiteFormat(const std::string& name_or_path, const std::string& data_dir);

}  // namespace gapbench::suites
