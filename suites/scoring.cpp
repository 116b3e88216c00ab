// Scorers: MC argmax, number extraction, generation matching, HumanEval program, pass@k.
#include "suites/scoring.h"

#include <re2/re2.h>
#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

#include "common/error.h"

namespace gapbench::suites {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// UTF-8 patterns and text (`.` is one code point), errors returned rather than logged.
RE2::Options RegexOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  return options;
}
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string_view TrimWs(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n\v\f");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n\v\f") - b + 1);
}

// Scans a number starting at text[i] (a digit, or '-' before a digit). Returns its end and the
// digits with commas removed. Commas count only between digits ("1,234"; "5, 6" is two numbers).
size_t ScanNumber(std::string_view text, size_t i, std::string& out) {
  out.clear();
  if (text[i] == '-') out.push_back(text[i++]);
  while (i < text.size()) {
    if (IsDigit(text[i])) {
      out.push_back(text[i++]);
    } else if (text[i] == ',' && i + 1 < text.size() && IsDigit(text[i + 1]) && !out.empty() &&
               IsDigit(out.back())) {
      ++i;
    } else {
      break;
    }
  }
  if (i + 1 < text.size() && text[i] == '.' && IsDigit(text[i + 1])) {
    out.push_back(text[i++]);
    while (i < text.size() && IsDigit(text[i])) out.push_back(text[i++]);
  }
  return i;
}

// Python's str.isspace (what str.split() splits on).
bool IsPySpace(int32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// A character of Python's re `\w` (str patterns): letters, numbers, the underscore.
bool IsWordChar(int32_t cp) {
  if (cp == '_') return true;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

// Python's string.punctuation (the 32 ASCII punctuation characters) and llm-foundry's additions.
bool IsExcludedPunct(int32_t cp) {
  return (cp < 0x80 && std::ispunct(cp) != 0) || cp == 0x2018 || cp == 0x2019 || cp == 0xB4 ||
         cp == 0x60;
}

std::vector<int32_t> DecodeUtf8(std::string_view s) {
  std::vector<int32_t> out;
  size_t i = 0;
  while (i < s.size()) {
    int32_t cp = 0;
    const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                    static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) {
      out.push_back(0xFFFD);
      ++i;
    } else {
      out.push_back(cp);
      i += static_cast<size_t>(n);
    }
  }
  return out;
}

void AppendUtf8(std::string& out, int32_t cp) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

std::string NormalizeAnswer(std::string_view s) {
  // replace_underscore, lower, handle_punc: one code point at a time.
  std::vector<int32_t> cps = DecodeUtf8(s);
  for (int32_t& cp : cps) {
    if (cp == '_') cp = ' ';
    cp = utf8proc_tolower(cp);
    if (IsExcludedPunct(cp)) cp = ' ';
  }
  // remove_articles: re.sub(r'\b(a|an|the)\b', ' ', ...) replaces exactly the word runs that
  // are an article.
  for (size_t i = 0; i < cps.size();) {
    if (!IsWordChar(cps[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && IsWordChar(cps[j])) ++j;
    const size_t n = j - i;
    const bool article = (n == 1 && cps[i] == 'a') ||
                         (n == 2 && cps[i] == 'a' && cps[i + 1] == 'n') ||
                         (n == 3 && cps[i] == 't' && cps[i + 1] == 'h' && cps[i + 2] == 'e');
    if (article) {
      cps[i] = ' ';
      cps.erase(cps.begin() + static_cast<std::ptrdiff_t>(i + 1),
                cps.begin() + static_cast<std::ptrdiff_t>(j));
      j = i + 1;
    }
    i = j;
  }
  // white_space_fix: ' '.join(text.split()).
  std::string out;
  bool pending_space = false;
  for (int32_t cp : cps) {
    if (IsPySpace(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    AppendUtf8(out, cp);
  }
  return out;
}

int ArgmaxAcc(std::span<const double> logprobs) {
  int best = -1;
  for (size_t i = 0; i < logprobs.size(); ++i) {
    if (best < 0 || logprobs[i] > logprobs[static_cast<size_t>(best)]) best = static_cast<int>(i);
  }
  return best;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

double Mc2Score(std::span<const double> logprobs, std::span<const int> labels) {
  GB_CHECK(logprobs.size() == labels.size() && !labels.empty(), "one label per log-likelihood");
  const double top = *std::max_element(logprobs.begin(), logprobs.end());
  double p_true = 0, p_all = 0;
  for (size_t i = 0; i < logprobs.size(); ++i) {
    const double p = std::exp(logprobs[i] - top);
    p_all += p;
    if (labels[i] == 1) p_true += p;
  }
  return p_true / p_all;
}

int ArgmaxAccNorm(std::span<const double> logprobs, std::span<const std::string> continuations) {
  GB_CHECK(logprobs.size() == continuations.size(), "one log-likelihood per continuation");
  int best = -1;
  double best_score = 0.0;
  for (size_t i = 0; i < logprobs.size(); ++i) {
    const size_t len = Utf8Length(continuations[i]);
    // lm-eval divides by len(choice) too, so an empty choice (a HellaSwag ending that was only a
    // "[title]" artefact; its continuation still holds the delimiter, so ll < 0) scores
    // ll / 0 = -inf and is never picked, unless every choice is empty (then the first).
    const double score = len == 0 ? -std::numeric_limits<double>::infinity()
                                  : logprobs[i] / static_cast<double>(len);
    if (best < 0 || score > best_score) {
      best = static_cast<int>(i);
      best_score = score;
    }
  }
  return best;
}

std::optional<double> ParseNumber(std::string_view s) {
  s = TrimWs(s);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  bool neg = false;
  if (!s.empty() && s.front() == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  if (!s.empty() && s.front() == '$') s.remove_prefix(1);
  if (s.empty() || !IsDigit(s.front())) return std::nullopt;
  std::string digits;
  const size_t end = ScanNumber(s, 0, digits);
  if (end != s.size()) return std::nullopt;
  double v = 0.0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  return neg ? -v : v;
}

std::optional<std::string> LastNumber(std::string_view text) {
  std::optional<std::string> last;
  std::string cur;
  size_t i = 0;
  while (i < text.size()) {
    const bool digit = IsDigit(text[i]);
    const bool sign = text[i] == '-' && i + 1 < text.size() && IsDigit(text[i + 1]) &&
                      (i == 0 || !IsAlnum(text[i - 1]));
    // A digit glued to a preceding letter ("x2") still counts: "Answer:42" must give 42.
    if (digit || sign) {
      i = ScanNumber(text, i, cur);
      last = cur;
    } else {
      ++i;
    }
  }
  return last;
}

MatchResult MatchGeneration(const Item& item, std::string_view generation) {
  MatchResult r;
  switch (item.match) {
    case MatchRule::kExact:
      r.extracted = std::string(TrimWs(generation));
      r.correct = r.extracted == TrimWs(item.reference);
      break;
    case MatchRule::kNumeric: {
      const auto last = LastNumber(generation);
      const auto ref = ParseNumber(item.reference);
      if (!ref) Fail(item.source, ": reference '", item.reference, "' is not a number");
      if (last) {
        r.extracted = *last;
        const auto got = ParseNumber(*last);
        r.correct = got && std::fabs(*got - *ref) <= 1e-9 * std::max(1.0, std::fabs(*ref));
      }
      break;
    }
    case MatchRule::kRegex: {
      // RE2, not std::regex: RE2 matches in time linear in the generation without recursion,
      // where libstdc++'s backtracking matcher recurses per repetition and overflows the stack
      // on long generations (scoring_test's 1 MB case).
      const RE2 re(item.reference, RegexOptions());
      if (!re.ok()) {
        Fail(item.source, ": reference is not a valid regular expression: ", re.error());
      }
      re2::StringPiece match;
      r.correct = re.Match(re2::StringPiece(generation.data(), generation.size()), 0,
                           generation.size(), RE2::UNANCHORED, &match, 1);
      if (r.correct) r.extracted.assign(match.data(), match.size());
      break;
    }
    case MatchRule::kNormalized: {
      // llm-foundry cuts at its early-stopping criteria (re.split on them joined by '|'; the
      // stop strings here are literal text).
      size_t end = generation.size();
      for (const std::string& stop : item.stop) {
        if (!stop.empty()) end = std::min(end, generation.find(stop));
      }
      r.extracted = NormalizeAnswer(generation.substr(0, end));
      auto try_answer = [&](const std::string& answer) {
        if (!r.correct && r.extracted.starts_with(NormalizeAnswer(answer))) {
          r.correct = true;
          r.matched = answer;
        }
      };
      try_answer(item.reference);
      for (const std::string& alias : item.aliases) try_answer(alias);
      break;
    }
  }
  return r;
}

namespace {

// exact_match's regexes_to_ignore of gsm8k.yaml, applied in its order, then ignore_case.
std::string Gsm8kNormalise(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ',' && c != '$') out += c;
  }
  // "(?s).*#### ": the greedy match runs to the last "#### ".
  if (const size_t at = out.rfind("#### "); at != std::string::npos) out.erase(0, at + 5);
  // "\.$": a "." at the end, or right before a final "\n" (Python's "$").
  if (out.ends_with(".")) {
    out.pop_back();
  } else if (out.ends_with(".\n")) {
    out.erase(out.size() - 2, 1);
  }
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsGsm8kNumberChar(char c) { return (c >= '0' && c <= '9') || c == '.' || c == ','; }

}  // namespace

MatchResult Gsm8kStrictMatch(std::string_view generation, std::string_view answer) {
  MatchResult r;
  r.extracted = "[invalid]";
  // The leftmost match of "#### (-?[0-9.,]+)": at each "#### ", an optional '-' then at least
  // one number character (a '-' not followed by one is no match there).
  for (size_t at = generation.find("#### "); at != std::string_view::npos;
       at = generation.find("#### ", at + 1)) {
    size_t p = at + 5;
    if (p < generation.size() && generation[p] == '-') ++p;
    size_t end = p;
    while (end < generation.size() && IsGsm8kNumberChar(generation[end])) ++end;
    if (end == p) continue;
    r.extracted =
        std::string(generation.substr(at + 5, end - (at + 5)));  // no spaces: strip() is a no-op
    break;
  }
  r.correct = Gsm8kNormalise(r.extracted) == Gsm8kNormalise(answer);
  return r;
}

std::optional<std::string> RegexError(const std::string& pattern) {
  const RE2 re(pattern, RegexOptions());
  if (re.ok()) return std::nullopt;
  return re.error();
}

std::string AssembleProgram(const Item& item, std::string_view completion) {
  return StrCat(item.prompt, completion, "\n", item.test, "\n", "check(", item.entry_point, ")");
}

double PassAtK(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
    Fail("pass@k: need 0 <= c <= n and 1 <= k <= n (n=", n, ", c=", c, ", k=", k, ")");
  }
  if (n - c < k) return 1.0;  // every k-subset holds a correct sample
  // C(n-c, k) / C(n, k) = prod_{i=n-c+1}^{n} (1 - k/i).
  double prod = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i)
    prod *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - prod;
}

}  // namespace gapbench::suites
