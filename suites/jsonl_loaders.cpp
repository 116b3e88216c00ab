// JSONL loaders: HumanEval (JSONL or .gz), GSM8K, and gapbench's native item lines
// (docs/SUITES.md). One JSON object per line; every bad line is reported and skipped.
#include <rapidjson/error/en.h>

#include <set>
#include <unordered_set>

#include "common/error.h"
#include "common/json.h"
#include "suites/loaders_internal.h"
#include "suites/scoring.h"

namespace gapbench::suites::detail {

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> FirstLineKeys(std::string_view text) {
  std::vector<std::string> keys;
  bool done = false;
  ForEachLine(text, [&](size_t, std::string_view line) {
    if (done) return;
    done = true;
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (doc.HasParseError() || !doc.IsObject()) return;
    for (const auto& m : doc.GetObject()) keys.emplace_back(m.name.GetString());
  });
  return keys;
}

std::string ParseTagsJson(const rapidjson::Value& v, Tags& tags) {
  if (!v.IsObject()) return "tags must be a JSON object";
  for (const auto& m : v.GetObject()) {
    const std::string key = m.name.GetString();
    const rapidjson::Value& val = m.value;
    if (key == "split") {
      if (!val.IsString() || (std::string_view(val.GetString()) != "id" &&
                              std::string_view(val.GetString()) != "ood")) {
        return "tag 'split' must be \"id\" or \"ood\"";
      }
      tags.split = val.GetString();
    } else if (key == "steps") {
      if (!val.IsInt64() || val.GetInt64() < 0) return "tag 'steps' must be an integer >= 0";
      tags.steps = val.GetInt64();
    } else if (key == "fact_frequency") {
      if (!val.IsNumber() || val.GetDouble() < 0)
        return "tag 'fact_frequency' must be a number >= 0";
      tags.fact_frequency = val.GetDouble();
    } else if (key == "subject" || key == "family") {
      if (!val.IsString()) return StrCat("tag '", key, "' must be a string");
      (key == "subject" ? tags.subject : tags.family) = val.GetString();
    } else if (val.IsString()) {
      tags.extra[key] = val.GetString();
    } else if (val.IsBool()) {
      tags.extra[key] = val.GetBool() ? "true" : "false";
    } else if (val.IsInt64()) {
      tags.extra[key] = std::to_string(val.GetInt64());
    } else if (val.IsNumber()) {
      tags.extra[key] = StrCat(val.GetDouble());
    } else {
      return StrCat("free-form tag '", key, "' must be a string, number or boolean");
    }
  }
  return "";
}

// Reads a line as a JSON object or records why not.
bool ParseLine(const std::string& file, size_t line_no, std::string_view line,
               rapidjson::Document& doc, std::vector<LoadIssue>& issues) {
  // Strings must be valid UTF-8 (they reach prompts, records and reports as they are).
  doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(
      line.data(), line.size());
  if (doc.HasParseError()) {
    issues.push_back({file, line_no,
                      StrCat("invalid JSON at column ", doc.GetErrorOffset() + 1, ": ",
                             rapidjson::GetParseError_En(doc.GetParseError()))});
    return false;
  }
  if (const std::string dup = FindDuplicateKey(doc); !dup.empty()) {
    issues.push_back({file, line_no, StrCat("duplicate key at ", dup)});
    return false;
  }
  if (!doc.IsObject()) {
    issues.push_back({file, line_no, "expected one JSON object per line"});
    return false;
  }
  return true;
}

// Required string member; records the issue and returns false when absent or not a string.
bool GetString(const rapidjson::Value& obj, const char* key, std::string& out, std::string& err) {
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) {
    err = StrCat("missing \"", key, "\"");
    return false;
  }
  if (!it->value.IsString()) {
    err = StrCat("\"", key, "\" must be a string");
    return false;
  }
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool GetStringList(const rapidjson::Value& v, const char* key, std::vector<std::string>& out,
                   std::string& err) {
  if (!v.IsArray()) {
    err = StrCat("\"", key, "\" must be an array of strings");
    return false;
  }
  out.clear();
  for (const auto& s : v.GetArray()) {
    if (!s.IsString()) {
      err = StrCat("\"", key, "\" must be an array of strings");
      return false;
    }
    out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return true;
}

bool IdSet::Add(const std::string& id, const std::string& file, size_t line,
                std::vector<LoadIssue>& issues) {
  if (ids_.insert(id).second) return true;
  issues.push_back({file, line, StrCat("duplicate id '", id, "'")});
  return false;
}

namespace {

const std::vector<std::string> kHumanEvalStops = {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};

}  // namespace

void LoadHumanEval(const std::string& file, std::string_view text, const Tags& defaults,
                   Suite& suite, std::vector<LoadIssue>& issues) {
  IdSet ids;
  ForEachLine(text, [&](size_t line_no, std::string_view line) {
    rapidjson::Document doc;
    if (!ParseLine(file, line_no, line, doc, issues)) return;
    Item item;
    item.kind = ItemKind::kCode;
    item.style = PromptStyle::kRaw;
    std::string err;
    if (!GetString(doc, "task_id", item.id, err) || !GetString(doc, "prompt", item.prompt, err) ||
        !GetString(doc, "test", item.test, err) ||
        !GetString(doc, "entry_point", item.entry_point, err)) {
      issues.push_back({file, line_no, err});
      return;
    }
    if (doc.HasMember("canonical_solution") &&
        !GetString(doc, "canonical_solution", item.solution, err)) {
      issues.push_back({file, line_no, err});
      return;
    }
    if (item.entry_point.empty()) {
      issues.push_back({file, line_no, "empty \"entry_point\""});
      return;
    }
    item.stop = kHumanEvalStops;
    item.tags = defaults;
    item.source = StrCat(file, ":", line_no);
    if (!ids.Add(item.id, file, line_no, issues)) return;
    suite.items.push_back(std::move(item));
  });
}

void LoadGsm8k(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
               std::vector<LoadIssue>& issues) {
  size_t index = 0;
  ForEachLine(text, [&](size_t line_no, std::string_view line) {
    const size_t row = index++;  // ids stay put when an earlier line is broken
    rapidjson::Document doc;
    if (!ParseLine(file, line_no, line, doc, issues)) return;
    Item item;
    item.kind = ItemKind::kGeneration;
    item.style = PromptStyle::kQuestionAnswer;
    item.match = MatchRule::kNumeric;
    std::string err;
    if (!GetString(doc, "question", item.prompt, err) ||
        !GetString(doc, "answer", item.solution, err)) {
      issues.push_back({file, line_no, err});
      return;
    }
    const size_t mark = item.solution.rfind("#### ");
    if (mark == std::string::npos) {
      issues.push_back({file, line_no, "\"answer\" has no \"#### \" final answer"});
      return;
    }
    item.reference = std::string(Trim(std::string_view(item.solution).substr(mark + 5)));
    if (!ParseNumber(item.reference)) {
      issues.push_back(
          {file, line_no, StrCat("final answer '", item.reference, "' is not a number")});
      return;
    }
    // steps: non-blank lines of the worked solution before the "####" line (a proxy for the
    // number of reasoning steps; docs/SUITES.md).
    int64_t steps = 0;
    ForEachLine(std::string_view(item.solution).substr(0, mark),
                [&](size_t, std::string_view) { ++steps; });
    item.stop = {"Question:", "</s>", "<|im_end|>"};
    item.id = StrCat("gsm8k/", row);
    item.tags = defaults;
    item.tags.steps = steps;
    item.source = StrCat(file, ":", line_no);
    suite.items.push_back(std::move(item));
  });
}

void LoadNative(const std::string& file, std::string_view text, const Tags& defaults, Suite& suite,
                std::vector<LoadIssue>& issues) {
  static const std::set<std::string> kCommon = {"kind", "id", "tags", "style", "fewshot"};
  static const std::set<std::string> kMc = {"question", "choices", "gold", "metric", "labels"};
  static const std::set<std::string> kGen = {"prompt", "reference", "aliases",
                                             "match",  "stop",      "solution"};
  static const std::set<std::string> kCode = {"prompt", "test", "entry_point", "stop", "solution"};
  IdSet ids;
  ForEachLine(text, [&](size_t line_no, std::string_view line) {
    rapidjson::Document doc;
    if (!ParseLine(file, line_no, line, doc, issues)) return;
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    std::string err, kind_name;
    if (!GetString(doc, "kind", kind_name, err)) return bad(err);
    const auto kind = ParseKind(kind_name);
    if (!kind)
      return bad(StrCat("unknown kind '", kind_name, "' (multiple_choice, generation, code)"));
    item.kind = *kind;
    const auto& fields = *kind == ItemKind::kMultipleChoice ? kMc
                         : *kind == ItemKind::kGeneration   ? kGen
                                                            : kCode;
    for (const auto& m : doc.GetObject()) {
      const std::string key = m.name.GetString();
      if (!kCommon.count(key) && !fields.count(key)) {
        return bad(StrCat("unknown field '", key, "' for kind ", kind_name));
      }
    }
    if (!GetString(doc, "id", item.id, err)) return bad(err);
    if (item.id.empty()) return bad("empty \"id\"");
    // "fewshot": true puts the line into the few-shot pool (like MMLU's dev/), never scored.
    bool pool = false;
    if (const auto f = doc.FindMember("fewshot"); f != doc.MemberEnd()) {
      if (!f->value.IsBool()) return bad("\"fewshot\" must be true or false");
      pool = f->value.GetBool();
    }
    item.tags = defaults;
    if (doc.HasMember("tags")) {
      err = ParseTagsJson(doc["tags"], item.tags);
      if (!err.empty()) return bad(err);
    }
    item.style = *kind == ItemKind::kMultipleChoice ? PromptStyle::kLetters : PromptStyle::kRaw;
    if (doc.HasMember("style")) {
      std::string style_name;
      if (!GetString(doc, "style", style_name, err)) return bad(err);
      const auto style = ParseStyle(style_name);
      if (!style) {
        return bad(
            StrCat("unknown style '", style_name, "' (letters, cloze, partial, qa, raw, icl)"));
      }
      const bool mc_style = *style == PromptStyle::kLetters || *style == PromptStyle::kCloze ||
                            *style == PromptStyle::kPartial;
      if (mc_style != (*kind == ItemKind::kMultipleChoice)) {
        return bad(StrCat("style '", style_name, "' does not apply to kind ", kind_name));
      }
      item.style = *style;
    }
    if (doc.HasMember("stop") && !GetStringList(doc["stop"], "stop", item.stop, err))
      return bad(err);
    if (doc.HasMember("solution") && !GetString(doc, "solution", item.solution, err))
      return bad(err);
    switch (*kind) {
      case ItemKind::kMultipleChoice: {
        if (!GetString(doc, "question", item.question, err)) return bad(err);
        if (!doc.HasMember("choices")) return bad("missing \"choices\"");
        if (!GetStringList(doc["choices"], "choices", item.choices, err)) return bad(err);
        if (doc.HasMember("metric")) {
          std::string metric_name;
          if (!GetString(doc, "metric", metric_name, err)) return bad(err);
          const auto metric = ParseMcMetric(metric_name);
          if (!metric) return bad(StrCat("unknown metric '", metric_name, "' (acc, mc2, greedy)"));
          item.metric = *metric;
        }
        // Language modelling scores one continuation; a choice needs something to beat.
        if (item.metric == McMetric::kGreedy ? item.choices.size() != 1 : item.choices.size() < 2) {
          return bad(item.metric == McMetric::kGreedy ? "metric greedy needs exactly 1 choice"
                                                      : "\"choices\" needs at least 2 entries");
        }
        if (item.style == PromptStyle::kLetters && item.choices.size() > 26) {
          return bad("style letters allows at most 26 choices");
        }
        if (!doc.HasMember("gold")) return bad("missing \"gold\"");
        const auto& g = doc["gold"];
        if (g.IsInt()) {
          item.gold = g.GetInt();
        } else if (g.IsString() && g.GetStringLength() == 1 && g.GetString()[0] >= 'A' &&
                   g.GetString()[0] <= 'Z') {
          item.gold = g.GetString()[0] - 'A';
        } else {
          return bad("\"gold\" must be a choice index (0-based) or a letter A-Z");
        }
        if (item.gold < 0 || item.gold >= static_cast<int>(item.choices.size())) {
          return bad(
              StrCat("\"gold\" ", item.gold, " is outside the ", item.choices.size(), " choices"));
        }
        if (doc.HasMember("labels") != (item.metric == McMetric::kMc2)) {
          return bad("\"labels\" goes with metric mc2, and only with it");
        }
        if (item.metric == McMetric::kMc2) {
          const auto& l = doc["labels"];
          bool ok = l.IsArray() && l.Size() == item.choices.size();
          for (size_t i = 0; ok && i < l.Size(); ++i) {
            ok = l[i].IsInt() && (l[i].GetInt() == 0 || l[i].GetInt() == 1);
            if (ok) item.labels.push_back(l[i].GetInt());
          }
          if (!ok) return bad("\"labels\" must be 0 or 1 for each choice");
          if (item.labels[static_cast<size_t>(item.gold)] != 1) {
            return bad("metric mc2: \"gold\" must be a true choice (label 1)");
          }
        }
        break;
      }
      case ItemKind::kGeneration: {
        if (!GetString(doc, "prompt", item.prompt, err)) return bad(err);
        if (!GetString(doc, "reference", item.reference, err)) return bad(err);
        if (doc.HasMember("match")) {
          std::string rule_name;
          if (!GetString(doc, "match", rule_name, err)) return bad(err);
          const auto rule = ParseMatchRule(rule_name);
          if (!rule) {
            return bad(
                StrCat("unknown match '", rule_name, "' (exact, numeric, regex, normalized)"));
          }
          item.match = *rule;
        }
        if (doc.HasMember("aliases")) {
          if (item.match != MatchRule::kNormalized) {
            return bad("\"aliases\" goes with match normalized");
          }
          if (!GetStringList(doc["aliases"], "aliases", item.aliases, err)) return bad(err);
        }
        if (item.match == MatchRule::kNumeric && !ParseNumber(item.reference)) {
          return bad(StrCat("reference '", item.reference, "' is not a number (match numeric)"));
        }
        if (item.match == MatchRule::kRegex) {
          if (const auto error = RegexError(item.reference)) {
            return bad(StrCat("reference is not a valid regular expression: ", *error));
          }
        }
        break;
      }
      case ItemKind::kCode: {
        if (!GetString(doc, "prompt", item.prompt, err) ||
            !GetString(doc, "test", item.test, err) ||
            !GetString(doc, "entry_point", item.entry_point, err)) {
          return bad(err);
        }
        if (item.entry_point.empty()) return bad("empty \"entry_point\"");
        if (!doc.HasMember("stop")) item.stop = kHumanEvalStops;
        break;
      }
    }
    item.source = StrCat(file, ":", line_no);
    if (!ids.Add(item.id, file, line_no, issues)) return;
    (pool ? suite.fewshot : suite.items).push_back(std::move(item));
  });
}

}  // namespace gapbench::suites::detail
