// AI2 ARC (Easy and Challenge) JSONL as published: {"id", "question": {"stem", "choices":
// [{"text", "label"}]}, "answerKey"}. The answer key is a letter or, in NYSEDREGENTS items, a
// digit; either way it equals one choice's label (lm-eval: choices.label.index(answerKey)).
// Prompt as lm-eval's arc_easy.yaml: "Question: {stem}\nAnswer:", each choice text a cloze
// continuation. The few-shot pool is the sibling Train file when there is one (lm-eval's
// fewshot source), else the Dev file when a Test file is loaded.
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "suites/loaders_internal.h"

namespace gapbench::suites::detail {
namespace {

// Reads one ARC file's items into `out`; issues name `file` and the line.
void ReadArc(const std::string& file, std::string_view text, const Tags& defaults,
             std::vector<Item>& out, std::vector<LoadIssue>& issues) {
  IdSet ids;
  ForEachLine(text, [&](size_t line_no, std::string_view line) {
    rapidjson::Document doc;
    if (!ParseLine(file, line_no, line, doc, issues)) return;
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    item.style = PromptStyle::kCloze;
    std::string err, stem, key;
    if (!GetString(doc, "id", item.id, err)) return bad(err);
    const auto q = doc.FindMember("question");
    if (q == doc.MemberEnd() || !q->value.IsObject()) {
      return bad("\"question\" must be an object with \"stem\" and \"choices\"");
    }
    if (!GetString(q->value, "stem", stem, err)) return bad(StrCat("question: ", err));
    const auto choices = q->value.FindMember("choices");
    if (choices == q->value.MemberEnd() || !choices->value.IsArray()) {
      return bad("question: \"choices\" must be an array of {\"text\", \"label\"}");
    }
    if (!GetString(doc, "answerKey", key, err)) return bad(err);
    std::vector<std::string> labels;
    for (const auto& c : choices->value.GetArray()) {
      std::string text_s, label;
      if (!c.IsObject() || !GetString(c, "text", text_s, err) ||
          !GetString(c, "label", label, err)) {
        return bad("question: every choice must be an object with string \"text\" and \"label\"");
      }
      item.choices.push_back(std::move(text_s));
      labels.push_back(std::move(label));
    }
    if (item.choices.size() < 2) return bad("question: \"choices\" needs at least 2 entries");
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == key) {
        item.gold = static_cast<int>(i);
        break;
      }
    }
    if (item.gold < 0) {
      std::string known;
      for (const auto& l : labels) known += known.empty() ? l : ", " + l;
      return bad(StrCat("answerKey '", key, "' is none of the choice labels (", known, ")"));
    }
    item.question = StrCat("Question: ", stem, "\nAnswer:");
    item.tags = defaults;
    item.source = StrCat(file, ":", line_no);
    if (!ids.Add(item.id, file, line_no, issues)) return;
    out.push_back(std::move(item));
  });
}

}  // namespace

void LoadArc(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
             std::vector<LoadIssue>& issues) {
  ReadArc(file, text, defaults, suite.items, issues);
  // ARC-Easy-Test.jsonl -> ARC-Easy-Train.jsonl, else ARC-Easy-Dev.jsonl (for Test only).
  namespace fs = std::filesystem;
  const fs::path p(file);
  const std::string name = p.filename().string();
  for (const char* split : {"-Test", "-Dev", "-Train"}) {
    const size_t at = name.rfind(split);
    if (at == std::string::npos) continue;
    std::vector<std::string> candidates = {"-Train"};
    if (std::string_view(split) == "-Test") candidates.push_back("-Dev");
    if (std::string_view(split) == "-Train") break;  // scoring the train split: no pool
    for (const auto& c : candidates) {
      const fs::path pool =
          p.parent_path() / (name.substr(0, at) + c + name.substr(at + std::strlen(split)));
      std::error_code ec;
      if (!fs::is_regular_file(pool, ec)) continue;
      const std::string pool_text = ReadSuiteFile(pool.string());
      ReadArc(pool.string(), StripBom(pool_text), defaults, suite.fewshot, issues);
      return;
    }
    break;
  }
}

}  // namespace gapbench::suites::detail
