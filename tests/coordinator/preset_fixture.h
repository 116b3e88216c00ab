// Test helpers for presets (suites/presets.h): small files in the shared data folder's layout
// (../shared/data/README.md) for every task of open-llm-v1, enough for its shot counts.
#pragma once

#include <filesystem>
#include <string>

#include "common/error.h"
#include "tests/coordinator/sweep_fixture.h"
#include "tests/test_util.h"

namespace gapbench::testing {

// HellaSwag in the authors' JSONL form (no copy in ../shared/data): n validation items.
inline void WriteHellaswag(const std::filesystem::path& file, size_t n) {
  std::filesystem::create_directories(file.parent_path());
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text +=
        StrCat(R"({"ind": )", i, R"(, "activity_label": "Cooking", "ctx_a": "A cook stirs pot )", i,
               R"(.", "ctx_b": "she", "ctx": "", "split": "val", "label": )", i % 4,
               R"(, "endings": ["adds salt.", "walks away.", "sings [title] loudly.", )",
               R"("turns off the stove."]})", "\n");
  }
  WriteFile(file, text);
}

// Every open-llm-v1 file under `data`: ARC-Challenge test (n) + dev (26), HellaSwag (n + 11),
// MMLU (n test rows, 5 dev), TruthfulQA mc_task.json (n questions), WinoGrande (n + 6), GSM8K
// (n + 6): the suites that draw shots from themselves have enough beyond the item.
inline void WritePresetData(const std::filesystem::path& data, size_t n) {
  namespace fs = std::filesystem;
  auto arc = [](size_t count, const std::string& prefix) {
    std::string text;
    for (size_t i = 0; i < count; ++i) {
      text += StrCat(R"({"id":")", prefix, i, R"(","question":{"stem":"Which is item )", i,
                     R"(?","choices":[{"text":"red","label":"A"},{"text":"blue","label":"B"},)",
                     R"({"text":"green","label":"C"}]},"answerKey":")", "ABC"[i % 3], "\"}\n");
    }
    return text;
  };
  fs::create_directories(data / "arc");
  WriteFile(data / "arc" / "ARC-Challenge-Test.jsonl", arc(n, "test-"));
  WriteFile(data / "arc" / "ARC-Challenge-Dev.jsonl", arc(26, "dev-"));
  WriteHellaswag(data / "hellaswag" / "hellaswag_val.jsonl", n + 11);
  WriteMmluFolder(data / "mmlu", n);
  std::string tqa = "[\n";
  for (size_t i = 0; i < n; ++i) {
    tqa += StrCat(i ? ",\n" : "", R"({"question": "Is claim )", i,
                  R"( true?", "mc1_targets": {"Yes.": 1, "No.": 0}, "mc2_targets": {"Yes.": 1, )",
                  R"("Indeed.": 1, "No.": 0}})");
  }
  fs::create_directories(data / "truthfulqa");
  WriteFile(data / "truthfulqa" / "mc_task.json", tqa + "\n]\n");
  std::string wino;
  for (size_t i = 0; i < n + 6; ++i) {
    wino += StrCat(R"({"qID": "q)", i, R"(", "sentence": "Ann gave Bea a cup so _ was kind )", i,
                   R"(.", "option1": "Ann", "option2": "Bea", "answer": ")", 1 + i % 2, "\"}\n");
  }
  fs::create_directories(data / "winogrande");
  WriteFile(data / "winogrande" / "dev.jsonl", wino);
  WriteGsm8k(data / "gsm8k" / "test.jsonl", n + 6);
}

}  // namespace gapbench::testing
