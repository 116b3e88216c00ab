// WinoGrande (AI2, 1.1) JSONL: {"qID", "sentence" with one "_", "option1", "option2", "answer"
// "1"|"2"}; the answer may instead (test-style files) come from the line-aligned sibling
// `{stem}-labels.lst` (dev.jsonl -> dev-labels.lst). When both exist they must agree.
//
// Partial evaluation as lm-eval's winogrande preprocessing: idx = sentence.index("_"); the
// choices are sentence[:idx] + option, the shared continuation sentence[idx+1:].strip(), scored
// after the target delimiter " " (PromptStyle::kPartial).
#include "common/error.h"
#include "suites/loaders_internal.h"
#include "suites/prompt.h"

namespace gapbench::suites::detail {

void LoadWinogrande(const std::string& file, std::string_view text, const Tags& defaults,
                    Suite& suite, std::vector<LoadIssue>& issues) {
  const LabelLines labels = ReadLabelLines(LabelsPathFor(file));
  IdSet ids;
  size_t row = 0;
  ForEachLine(text, [&](size_t line_no, std::string_view line) {
    const size_t index = row++;
    rapidjson::Document doc;
    if (!ParseLine(file, line_no, line, doc, issues)) return;
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    item.style = PromptStyle::kPartial;
    std::string err, sentence, option1, option2, answer;
    if (!GetString(doc, "qID", item.id, err) || !GetString(doc, "sentence", sentence, err) ||
        !GetString(doc, "option1", option1, err) || !GetString(doc, "option2", option2, err)) {
      return bad(err);
    }
    if (doc.HasMember("answer") && !GetString(doc, "answer", answer, err)) return bad(err);
    if (labels.found) {
      if (index >= labels.lines.size()) {
        return bad(StrCat("no label: ", labels.file, " has only ", labels.lines.size(), " lines"));
      }
      const auto& [label_line, label] = labels.lines[index];
      if (label.empty()) {
        issues.push_back({labels.file, label_line,
                          StrCat("a blank line: the labels are line-aligned with ", file,
                                 ", so it would shift every later label")});
        return;
      }
      if (!answer.empty() && answer != label) {
        return bad(StrCat("\"answer\" ", answer, " disagrees with ", labels.file, ":", label_line,
                          " (", label, ")"));
      }
      answer = label;
    }
    if (answer != "1" && answer != "2") {
      return bad(answer.empty() ? StrCat("no \"answer\" and no ", labels.file)
                                : StrCat("answer '", answer, "' must be 1 or 2"));
    }
    const size_t blank = sentence.find('_');
    if (blank == std::string::npos) return bad("\"sentence\" has no \"_\" blank");
    item.choices = {sentence.substr(0, blank) + option1, sentence.substr(0, blank) + option2};
    item.question = PyStrip(std::string_view(sentence).substr(blank + 1));
    item.gold = answer == "1" ? 0 : 1;
    item.tags = defaults;
    item.source = StrCat(file, ":", line_no);
    if (!ids.Add(item.id, file, line_no, issues)) return;
    suite.items.push_back(std::move(item));
  });
  if (labels.found && labels.lines.size() > row) {
    issues.push_back(
        {labels.file, labels.lines[row].first,
         StrCat("more labels (", labels.lines.size(), ") than items (", row, ") in ", file)});
  }
}

}  // namespace gapbench::suites::detail
