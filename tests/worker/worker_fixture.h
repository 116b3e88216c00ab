// Test helpers for the worker tests: a small native-format suite mixing multiple-choice items
// (few-shot drawn from the suite itself, so draws depend on (seed, item id)) with generation items,
// and the committed fixture model to run it on.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"
#include "tests/test_util.h"

namespace gapbench::testing {

inline std::filesystem::path WorkerFixtureModel(const std::string& name = "llama-mha-f32.gguf") {
  return SourceDir() / "tests" / "fixtures" / "engine" / name;
}

// n items: every third one a generation item (numeric match), the rest multiple choice (cloze
// and letters alternating). Returns the file's path.
inline std::filesystem::path WriteMixedSuite(const std::filesystem::path& file, size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    if (i % 3 == 2) {
      text +=
          StrCat(R"({"kind":"generation","id":"g)", i, R"(","style":"qa","prompt":"What is )", i,
                 R"( plus )", i, R"(?","reference":")", 2 * i,
                 R"(","match":"numeric","solution":"#### )", 2 * i, R"(","stop":["\n"]})", "\n");
    } else {
      text += StrCat(R"({"kind":"multiple_choice","id":"m)", i, R"(","style":")",
                     i % 2 ? "cloze" : "letters", R"(","question":"Which colour is number )", i,
                     R"(?","choices":["red","green","blue","teal"],"gold":)", i % 4,
                     R"(,"tags":{"subject":"colours"}})", "\n");
    }
  }
  WriteFile(file, text);
  return file;
}

}  // namespace gapbench::testing
