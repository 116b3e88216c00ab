#include "world/names.h"

#include <cctype>

namespace gapbench::world {
namespace {

const std::vector<std::string> kOnsets = {"b",  "d",  "f",  "g",  "k",  "l",  "m",  "n",
                                          "p",  "r",  "s",  "t",  "v",  "z",  "th", "sh",
                                          "kr", "dr", "gl", "br", "vr", "zh", "qu", "j"};
const std::vector<std::string> kVowels = {"a", "e", "i", "o", "u", "ae", "ou", "y"};
const std::vector<std::string> kCodas = {"", "", "", "n", "r", "l", "x", "th", "s"};

}  // namespace

std::string NameForge::Make(int syllables, const std::vector<std::string>& suffixes, bool capital) {
  // Enough room: 24 onsets x 8 vowels per syllable; a few thousand names use a tiny part of it.
  for (int attempt = 0; attempt < 100000; ++attempt) {
    std::string w;
    for (int s = 0; s < syllables; ++s) w += rng_.Pick(kOnsets) + rng_.Pick(kVowels);
    w += rng_.Pick(kCodas);
    w += rng_.Pick(suffixes);
    if (w.size() < 4 || !used_.insert(w).second) continue;
    if (capital) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    return w;
  }
  Fail("world: ran out of distinct names (", syllables, " syllables)");
}

std::vector<std::string> NameForge::MakeMany(size_t n, int syllables,
                                             const std::vector<std::string>& suffixes,
                                             bool capital) {
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(Make(syllables, suffixes, capital));
  return out;
}

}  // namespace gapbench::world
