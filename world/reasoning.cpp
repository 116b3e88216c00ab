#include "world/reasoning.h"

#include <set>

#include "world/rng.h"

namespace gapbench::world {
namespace {

const std::vector<std::string> kNouns = {"pebbles", "shells",  "coins",  "beads",
                                         "acorns",  "marbles", "stamps", "buttons"};

struct Problem {
  std::string prompt;    // the question, without "Question: "
  std::string solution;  // one calculation per line, then "#### N"
  int64_t answer = 0;
};

// One problem of exactly `k` steps. Each step is chosen among the operations that keep the
// count within 1..99 (and divisions exact), so every step is one line of the solution.
Problem MakeProblem(const World& w, Rng& rng, int k) {
  const auto& people = w.Names(EntityType::kPerson);
  const std::string& p = rng.Pick(people);
  std::string q = rng.Pick(people);
  while (q == p) q = rng.Pick(people);
  const std::string& noun = rng.Pick(kNouns);
  int64_t v = rng.Range(2, 20);
  Problem pr;
  pr.prompt = p + " has " + std::to_string(v) + " " + noun + ".";
  for (int step = 0; step < k; ++step) {
    // Candidate operations given v: 0 add, 1 subtract, 2 multiply, 3 divide.
    std::vector<int> ops;
    if (v <= 98) ops.push_back(0);
    if (v >= 2) ops.push_back(1);
    if (v * 2 <= 99) ops.push_back(2);
    if (v % 2 == 0 || v % 3 == 0) ops.push_back(3);
    const int op = rng.Pick(ops);
    int64_t n = 0, next = 0;
    std::string sentence, calc;
    switch (op) {
      case 0:
        n = rng.Range(1, std::min<int64_t>(20, 99 - v));
        next = v + n;
        sentence = rng.Chance(1, 2)
                       ? p + " finds " + std::to_string(n) + " more " + noun + "."
                       : q + " gives " + p + " " + std::to_string(n) + " " + noun + ".";
        calc = std::to_string(v) + " + " + std::to_string(n);
        break;
      case 1:
        n = rng.Range(1, v - 1);
        next = v - n;
        sentence = rng.Chance(1, 2)
                       ? p + " gives " + std::to_string(n) + " " + noun + " to " + q + "."
                       : p + " loses " + std::to_string(n) + " " + noun + ".";
        calc = std::to_string(v) + " - " + std::to_string(n);
        break;
      case 2:
        n = v * 3 <= 99 && rng.Chance(1, 3) ? 3 : 2;
        next = v * n;
        sentence = p + (n == 2 ? " doubles the " : " triples the ") + noun + ".";
        calc = std::to_string(v) + " * " + std::to_string(n);
        break;
      default:
        n = v % 2 == 0 && (v % 3 != 0 || rng.Chance(1, 2)) ? 2 : 3;
        next = v / n;
        sentence = p + " shares the " + noun + " equally among " + std::to_string(n) +
                   " friends and keeps one share.";
        calc = std::to_string(v) + " / " + std::to_string(n);
        break;
    }
    pr.prompt += " " + sentence;
    pr.solution += calc + " = " + std::to_string(next) + "\n";
    v = next;
  }
  pr.prompt += " How many " + noun + " does " + p + " have now?";
  pr.solution += "#### " + std::to_string(v);
  pr.answer = v;
  return pr;
}

}  // namespace

SuitePart MakeReasoning(const World& w, int64_t corpus_words) {
  SuitePart part;
  part.name = "reasoning";
  part.id_rule = "k <= 4 arithmetic steps: the corpus holds worked problems of these lengths";
  part.ood_rule = "k >= 5 steps: longer than any problem in the corpus";
  Rng rng = Rng::Stream(w.seed, "reasoning");
  std::set<std::string> seen;
  for (int k = 1; k <= kMaxSteps; ++k) {
    for (size_t i = 0; i < w.size.reasoning_per_k;) {
      Problem pr = MakeProblem(w, rng, k);
      if (!seen.insert(pr.prompt).second) continue;  // short problems can repeat: draw again
      suites::Item item;
      item.kind = suites::ItemKind::kGeneration;
      item.style = suites::PromptStyle::kQuestionAnswer;
      item.id = "reasoning/k" + std::to_string(k) + "/" + Pad(i, 3);
      item.prompt = pr.prompt;
      item.reference = std::to_string(pr.answer);
      item.match = suites::MatchRule::kNumeric;
      // LME's gsm8k.yaml v3 stop sequences (what the gsm8k loader sets).
      item.stop = {"Question:", "</s>", "<|im_end|>"};
      item.solution = pr.solution;
      item.tags.split = k <= kMaxIdSteps ? "id" : "ood";
      item.tags.steps = k;
      item.tags.family = "reasoning";
      part.items.push_back(std::move(item));
      ++i;
    }
  }
  // Corpus: fresh problems of 1..4 steps in LME's qa format, never one of the suite's.
  Rng crng = Rng::Stream(w.seed, "corpus/reasoning");
  int64_t words = 0;
  while (words < corpus_words) {
    const Problem pr = MakeProblem(w, crng, static_cast<int>(crng.Range(1, kMaxIdSteps)));
    if (seen.count(pr.prompt)) continue;
    const std::string doc = "Question: " + pr.prompt + "\nAnswer: " + pr.solution + "\n\n";
    words += CountWords(doc);
    part.corpus += doc;
  }
  return part;
}

}  // namespace gapbench::world
