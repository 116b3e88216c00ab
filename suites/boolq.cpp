// BoolQ in either published form:
//   Google's original  {"question", "title", "answer": true|false, "passage"}
//   SuperGLUE's copy   {"question", "passage", "idx", "label": true|false or 0|1}
// lm-eval reads SuperGLUE's copy, whose passage is "{title} -- {passage}" of the original; a
// Google line is turned into that passage so both forms give the same prompts.
// Prompt as lm-eval's super_glue/boolq/default.yaml: "{passage}\nQuestion: {question}?\nAnswer:",
// choices ["no", "yes"] (continuations " no", " yes"), gold = the label. Ids "boolq/{idx}"
// (SuperGLUE) or "boolq/{row}" (Google).
#include "common/error.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites::detail {

void LoadBoolq(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
               std::vector<LoadIssue>& issues) {
  IdSet ids;
  ForEachJsonLine(file, text, issues, [&](size_t line_no, size_t index, rapidjson::Document& doc) {
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    item.style = PromptStyle::kCloze;
    std::string err, question, passage;
    if (!GetString(doc, "question", question, err) || !GetString(doc, "passage", passage, err)) {
      return bad(err);
    }
    const auto answer = doc.FindMember("answer");
    const auto label = doc.FindMember("label");
    bool yes = false;
    if (answer != doc.MemberEnd()) {  // Google's form
      std::string title;
      if (!answer->value.IsBool()) return bad("\"answer\" must be true or false");
      if (!GetString(doc, "title", title, err)) return bad(err);
      yes = answer->value.GetBool();
      passage = StrCat(title, " -- ", passage);
      item.id = StrCat("boolq/", index);
    } else if (label != doc.MemberEnd()) {  // SuperGLUE's form
      if (label->value.IsBool()) {
        yes = label->value.GetBool();
      } else if (label->value.IsInt() &&
                 (label->value.GetInt() == 0 || label->value.GetInt() == 1)) {
        yes = label->value.GetInt() == 1;
      } else {
        return bad("\"label\" must be true, false, 0 or 1");
      }
      const auto idx = doc.FindMember("idx");
      if (idx != doc.MemberEnd() && !idx->value.IsInt64()) return bad("\"idx\" must be an integer");
      item.id = idx != doc.MemberEnd() ? StrCat("boolq/", idx->value.GetInt64())
                                       : StrCat("boolq/", index);
    } else {
      return bad("missing \"answer\" (Google's form) or \"label\" (SuperGLUE's form)");
    }
    item.question = StrCat(passage, "\nQuestion: ", question, "?\nAnswer:");
    item.choices = {"no", "yes"};
    item.gold = yes ? 1 : 0;
    item.tags = defaults;
    item.source = StrCat(file, ":", line_no);
    if (!ids.Add(item.id, file, line_no, issues)) return;
    suite.items.push_back(std::move(item));
  });
}

}  // namespace gapbench::suites::detail
