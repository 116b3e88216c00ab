// Test helpers for sweeps: real small files in a temp dir (a fixture GGUF model, an MMLU folder,
// a GSM8K JSONL) and a sweep file written next to them.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"
#include "tests/test_util.h"

namespace gapbench::testing {

inline std::filesystem::path FixtureModel(const std::string& name = "llama-mha-f32.gguf") {
  return SourceDir() / "tests" / "fixtures" / "engine" / name;
}

// Copies a fixture model to dir/rel (creating folders).
inline void CopyModel(const std::filesystem::path& to,
                      const std::string& name = "llama-mha-f32.gguf") {
  std::filesystem::create_directories(to.parent_path());
  std::filesystem::copy_file(FixtureModel(name), to,
                             std::filesystem::copy_options::overwrite_existing);
}

// An MMLU folder (test/ and dev/) with n_test rows of one subject; `tweak` changes one question.
inline void WriteMmluFolder(const std::filesystem::path& dir, size_t n_test,
                            const std::string& tweak = "") {
  std::filesystem::create_directories(dir / "test");
  std::filesystem::create_directories(dir / "dev");
  std::string csv;
  for (size_t i = 0; i < n_test; ++i) {
    csv += StrCat("Question ", i, tweak, "?,alpha,beta,gamma,delta,", "ABCD"[i % 4], "\n");
  }
  WriteFile(dir / "test" / "physics_test.csv", csv);
  std::string dev;
  for (int i = 0; i < 5; ++i) dev += StrCat("Dev question ", i, "?,w,x,y,z,", "ABCD"[i % 4], "\n");
  WriteFile(dir / "dev" / "physics_dev.csv", dev);
}

// A GSM8K JSONL file with n items.
inline void WriteGsm8k(const std::filesystem::path& file, size_t n) {
  std::filesystem::create_directories(file.parent_path());
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text += StrCat(R"({"question":"What is )", i, R"( + 1?","answer":")", i, " + 1 = ", i + 1,
                   R"(\n#### )", i + 1, "\"}\n");
  }
  WriteFile(file, text);
}

// The example of the issue and docs/SWEEP.md, verbatim.
inline constexpr const char* kExampleSweep = R"({"name": "example",
 "models": [{"alias": "small", "path": "models/small.gguf"}],
 "engines": [{"name": "base", "config": {}}, {"name": "q8", "config": {"weights": "q8_0"}}],
 "suites": [{"name": "mmlu", "path": "data/mmlu", "format": "mmlu", "fewshot": 5, "limit": 200}],
 "grid": {"model": ["small"], "engine": ["base", "q8"], "suite": ["mmlu"]},
 "seed": 1, "shard_size": 10})";

// The files the example refers to, under `root`: a model and a 250-item MMLU folder.
inline void WriteExampleFiles(const std::filesystem::path& root, size_t n_items = 250) {
  CopyModel(root / "models" / "small.gguf");
  WriteMmluFolder(root / "data" / "mmlu", n_items);
}

}  // namespace gapbench::testing
