#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "fuzz/targets.h"
#include "suites/csv.h"
#include "suites/loaders_internal.h"

namespace gapbench::fuzz {

namespace {

// Every problem names the file and a line inside the text.
void CheckIssues(const std::vector<suites::LoadIssue>& issues, std::string_view file,
                 size_t n_lines) {
  for (const auto& issue : issues) {
    GB_CHECK(issue.file == file, "a load issue names '", issue.file, "', not the file");
    GB_CHECK(issue.line <= n_lines + 1, "a load issue names line ", issue.line, " of a ", n_lines,
             "-line text");
    GB_CHECK(!issue.message.empty(), "a load issue without a message");
  }
}

}  // namespace

void FuzzSuiteText(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t n_lines = 1;
  for (char c : text) n_lines += c == '\n' ? 1 : 0;
  using Loader = void (*)(const std::string&, std::string_view, const suites::Tags&, suites::Suite&,
                          std::vector<suites::LoadIssue>&);
  const std::pair<const char*, Loader> loaders[] = {
      {"fuzz-native.jsonl", suites::detail::LoadNative},
      {"fuzz-gsm8k.jsonl", suites::detail::LoadGsm8k},
      {"fuzz-humaneval.jsonl", suites::detail::LoadHumanEval},
      {"fuzz-arc.jsonl", suites::detail::LoadArc},
      {"fuzz-winogrande.jsonl", suites::detail::LoadWinogrande},
      {"fuzz-piqa.jsonl", suites::detail::LoadPiqa},
      {"fuzz-boolq.jsonl", suites::detail::LoadBoolq},
      {"fuzz-hellaswag.jsonl", suites::detail::LoadHellaswag},
      {"fuzz-mc_task.json",
       [](const std::string& f, std::string_view t, const suites::Tags& d, suites::Suite& s,
          std::vector<suites::LoadIssue>& i) {
         suites::detail::LoadTruthfulQa(f, t, true, d, s, i);
       }},
      {"fuzz-schema.jsonl", [](const std::string& f, std::string_view t, const suites::Tags& d,
                               suites::Suite& s, std::vector<suites::LoadIssue>& i) {
         suites::detail::LoadIcl(f, t, "icl_schema", d, s, i);
       }}};
  for (const auto& [file, load] : loaders) {
    suites::Suite suite;
    std::vector<suites::LoadIssue> issues;
    try {
      load(file, text, suites::Tags{}, suite, issues);
    } catch (const Error&) {
      continue;  // a refusal of the whole text is allowed; it names the file (checked upstream)
    }
    CheckIssues(issues, file, n_lines);
    for (const auto& item : suite.items) GB_CHECK(!item.id.empty(), file, ": an item without id");
  }
  std::vector<suites::CsvIssue> csv_issues;
  const auto records = suites::ParseCsv(text, csv_issues);
  for (const auto& issue : csv_issues) {
    GB_CHECK(issue.line >= 1 && issue.line <= n_lines + 1, "a CSV issue names line ", issue.line,
             " of a ", n_lines, "-line text");
  }
  (void)records;
}

}  // namespace gapbench::fuzz
