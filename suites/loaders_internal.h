// Shared pieces of the loaders (loaders.cpp dispatches; mmlu.cpp and jsonl_loaders.cpp read).
// Internal to gb_suites: not a public header.
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <string_view>
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

std::string_view Trim(std::string_view s);

// Overlays the JSON object `v` (split, steps, fact_frequency, subject, family, anything else as
// a free-form string) on `tags`. Returns "" or why the object is not valid tags.
std::string ParseTagsJson(const rapidjson::Value& v, Tags& tags);

// Keys of the first non-blank JSON line of `text` that are objects' members (for detection).
std::vector<std::string> FirstLineKeys(std::string_view text);

}  // namespace gapbench::suites::detail
