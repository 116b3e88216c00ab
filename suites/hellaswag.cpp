// HellaSwag as its authors publish it (hellaswag_{train,val,test}.jsonl): {"ind", "activity_label",
// "ctx_a", "ctx_b", "ctx", "endings": [4], "label": int, "split", ...}. The Hugging Face copy
// writes the label as a string digit; both are read.
// lm-eval's hellaswag/utils.py, reproduced exactly:
//   query   = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize())
//   choices = [preprocess(e) for e in endings]
//   preprocess(t) = t.strip(); replace " [title]" with ". "; remove every "[...]" (re "\[.*?\]",
//                   not across a newline); replace "  " with " " (one pass, non-overlapping)
// Python's str.capitalize() upper-cases the first character and lower-cases the rest; here for
// ASCII and Latin-1 letters (others are left as they are). Ids "hellaswag/{ind}" (row without it).
#include "suites/hellaswag.h"

#include "common/error.h"
#include "suites/loaders_internal.h"
#include "suites/prompt.h"

namespace gapbench::suites {
namespace {

// Lower (or upper) cases an ASCII or Latin-1 letter starting at s[i]; returns its byte length.
size_t CaseAt(std::string& s, size_t i, bool upper) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    if (upper && c >= 'a' && c <= 'z') s[i] = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') s[i] = static_cast<char>(c + 32);
    return 1;
  }
  // U+00C0..U+00FE are C3 80..C3 BE; upper U+00C0-U+00DE (but U+00D7), lower U+00E0-U+00FE
  // (but U+00F7).
  if (c == 0xC3 && i + 1 < s.size()) {
    const auto d = static_cast<unsigned char>(s[i + 1]);
    if (upper && d >= 0xA0 && d <= 0xBE && d != 0xB7) s[i + 1] = static_cast<char>(d - 0x20);
    if (!upper && d >= 0x80 && d <= 0x9E && d != 0x97) s[i + 1] = static_cast<char>(d + 0x20);
    return 2;
  }
  size_t len = 1;
  while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
  return len;
}

std::string ReplaceAll(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t at = s.find(from, pos);
    if (at == std::string_view::npos) break;
    out.append(s.substr(pos, at - pos)).append(to);
    pos = at + from.size();
  }
  out.append(s.substr(pos));
  return out;
}

}  // namespace

std::string PyCapitalize(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size();) i += CaseAt(out, i, /*upper=*/i == 0);
  return out;
}

std::string HellaswagPreprocess(std::string_view text) {
  std::string t = ReplaceAll(PyStrip(text), " [title]", ". ");
  // re.sub("\[.*?\]", "", t): the shortest "[...]" without a newline inside, left to right.
  std::string out;
  for (size_t i = 0; i < t.size();) {
    if (t[i] == '[') {
      size_t j = i + 1;
      while (j < t.size() && t[j] != ']' && t[j] != '\n') ++j;
      if (j < t.size() && t[j] == ']') {
        i = j + 1;
        continue;
      }
    }
    out += t[i++];
  }
  return ReplaceAll(out, "  ", " ");
}

namespace detail {

void LoadHellaswag(const std::string& file, std::string_view text, const Tags& defaults,
                   Suite& suite, std::vector<LoadIssue>& issues) {
  IdSet ids;
  ForEachJsonLine(file, text, issues, [&](size_t line_no, size_t index, rapidjson::Document& doc) {
    auto bad = [&](const std::string& why) { issues.push_back({file, line_no, why}); };
    Item item;
    item.kind = ItemKind::kMultipleChoice;
    item.style = PromptStyle::kCloze;
    std::string err, activity, ctx_a, ctx_b;
    std::vector<std::string> endings;
    if (!GetString(doc, "activity_label", activity, err) || !GetString(doc, "ctx_a", ctx_a, err) ||
        !GetString(doc, "ctx_b", ctx_b, err)) {
      return bad(err);
    }
    if (!doc.HasMember("endings")) return bad("missing \"endings\"");
    if (!GetStringList(doc["endings"], "endings", endings, err)) return bad(err);
    if (endings.size() < 2) return bad("\"endings\" needs at least 2 entries");
    const auto label = doc.FindMember("label");
    if (label == doc.MemberEnd()) return bad("missing \"label\" (the test split has none)");
    if (label->value.IsInt()) {
      item.gold = label->value.GetInt();
    } else if (label->value.IsString() && label->value.GetStringLength() == 1 &&
               label->value.GetString()[0] >= '0' && label->value.GetString()[0] <= '9') {
      item.gold = label->value.GetString()[0] - '0';
    } else {
      return bad("\"label\" must be an ending index");
    }
    if (item.gold < 0 || item.gold >= static_cast<int>(endings.size())) {
      return bad(StrCat("\"label\" ", item.gold, " is outside the ", endings.size(), " endings"));
    }
    item.question = HellaswagPreprocess(StrCat(activity, ": ", ctx_a, " ", PyCapitalize(ctx_b)));
    for (const auto& e : endings) item.choices.push_back(HellaswagPreprocess(e));
    const auto ind = doc.FindMember("ind");
    if (ind != doc.MemberEnd() && !ind->value.IsInt64()) return bad("\"ind\" must be an integer");
    item.id = ind != doc.MemberEnd() ? StrCat("hellaswag/", ind->value.GetInt64())
                                     : StrCat("hellaswag/", index);
    item.tags = defaults;
    item.source = StrCat(file, ":", line_no);
    if (!ids.Add(item.id, file, line_no, issues)) return;
    suite.items.push_back(std::move(item));
  });
}

}  // namespace detail
}  // namespace gapbench::suites
