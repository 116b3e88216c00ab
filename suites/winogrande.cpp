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
  const size_t rows = ForEachJsonLine(
      file, text, issues, [&](size_t line_no, size_t index, rapidjson::Document& doc) {
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
        size_t label_line = 0;
        if (!MergeLineLabel(labels, index, "\"answer\"", file, line_no, answer, label_line,
                            issues)) {
          return;
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
  ReportExtraLabels(labels, rows, file, issues);
}

}  // namespace gapbench::suites::detail
