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
//   icl_question_answering {"context", "answer", "aliases"?}    generation (llm-foundry's
//                                                                generation_task_with_answers):
//                                                                prompt = context, scored by
//                                                                match normalized (scoring.h)
// The three log-likelihood formats use lm-eval's continuation delimiter " " and shot separator
// "\n\n"; question answering keeps llm-foundry's own defaults (continuation delimiter " ",
// example delimiter "\n", prompt_string ""), as its prompt is generated from, not scored.
#include <algorithm>

#include "common/error.h"
#include "suites/loaders_internal.h"
#include "suites/prompt.h"
#include "suites/scoring.h"

namespace gapbench::suites::detail {

void LoadIcl(const std::string& file, std::string_view text, const std::string& format,
             const Tags& defaults, Suite& suite, std::vector<LoadIssue>& issues) {
  const std::string short_name = format.substr(4);  // without "icl_"
  ForEachJsonLine(file, text, issues, [&](size_t line_no, size_t index, rapidjson::Document& doc) {
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    std::string err;
    // An answer that normalises to nothing is a prefix of every generation: always "correct".
    auto empty_when_normalized = [&](const std::string& what, const std::string& text) {
      if (!NormalizeAnswer(text).empty()) return false;
      bad(StrCat(what, " '", text, "' is empty after normalisation (lowercase, no punctuation or ",
                 "articles) and would match any generation"));
      return true;
    };
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
    } else if (format == "icl_question_answering") {
      // llm-foundry strips every string field (strip_dataset defaults to True); the aliases are a
      // list, so they are left as written (normalisation trims them anyway). Its reader makes
      // the accepted answers set([answer] + aliases): a repeat of the answer adds nothing.
      item.kind = ItemKind::kGeneration;
      item.style = PromptStyle::kIcl;
      item.match = MatchRule::kNormalized;
      if (!GetString(doc, "context", item.prompt, err) ||
          !GetString(doc, "answer", item.reference, err)) {
        return bad(err);
      }
      item.prompt = PyStrip(item.prompt);
      item.reference = PyStrip(item.reference);
      if (item.prompt.empty()) return bad("empty \"context\"");
      if (empty_when_normalized("\"answer\"", item.reference)) return;
      if (doc.HasMember("aliases")) {
        std::vector<std::string> aliases;
        if (!GetStringList(doc["aliases"], "aliases", aliases, err)) return bad(err);
        for (const std::string& alias : aliases) {
          if (empty_when_normalized("alias", alias)) return;
          if (alias != item.reference &&
              std::find(item.aliases.begin(), item.aliases.end(), alias) == item.aliases.end()) {
            item.aliases.push_back(alias);
          }
        }
      }
      item.solution = item.reference;  // the shot's target
      // llm-foundry stops at EOS or after the longest answer's token count unless the task names
      // early_stopping_criteria; a newline ends a short answer in every shot here.
      item.stop = {"\n"};
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
