// choice-permutation: the choices of a multiple-choice item rotate, so the gold answer's text
// stands under another letter (CircularEval, as OpenCompass's circular evaluation). A rotation
// rather than a free shuffle keeps the choices' cyclic order, so every rotation of an item is one
// of n well-defined variants and --all-rotations can list them all.
//
// Preserves: the question, every choice's text, the gold text, the number of choices.
// Changes: the position (letter) of every choice, the gold index with it.
#include <string>
#include <vector>

#include "suites/perturb/perturb_internal.h"

namespace gapbench::suites::perturb {

void RotateChoices(Item& item, size_t rotation) {
  const size_t n = item.choices.size();
  rotation %= n;
  std::vector<std::string> rotated(n);
  for (size_t j = 0; j < n; ++j) rotated[(j + rotation) % n] = std::move(item.choices[j]);
  item.choices = std::move(rotated);
  if (!item.labels.empty()) {  // MC2: each choice keeps its true/false label
    std::vector<int> labels(n);
    for (size_t j = 0; j < n; ++j) labels[(j + rotation) % n] = item.labels[j];
    item.labels = std::move(labels);
  }
  item.gold = static_cast<int>((static_cast<size_t>(item.gold) + rotation) % n);
  item.tags.extra["rotation"] = std::to_string(rotation);
  // The letter a letters-style prompt shows; for other styles the 0-based index.
  item.tags.extra["gold_position"] = item.style == PromptStyle::kLetters && n <= 26
                                         ? std::string(1, static_cast<char>('A' + item.gold))
                                         : std::to_string(item.gold);
}

}  // namespace gapbench::suites::perturb
