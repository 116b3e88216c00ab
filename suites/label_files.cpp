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

}  // namespace gapbench::suites::detail
