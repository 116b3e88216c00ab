// Helpers the published-task loaders share: line-aligned label files (PIQA, WinoGrande) and the
// UTF-8 byte-order mark some published files start with.
#include <filesystem>

#include "common/error.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites::detail {
namespace fs = std::filesystem;

std::string_view StripBom(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  return text;
}

std::string LabelsPathFor(const std::string& jsonl) {
  fs::path p(jsonl);
  std::string stem = p.filename().string();
  for (const char* ext : {".gz", ".jsonl", ".json"}) {
    if (stem.ends_with(ext)) stem.resize(stem.size() - std::string_view(ext).size());
  }
  return (p.parent_path() / (stem + "-labels.lst")).string();
}

LabelLines ReadLabelLines(const std::string& path) {
  LabelLines out;
  out.file = path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return out;
  out.found = true;
  const std::string text = ReadSuiteFile(path);
  const std::string_view t = StripBom(text);
  size_t line_no = 0, pos = 0;
  while (pos < t.size()) {
    ++line_no;
    size_t end = t.find('\n', pos);
    if (end == std::string_view::npos) end = t.size();
    out.lines.emplace_back(line_no, std::string(Trim(t.substr(pos, end - pos))));
    pos = end + 1;
  }
  // A blank line inside the file would shift every later label by one: it stays, as an empty
  // label the loaders report at its line. Blank lines at the end are only formatting.
  while (!out.lines.empty() && out.lines.back().second.empty()) out.lines.pop_back();
  return out;
}

void ReportExtraLabels(const LabelLines& labels, size_t rows, const std::string& file,
                       std::vector<LoadIssue>& issues) {
  if (labels.found && labels.lines.size() > rows) {
    issues.push_back(
        {labels.file, labels.lines[rows].first,
         StrCat("more labels (", labels.lines.size(), ") than items (", rows, ") in ", file)});
  }
}

bool MergeLineLabel(const LabelLines& labels, size_t index, std::string_view key,
                    const std::string& file, size_t line_no, std::string& label, size_t& label_line,
                    std::vector<LoadIssue>& issues) {
  label_line = 0;
  if (!labels.found) return true;
  if (index >= labels.lines.size()) {
    issues.push_back(
        {file, line_no,
         StrCat("no label: ", labels.file, " has only ", labels.lines.size(), " lines")});
    return false;
  }
  const auto& [at, value] = labels.lines[index];
  if (value.empty()) {
    issues.push_back({labels.file, at,
                      StrCat("a blank line: the labels are line-aligned with ", file,
                             ", so it would shift every later label")});
    return false;
  }
  if (!label.empty() && label != value) {
    issues.push_back(
        {file, line_no,
         StrCat(key, " ", label, " disagrees with ", labels.file, ":", at, " (", value, ")")});
    return false;
  }
  label = value;
  label_line = at;
  return true;
}

}  // namespace gapbench::suites::detail
