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
  const size_t rows = ForEachJsonLine(
      file, text, issues, [&](size_t line_no, size_t index, rapidjson::Document& doc) {
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
        size_t label_line = 0;
        if (!MergeLineLabel(labels, index, "\"label\"", file, line_no, label, label_line, issues)) {
          return;
        }
        if (label_line > 0 && label != "0" && label != "1") {
          issues.push_back({labels.file, label_line, StrCat("label '", label, "' must be 0 or 1")});
          return;
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
  ReportExtraLabels(labels, rows, file, issues);
}

}  // namespace gapbench::suites::detail
