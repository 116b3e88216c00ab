// reasoning.jsonl and the worked solutions of the corpus: word problems about the world's people
// that need k = 1..8 arithmetic steps (`steps`), written like GSM8K (LME's "Question: ...
// Answer:" prompt, a worked solution of one calculation per line ending in "#### N", scored
// `numeric`). Every number -- start, operands, every intermediate result and the answer -- stays
// within 0..99, so a small model's vocabulary holds them. k <= 4 is `id` and the corpus holds
// other problems of those lengths; k >= 5 is `ood` and the corpus holds none that long.
#pragma once

#include <cstdint>

#include "world/suite_part.h"
#include "world/world_model.h"

namespace gapbench::world {

inline constexpr int kMaxIdSteps = 4;
inline constexpr int kMaxSteps = 8;

// `corpus_words`: how many words of worked problems (k <= 4) the corpus gets.
SuitePart MakeReasoning(const World& world, int64_t corpus_words);

}  // namespace gapbench::world
