// irrelevant-clause (GSM-NoOp, Mirzadeh et al. 2024, "GSM-Symbolic"): one sentence that mentions
// a number but changes nothing about the answer goes in just before the question sentence, where
// a model that pattern-matches "every number is used" is most tempted to use it.
//
// The sentences are generic (weather, a radio station, a book...) rather than written per
// problem as in the paper, so that they can never bear on the answer; a sentence whose topic
// words already occur in the item is not used (no "bus route 12" in a problem about buses).
// The number is one that appears nowhere in the item (question, solution, answer), in digits or
// in words.
//
// Preserves: every character of the original question (the sentence is inserted, nothing is
// rewritten), the worked solution, the reference answer, the stop sequences.
// Changes: the question gains one sentence (recorded in the tag `inserted`).
#include <cctype>
#include <iterator>
#include <set>
#include <string>
#include <string_view>

#include "common/error.h"
#include "suites/perturb/perturb_internal.h"

namespace gapbench::suites::perturb {
namespace {

struct Clause {
  std::string_view before, after;  // the sentence is before + number + after
  std::string_view topics[3];      // lower-case words that rule the sentence out when present
};

constexpr Clause kClauses[] = {
    {"The weather report that morning said it was ",
     " degrees outside.",
     {"weather", "degree", "temperature"}},
    {"A radio station in town was celebrating ",
     " years on the air that week.",
     {"radio", "station", "air"}},
    {"Someone at the next table was reading a novel with ",
     " chapters.",
     {"novel", "chapter", "read"}},
    {"The bus that stops at the corner is route number ", ".", {"bus", "route", "corner"}},
    {"A poster on a nearby wall advertised a concert with ",
     " performers.",
     {"poster", "concert", "perform"}},
    {"The local library had recently put ",
     " new chairs in its reading room.",
     {"library", "chair", "room"}},
    {"A pond in the nearby park is home to ", " goldfish.", {"pond", "park", "fish"}},
    {"That day the local newspaper ran a story about a tree planted ",
     " years ago.",
     {"newspaper", "tree", "plant"}},
    {"The building across the street has ",
     " windows facing the road.",
     {"building", "window", "street"}},
    {"A neighbour once mentioned owning ", " old postcards.", {"neighbo", "postcard", "card"}},
    {"The clock tower in the square was built ", " years ago.", {"clock", "tower", "square"}},
    {"A friend's favourite board game comes with ", " dice.", {"game", "dice", "board"}},
};

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Every run of digits in `text` (so "3,500" gives 3 and 500: a conservative superset), and the
// numbers written as words ("three", "twenty"), so the new number is new in either form.
void CollectNumbers(std::string_view text, std::set<std::string>& out) {
  static constexpr std::string_view kWords[] = {
      "zero",     "one",     "two",     "three",     "four",     "five",    "six",
      "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
      "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  // A tens word stands for its whole decade: "twenty" may be "twenty-five".
  static constexpr std::string_view kTens[] = {"twenty", "thirty",  "forty",  "fifty",
                                               "sixty",  "seventy", "eighty", "ninety"};
  const std::string lower = Lower(text);
  auto has_word = [&](std::string_view w) {
    for (size_t at = lower.find(w); at != std::string::npos; at = lower.find(w, at + 1)) {
      const bool start = at == 0 || !std::isalpha(static_cast<unsigned char>(lower[at - 1]));
      if (start) return true;  // "twenty" also matches in "twenty-five"
    }
    return false;
  };
  for (size_t n = 0; n < std::size(kWords); ++n) {
    if (has_word(kWords[n])) out.insert(std::to_string(n));
  }
  for (size_t t = 0; t < std::size(kTens); ++t) {
    if (!has_word(kTens[t])) continue;
    for (size_t u = 0; u < 10; ++u) out.insert(std::to_string(20 + 10 * t + u));
  }
  for (size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    std::string_view run = text.substr(i, j - i);
    while (run.size() > 1 && run.front() == '0') run.remove_prefix(1);
    out.emplace(run);
    i = j;
  }
}

// Whether the '.' at `dot` ends an abbreviation or an initial ("Mr.", "J."), not a sentence.
bool IsAbbreviation(std::string_view text, size_t dot) {
  size_t b = dot;
  while (b > 0 && (std::isalpha(static_cast<unsigned char>(text[b - 1])) || text[b - 1] == '.')) {
    --b;
  }
  const std::string word = Lower(text.substr(b, dot - b));
  if (word.size() == 1) return true;  // an initial
  static const std::set<std::string> kAbbrev = {
      "mr", "mrs", "ms", "dr",  "st", "jr",  "sr",  "prof", "vs",  "etc",   "inc",
      "co", "ltd", "mt", "ave", "no", "a.m", "p.m", "e.g",  "i.e", "approx"};
  return kAbbrev.count(word) > 0;
}

// Where the last sentence of `q` starts (after ". ", "! " or "? " and spaces, at an upper-case
// letter or a quote), or npos when `q` is one sentence.
size_t LastSentenceStart(std::string_view q) {
  size_t end = q.size();
  while (end > 0 && std::isspace(static_cast<unsigned char>(q[end - 1]))) --end;
  size_t best = std::string_view::npos;
  for (size_t i = 0; i + 1 < end; ++i) {
    const char c = q[i];
    if (c != '.' && c != '!' && c != '?') continue;
    if (q[i + 1] != ' ') continue;
    size_t j = i + 1;
    while (j < end && q[j] == ' ') ++j;
    if (j >= end) continue;
    const auto next = static_cast<unsigned char>(q[j]);
    if (!std::isupper(next) && next != '"') continue;
    if (c == '.' && IsAbbreviation(q, i)) continue;
    best = j;
  }
  return best;
}

}  // namespace

void InsertIrrelevantClause(Item& item, PerturbRng& rng) {
  std::set<std::string> used;
  CollectNumbers(item.prompt, used);
  CollectNumbers(item.solution, used);
  CollectNumbers(item.reference, used);
  const std::string lower = Lower(item.prompt + "\n" + item.solution);

  // A sentence whose topics are absent, from a seeded starting point.
  constexpr size_t kN = sizeof(kClauses) / sizeof(kClauses[0]);
  const size_t start = rng.Below(kN);
  const Clause* clause = &kClauses[start];
  for (size_t k = 0; k < kN; ++k) {
    const Clause& c = kClauses[(start + k) % kN];
    bool clash = false;
    for (std::string_view t : c.topics) clash = clash || (!t.empty() && Contains(lower, t));
    if (!clash) {
      clause = &c;
      break;
    }
  }
  // A number between 3 and 97 that the item does not use.
  std::string number;
  for (int tries = 0; tries < 200 && number.empty(); ++tries) {
    std::string n = std::to_string(3 + rng.Below(95));
    if (!used.count(n)) number = std::move(n);
  }
  for (int n = 101; number.empty(); ++n) {  // every small number taken: any unused one
    if (!used.count(std::to_string(n))) number = std::to_string(n);
  }
  const std::string sentence = StrCat(clause->before, number, clause->after);

  const size_t at = LastSentenceStart(item.prompt);
  if (at == std::string::npos) {
    item.prompt = StrCat(sentence, " ", item.prompt);  // one sentence: the clause goes first
  } else {
    item.prompt.insert(at, sentence + " ");
  }
  item.tags.extra["inserted"] = sentence;
}

}  // namespace gapbench::suites::perturb
