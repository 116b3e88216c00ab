// Invented words for the world's entities and values: consonant-vowel syllables with a suffix
// per kind ("Belavik" a town, "zorlisk" a creature), so that the kind of a name can be learnt
// from its shape, and no name is an English word a pretrained tokenizer has seen whole.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "world/rng.h"

namespace gapbench::world {

class NameForge {
 public:
  explicit NameForge(Rng rng) : rng_(rng) {}

  // A word never made before by this forge (compared in lower case): `syllables` CV syllables,
  // an optional final consonant, then one of `suffixes` (may be {""}); capitalised on request.
  std::string Make(int syllables, const std::vector<std::string>& suffixes, bool capital);

  // `n` distinct words of one kind.
  std::vector<std::string> MakeMany(size_t n, int syllables,
                                    const std::vector<std::string>& suffixes, bool capital);

 private:
  Rng rng_;
  std::set<std::string> used_;
};

}  // namespace gapbench::world
