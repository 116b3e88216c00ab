// MMLU (Hendrycks CSV) loader. Layouts accepted:
//   DIR/{split}/{subject}_{split}.csv (+ DIR/dev/{subject}_dev.csv as the few-shot pool)
//   DIR/*.csv (files ending _dev.csv become the few-shot pool, the rest are scored)
//   FILE.csv (+ ../dev/{subject}_dev.csv next to it when present)
// Columns: question, A, B, C, D, answer (A-D or 0-3); a header row is skipped. Subject = the file
// name without "_{split}.csv".
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "common/error.h"
#include "suites/csv.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites::detail {
namespace fs = std::filesystem;

namespace {

constexpr size_t kColumns = 6;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "abstract_algebra_test.csv" -> "abstract_algebra" (any _test/_dev/_val suffix).
std::string SubjectOf(const fs::path& file) {
  std::string stem = file.stem().string();
  for (const char* suffix : {"_test", "_dev", "_val", "_validation", "_train"}) {
    const std::string_view s(suffix);
    if (stem.size() > s.size() && stem.ends_with(s)) return stem.substr(0, stem.size() - s.size());
  }
  return stem;
}

bool LooksLikeHeader(const CsvRecord& rec) {
  if (rec.fields.empty()) return false;
  const std::string first = Lower(Trim(rec.fields.front()));
  const std::string last = Lower(Trim(rec.fields.back()));
  return first == "question" || last == "answer" || last == "target" || last == "label";
}

void LoadFile(const fs::path& file, const std::string& id_prefix, const Tags& defaults,
              std::vector<Item>& out, std::vector<LoadIssue>& issues) {
  const std::string name = file.string();
  std::string text;
  try {
    text = ReadSuiteFile(name);
  } catch (const Error& e) {
    issues.push_back({name, 0, e.what()});
    return;
  }
  std::vector<CsvIssue> csv_issues;
  const std::vector<CsvRecord> records = ParseCsv(text, csv_issues);
  for (const auto& ci : csv_issues) issues.push_back({name, ci.line, ci.message});
  const std::string subject = SubjectOf(file);
  size_t row = 0;
  for (size_t r = 0; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    if (r == 0 && LooksLikeHeader(rec)) continue;
    // Rows keep their index even when bad, so ids do not shift when a line is fixed.
    const size_t row_idx = row++;
    if (rec.fields.size() != kColumns) {
      issues.push_back(
          {name, rec.line,
           StrCat("expected 6 fields (question, A, B, C, D, answer), found ", rec.fields.size(),
                  rec.fields.size() > kColumns ? " (an unquoted comma?)"
                                               : " (a missing field or a broken quote?)")});
      continue;
    }
    const std::string_view ans = Trim(rec.fields[5]);
    int gold = -1;
    if (ans.size() == 1 && ans[0] >= 'A' && ans[0] <= 'D') gold = ans[0] - 'A';
    if (ans.size() == 1 && ans[0] >= '0' && ans[0] <= '3') gold = ans[0] - '0';
    if (gold < 0) {
      issues.push_back(
          {name, rec.line, StrCat("answer '", ans, "' is not one of A, B, C, D or 0, 1, 2, 3")});
      continue;
    }
    if (Trim(rec.fields[0]).empty()) {
      issues.push_back({name, rec.line, "empty question"});
      continue;
    }
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    item.style = PromptStyle::kLetters;
    item.id = StrCat(subject, id_prefix, row_idx);
    item.question = rec.fields[0];
    item.choices.assign(rec.fields.begin() + 1, rec.fields.begin() + 5);
    item.gold = gold;
    item.tags = defaults;
    item.tags.subject = subject;
    item.source = StrCat(name, ":", rec.line);
    out.push_back(std::move(item));
  }
}

std::vector<fs::path> CsvFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".csv") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // subjects in name order, as LME lists them
  return files;
}

}  // namespace

void LoadMmlu(const std::string& path, const std::string& split, const Tags& defaults, Suite& suite,
              std::vector<LoadIssue>& issues) {
  const fs::path p(path);
  std::error_code ec;
  const std::string item_prefix = "/";
  const std::string shot_prefix = "/dev/";
  if (!fs::is_directory(p, ec)) {
    LoadFile(p, item_prefix, defaults, suite.items, issues);
    const fs::path dev = p.parent_path().parent_path() / "dev" / (SubjectOf(p) + "_dev.csv");
    if (split != "dev" && fs::is_regular_file(dev, ec)) {
      LoadFile(dev, shot_prefix, defaults, suite.fewshot, issues);
    }
    return;
  }
  if (fs::is_directory(p / split, ec)) {
    for (const auto& f : CsvFiles(p / split))
      LoadFile(f, item_prefix, defaults, suite.items, issues);
    if (split != "dev" && fs::is_directory(p / "dev", ec)) {
      for (const auto& f : CsvFiles(p / "dev"))
        LoadFile(f, shot_prefix, defaults, suite.fewshot, issues);
    }
    return;
  }
  const auto files = CsvFiles(p);
  if (files.empty()) {
    issues.push_back({path, 0, StrCat("no ", split, "/ folder and no .csv files")});
    return;
  }
  for (const auto& f : files) {
    const bool is_dev = f.stem().string().ends_with("_dev");
    if (is_dev && split != "dev") {
      LoadFile(f, shot_prefix, defaults, suite.fewshot, issues);
    } else {
      LoadFile(f, item_prefix, defaults, suite.items, issues);
    }
  }
}

}  // namespace gapbench::suites::detail
