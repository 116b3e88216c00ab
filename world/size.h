// The three presets of `gapbench suites synth --size`: how many entities the world has, how many
// items each suite gets, and the corpus's default length (whitespace-separated words).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace gapbench::world {

struct WorldSize {
  std::string name;  // "small" | "default" | "large"
  size_t people = 0, towns = 0, companies = 0, creatures = 0;
  size_t trades = 0, goods = 0, rivers = 0, foods = 0, colours = 0;
  size_t probes_per_bucket = 0;  // one-hop facts probed per frequency stratum (0, 1-9, 10-99, 100+)
  size_t two_hop = 0;            // two-hop facts probed
  size_t reasoning_per_k = 0;    // reasoning items per step count k = 1..8
  size_t code_per_combo = 0;     // code items per operation x data structure
  size_t guard_items = 0;        // guard items per split
  int64_t corpus_words = 0;      // default --corpus-tokens
};

// The preset called `name`; Error (input) listing the known ones otherwise.
WorldSize SizeByName(const std::string& name);

}  // namespace gapbench::world
