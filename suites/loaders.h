// Loading suites from the formats they are published in, as they are:
//   mmlu       Hendrycks CSV: a folder with test/ (scored) and dev/ (few-shot) holding
//              {subject}_test.csv / {subject}_dev.csv, or one such file; columns question, A, B,
//              C, D, answer; an optional header row; answers A-D or 0-3.
//   humaneval  JSONL or JSONL.gz: task_id, prompt, canonical_solution, test, entry_point.
//   gsm8k      JSONL: question, answer (worked solution ending in "#### N").
//   gapbench   native JSONL, one item per line (docs/SUITES.md).
//   arc, truthfulqa_mc1, truthfulqa_mc2, winogrande, piqa, boolq, hellaswag
//              the published files of the tasks leaderboards report, turned into lm-eval's
//              prompts (docs/SUITES.md "Tasks as lm-eval scores them").
//   icl_multiple_choice, icl_schema, icl_language_modeling, icl_question_answering
//              MosaicML llm-foundry's in-context-learning JSONL formats.
// A suite may come with a manifest sidecar (FILE.manifest.json, or manifest.json inside a
// folder) giving name, version, format, default tags and an expected content hash.
//
// Validation is part of loading: every bad line is collected (file, line, why) instead of stopping
// at the first, so `gapbench suites validate` can show them all.
//
// Not here: prompts (prompt.h), scoring (scoring.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "suites/suite.h"

namespace gapbench::suites {

struct LoadIssue {
  std::string file;
  size_t line = 0;  // 1-based; 0 when the problem is not on one line
  std::string message;
  std::string ToString() const;  // "file:line: message"
};

struct LoadOptions {
  std::string format;          // "" = detect from the path and the first line; one of the above
  std::string split = "test";  // MMLU: which split folder / file suffix holds the scored items
};

struct LoadResult {
  Suite suite;  // the items that loaded; bad lines are left out
  std::vector<LoadIssue> issues;
};

// Loads what can be loaded and reports every problem in `issues`. Throws Error only when nothing
// can be read at all (missing path, unknown format, unreadable file, bad manifest JSON).
LoadResult LoadSuiteChecked(const std::string& path, const LoadOptions& options = {});

// Loads a suite that must be valid: throws Error listing the problems (the first 20 and a count)
// if there is any. The manifest is complete (counts, content hash).
Suite LoadSuite(const std::string& path, const LoadOptions& options = {});

// The format `path` holds (one of the names above), from its manifest, its name and its first
// line (TruthfulQA's mc_task.json is truthfulqa_mc1 unless the manifest or --format says mc2).
// Throws Error naming the path when it cannot tell.
std::string DetectFormat(const std::string& path);

// Every format a suite file can be read as, for `--format` and a sweep's "format" (mmlu,
// humaneval, gsm8k, gapbench and the lm-eval / llm-foundry task formats).
const std::vector<std::string>& SuiteFormats();
// SuiteFormats() joined by `separator`, for help texts and error messages.
std::string SuiteFormatList(std::string_view separator);

// The whole file, gunzipped when it starts with the gzip magic. Throws Error naming the file.
std::string ReadSuiteFile(const std::string& path);

}  // namespace gapbench::suites
