#include "world/code.h"

#include <algorithm>
#include <set>

#include "world/rng.h"

namespace gapbench::world {
namespace {

const std::vector<std::string> kNouns = {"pebbles", "shells", "coins",   "beads",  "acorns",
                                         "marbles", "stamps", "buttons", "tokens", "seeds"};
const char* const kOpNames[kCodeOps] = {"total",       "largest",    "smallest",
                                        "count_above", "count_even", "count_distinct"};
// "return ..." ending of the docstring's sentence; {t} is the threshold.
const char* const kOpPhrases[kCodeOps] = {"the sum.",
                                          "the largest value.",
                                          "the smallest value.",
                                          "how many values are greater than {t}.",
                                          "how many values are even.",
                                          "how many distinct values there are."};
const char* const kStructPhrases[kCodeStructs] = {
    "Given the list {arg} of integers, return ", "Given the tuple {arg} of integers, return ",
    "Given the dict {arg} whose values are integers, return ",
    "Given the string {arg} of comma-separated integers, return "};
const char* const kStructSlugs[kCodeStructs] = {"list", "tuple", "dict", "csv"};

std::string Sub(std::string s, const std::string& key, const std::string& value) {
  for (size_t at = s.find(key); at != std::string::npos; at = s.find(key, at + value.size())) {
    s.replace(at, key.size(), value);
  }
  return s;
}

// The Python literal of `values` in structure `st`.
std::string Literal(int st, const std::vector<int64_t>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string v = std::to_string(values[i]);
    switch (st) {
      case 0:
      case 1:
        out += (i ? ", " : "") + v;
        break;
      case 2:
        out += std::string(i ? ", " : "") + "'" + static_cast<char>('a' + i) + "': " + v;
        break;
      default:
        out += (i ? "," : "") + v;
        break;
    }
  }
  switch (st) {
    case 0:
      return "[" + out + "]";
    case 1:
      return "(" + out + (values.size() == 1 ? ",)" : ")");
    case 2:
      return "{" + out + "}";
    default:
      return "'" + out + "'";
  }
}

int64_t Apply(int op, int64_t t, const std::vector<int64_t>& v) {
  switch (op) {
    case 0: {
      int64_t s = 0;
      for (int64_t x : v) s += x;
      return s;
    }
    case 1:
      return *std::max_element(v.begin(), v.end());
    case 2:
      return *std::min_element(v.begin(), v.end());
    case 3:
      return std::count_if(v.begin(), v.end(), [t](int64_t x) { return x > t; });
    case 4:
      return std::count_if(v.begin(), v.end(), [](int64_t x) { return x % 2 == 0; });
    default:
      return static_cast<int64_t>(std::set<int64_t>(v.begin(), v.end()).size());
  }
}

std::vector<int64_t> Values(Rng& rng) {
  std::vector<int64_t> v(static_cast<size_t>(rng.Range(1, 6)));
  for (auto& x : v) x = rng.Range(0, 20);
  return v;
}

struct Function {
  std::string prompt, solution, test, entry_point;
};

Function MakeFunction(int op, int st, Rng& rng) {
  const std::string noun = rng.Pick(kNouns);
  const int64_t t = rng.Range(1, 12);
  Function f;
  f.entry_point = std::string(kOpNames[op]) + "_" + noun;
  const std::string sentence =
      Sub(Sub(std::string(kStructPhrases[st]) + kOpPhrases[op], "{arg}", noun), "{t}",
          std::to_string(t));
  const auto example = Values(rng);
  f.prompt = "def " + f.entry_point + "(" + noun + "):\n    \"\"\"" + sentence + "\n    >>> " +
             f.entry_point + "(" + Literal(st, example) + ")\n    " +
             std::to_string(Apply(op, t, example)) + "\n    \"\"\"\n";
  static const char* const kRead[kCodeStructs] = {
      "    values = list({arg})\n", "    values = list({arg})\n",
      "    values = list({arg}.values())\n",
      "    values = [int(part) for part in {arg}.split(\",\")]\n"};
  static const char* const kReturn[kCodeOps] = {
      "    return sum(values)\n",
      "    return max(values)\n",
      "    return min(values)\n",
      "    return sum(1 for value in values if value > {t})\n",
      "    return sum(1 for value in values if value % 2 == 0)\n",
      "    return len(set(values))\n"};
  f.solution = Sub(kRead[st], "{arg}", noun) + Sub(kReturn[op], "{t}", std::to_string(t));
  f.test = "def check(candidate):\n";
  for (int i = 0; i < 4; ++i) {
    const auto v = Values(rng);
    f.test +=
        "    assert candidate(" + Literal(st, v) + ") == " + std::to_string(Apply(op, t, v)) + "\n";
  }
  return f;
}

}  // namespace

SuitePart MakeCode(const World& w, int64_t corpus_words) {
  SuitePart part;
  part.name = "code";
  part.id_rule = "an operation x data structure combination whose functions are in the corpus";
  part.ood_rule =
      "one of the six held-out combinations ((operation + structure) % 4 == 3): each part is in "
      "the corpus, the combination never";
  Rng rng = Rng::Stream(w.seed, "code");
  std::set<std::string> seen;
  for (int op = 0; op < kCodeOps; ++op) {
    for (int st = 0; st < kCodeStructs; ++st) {
      for (size_t i = 0; i < w.size.code_per_combo;) {
        Function f = MakeFunction(op, st, rng);
        if (!seen.insert(f.prompt).second) continue;
        suites::Item item;
        item.kind = suites::ItemKind::kCode;
        item.style = suites::PromptStyle::kRaw;
        item.id = "code/" + std::string(kOpNames[op]) + "-" + kStructSlugs[st] + "/" + Pad(i, 3);
        item.prompt = f.prompt;
        item.test = f.test;
        item.entry_point = f.entry_point;
        item.stop = {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};  // HumanEval's five
        item.solution = f.solution;
        item.tags.split = HeldOut(op, st) ? "ood" : "id";
        item.tags.family = "code";
        item.tags.extra["operation"] = kOpNames[op];
        item.tags.extra["structure"] = kStructSlugs[st];
        part.items.push_back(std::move(item));
        ++i;
      }
      if (HeldOut(op, st)) {
        part.ood_templates.push_back(
            Sub(std::string(kStructPhrases[st]) + kOpPhrases[op], "{t}", "{t}"));
      }
    }
  }
  // Corpus: fresh functions of the id combinations, prompt and canonical body, in turn.
  Rng crng = Rng::Stream(w.seed, "corpus/code");
  int64_t words = 0;
  std::vector<std::pair<int, int>> combos;
  for (int op = 0; op < kCodeOps; ++op) {
    for (int st = 0; st < kCodeStructs; ++st) {
      if (!HeldOut(op, st)) combos.push_back({op, st});
    }
  }
  for (size_t c = 0; words < corpus_words; ++c) {
    const auto [op, st] = combos[c % combos.size()];
    const Function f = MakeFunction(op, st, crng);
    if (seen.count(f.prompt)) continue;
    const std::string doc = f.prompt + f.solution + "\n\n";
    words += CountWords(doc);
    part.corpus += doc;
  }
  return part;
}

}  // namespace gapbench::world
