// PIQA as its authors publish it: valid.jsonl ({"goal", "sol1", "sol2"}, no label) and the
// line-aligned valid-labels.lst (0 -> sol1, 1 -> sol2); a "label" inside the line (the Hugging
// Face form) is read too and must agree with the .lst when both exist.
// Prompt as lm-eval's piqa.yaml: "Question: {goal}\nAnswer:", choices [sol1, sol2] as cloze
// continuations. Ids are "piqa/{row}" (the file has none).
#include "common/error.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites::detail {

void LoadPiqa(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
              std::vector<LoadIssue>& issues) {
  const LabelLines labels = ReadLabelLines(LabelsPathFor(file));
  size_t row = 0;
  ForEachLine(text, [&](size_t line_no, std::string_view line) {
    const size_t index = row++;
    rapidjson::Document doc;
    if (!ParseLine(file, line_no, line, doc, issues)) return;
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    item.style = PromptStyle::kCloze;
    std::string err, goal, sol1, sol2;
    if (!GetString(doc, "goal", goal, err) || !GetString(doc, "sol1", sol1, err) ||
        !GetString(doc, "sol2", sol2, err)) {
      return bad(err);
    }
    std::string label;
    if (const auto it = doc.FindMember("label"); it != doc.MemberEnd()) {
      if (!it->value.IsInt()) return bad("\"label\" must be 0 or 1");
      label = std::to_string(it->value.GetInt());
    }
    if (labels.found) {
      if (index >= labels.lines.size()) {
        return bad(StrCat("no label: ", labels.file, " has only ", labels.lines.size(), " lines"));
      }
      const auto& [label_line, lst] = labels.lines[index];
      if (lst.empty()) {
        issues.push_back({labels.file, label_line,
                          StrCat("a blank line: the labels are line-aligned with ", file,
                                 ", so it would shift every later label")});
        return;
      }
      if (!label.empty() && label != lst) {
        return bad(StrCat("\"label\" ", label, " disagrees with ", labels.file, ":", label_line,
                          " (", lst, ")"));
      }
      label = lst;
      if (label != "0" && label != "1") {
        issues.push_back({labels.file, label_line, StrCat("label '", label, "' must be 0 or 1")});
        return;
      }
    }
    if (label != "0" && label != "1") {
      return bad(label.empty() ? StrCat("no \"label\" and no ", labels.file)
                               : StrCat("label '", label, "' must be 0 or 1"));
    }
    item.question = StrCat("Question: ", goal, "\nAnswer:");
    item.choices = {sol1, sol2};
    item.gold = label == "0" ? 0 : 1;
    item.id = StrCat("piqa/", index);
    item.tags = defaults;
    item.source = StrCat(file, ":", line_no);
    suite.items.push_back(std::move(item));
  });
  if (labels.found && labels.lines.size() > row) {
    issues.push_back(
        {labels.file, labels.lines[row].first,
         StrCat("more labels (", labels.lines.size(), ") than items (", row, ") in ", file)});
  }
}

}  // namespace gapbench::suites::detail
