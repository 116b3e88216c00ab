// Shared pieces of the loaders (loaders.cpp dispatches; mmlu.cpp and jsonl_loaders.cpp read).
// Internal to gb_suites: not a public header.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "suites/loaders.h"

namespace gapbench::suites::detail {

// Every loader appends the items it could read and one LoadIssue per bad line. `defaults` are
// the manifest's default tags; a loader starts each item's tags from them.
void LoadMmlu(const std::string& path, const std::string& split, const Tags& defaults, Suite& suite,
              std::vector<LoadIssue>& issues);
void LoadHumanEval(const std::string& file, std::string_view text, const Tags& defaults,
                   Suite& suite, std::vector<LoadIssue>& issues);
void LoadGsm8k(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
               std::vector<LoadIssue>& issues);
void LoadNative(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
                std::vector<LoadIssue>& issues);
// The lm-eval tasks and llm-foundry ICL formats (docs/SUITES.md), one file each: arc.cpp,
// truthfulqa.cpp, winogrande.cpp, piqa.cpp, boolq.cpp, hellaswag.cpp, icl.cpp. `file` is also
// where a loader looks for sibling files (labels, a few-shot pool).
void LoadArc(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
             std::vector<LoadIssue>& issues);
void LoadTruthfulQa(const std::string& file, std::string_view text, bool mc2, const Tags& defaults,
                    Suite& suite, std::vector<LoadIssue>& issues);
void LoadWinogrande(const std::string& file, std::string_view text, const Tags& defaults,
                    Suite& suite, std::vector<LoadIssue>& issues);
void LoadPiqa(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
              std::vector<LoadIssue>& issues);
void LoadBoolq(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
               std::vector<LoadIssue>& issues);
void LoadHellaswag(const std::string& file, std::string_view text, const Tags& defaults,
                   Suite& suite, std::vector<LoadIssue>& issues);
// format: "icl_multiple_choice" | "icl_schema" | "icl_language_modeling" |
//         "icl_question_answering"
void LoadIcl(const std::string& file, std::string_view text, const std::string& format,
             const Tags& defaults, Suite& suite, std::vector<LoadIssue>& issues);

// Reads a line as a JSON object (strict: valid UTF-8, no duplicate keys) or records why not.
bool ParseLine(const std::string& file, size_t line_no, std::string_view line,
               rapidjson::Document& doc, std::vector<LoadIssue>& issues);
// A required string member (false and `err` set when absent or not a string).
bool GetString(const rapidjson::Value& obj, const char* key, std::string& out, std::string& err);
bool GetStringList(const rapidjson::Value& v, const char* key, std::vector<std::string>& out,
                   std::string& err);

// Keeps item ids unique: a repeated id is an issue on the later line.
class IdSet {
 public:
  bool Add(const std::string& id, const std::string& file, size_t line,
           std::vector<LoadIssue>& issues);

 private:
  std::unordered_set<std::string> ids_;
};

// A label file line-aligned with a JSONL file (PIQA's valid-labels.lst, WinoGrande's
// dev-labels.lst): every line up to the last non-blank one, trimmed, with its line number (a
// blank line inside the file is kept as "" so that it is reported, not silently skipped).
// Empty (and `found` false) when the file does not exist.
struct LabelLines {
  std::string file;
  bool found = false;
  std::vector<std::pair<size_t, std::string>> lines;
};
LabelLines ReadLabelLines(const std::string& path);
// The label of the `index`-th item of `file`: `label` holds the line's own label ("" when the
// line has none, `key` names it in messages) and gets the label file's value when there is one;
// `label_line` is then that value's line (else 0). False, with the issue recorded, when the label
// file has no such line, the line is blank (it would shift every later label) or the two disagree.
// A label file longer than the `rows` lines of `file` it labels: an issue at its first extra line.
void ReportExtraLabels(const LabelLines& labels, size_t rows, const std::string& file,
                       std::vector<LoadIssue>& issues);
bool MergeLineLabel(const LabelLines& labels, size_t index, std::string_view key,
                    const std::string& file, size_t line_no, std::string& label, size_t& label_line,
                    std::vector<LoadIssue>& issues);
// `jsonl` with its extension replaced by "-labels.lst" ("dir/valid.jsonl" ->
// "dir/valid-labels.lst").
std::string LabelsPathFor(const std::string& jsonl);

// The file without a leading UTF-8 byte-order mark.
std::string_view StripBom(std::string_view text);

// Calls fn(line_number, line) for every line that is not blank (CR of CRLF removed).
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    fn(line_no, line);
  }
}

// Calls fn(line_no, index, doc) for every non-blank line of `text` that is a JSON object (a line
// that is not is an issue at its line); `index` counts the non-blank lines from 0, the position a
// line-aligned label file uses. Returns the number of non-blank lines.
template <typename Fn>
size_t ForEachJsonLine(const std::string& file, std::string_view text,
                       std::vector<LoadIssue>& issues, Fn&& fn) {
  size_t rows = 0;
  ForEachLine(text, [&](size_t line_no, std::string_view line) {
    const size_t index = rows++;
    rapidjson::Document doc;
    if (ParseLine(file, line_no, line, doc, issues)) fn(line_no, index, doc);
  });
  return rows;
}

std::string_view Trim(std::string_view s);

// Overlays the JSON object `v` (split, steps, fact_frequency, subject, family, anything else as
// a free-form string) on `tags`. Returns "" or why the object is not valid tags.
std::string ParseTagsJson(const rapidjson::Value& v, Tags& tags);

// Keys of the first non-blank JSON line of `text` that are objects' members (for detection).
std::vector<std::string> FirstLineKeys(std::string_view text);

}  // namespace gapbench::suites::detail
