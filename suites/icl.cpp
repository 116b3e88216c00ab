// MosaicML llm-foundry's in-context-learning JSONL formats, in which many teams keep their own
// tasks (one JSON object per line; ids "{format}/{row}"):
//   icl_multiple_choice    {"query", "choices", "gold"}        cloze: context = query,
//                                                                continuations " {choice}"
//   icl_schema             {"context_options", "continuation",  partial evaluation (as
//                           "gold"}                               WinoGrande): context option i
//                                                                then " {continuation}"
//   icl_language_modeling  {"context", "continuation"}          one continuation, correct when
//                                                                the model would have generated
//                                                                every token of it (greedy)
// The continuation delimiter is " " and shots are separated by "\n\n" (lm-eval's defaults, used
// for every task here; llm-foundry's own defaults are " " and "\n").
#include "common/error.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites::detail {

void LoadIcl(const std::string& file, std::string_view text, const std::string& format,
             const Tags& defaults, Suite& suite, std::vector<LoadIssue>& issues) {
  const std::string short_name = format.substr(4);  // without "icl_"
  ForEachJsonLine(file, text, issues, [&](size_t line_no, size_t index, rapidjson::Document& doc) {
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    std::string err;
    auto read_gold = [&]() -> bool {
      const auto g = doc.FindMember("gold");
      if (g == doc.MemberEnd() || !g->value.IsInt()) {
        bad("\"gold\" must be a choice index (0-based)");
        return false;
      }
      item.gold = g->value.GetInt();
      if (item.gold < 0 || item.gold >= static_cast<int>(item.choices.size())) {
        bad(StrCat("\"gold\" ", item.gold, " is outside the ", item.choices.size(), " choices"));
        return false;
      }
      return true;
    };
    if (format == "icl_multiple_choice") {
      item.style = PromptStyle::kCloze;
      if (!GetString(doc, "query", item.question, err)) return bad(err);
      if (!doc.HasMember("choices")) return bad("missing \"choices\"");
      if (!GetStringList(doc["choices"], "choices", item.choices, err)) return bad(err);
      if (item.choices.size() < 2) return bad("\"choices\" needs at least 2 entries");
      if (!read_gold()) return;
    } else if (format == "icl_schema") {
      item.style = PromptStyle::kPartial;
      if (!GetString(doc, "continuation", item.question, err)) return bad(err);
      if (!doc.HasMember("context_options")) return bad("missing \"context_options\"");
      if (!GetStringList(doc["context_options"], "context_options", item.choices, err))
        return bad(err);
      if (item.choices.size() < 2) return bad("\"context_options\" needs at least 2 entries");
      if (!read_gold()) return;
    } else {  // icl_language_modeling
      item.style = PromptStyle::kCloze;
      item.metric = McMetric::kGreedy;
      std::string continuation;
      if (!GetString(doc, "context", item.question, err) ||
          !GetString(doc, "continuation", continuation, err)) {
        return bad(err);
      }
      if (continuation.empty()) return bad("empty \"continuation\"");
      item.choices = {continuation};
      item.gold = 0;
    }
    item.id = StrCat(short_name, "/", index);
    item.tags = defaults;
    item.source = StrCat(file, ":", line_no);
    suite.items.push_back(std::move(item));
  });
}

}  // namespace gapbench::suites::detail
