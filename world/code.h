// code.jsonl and the code of the corpus: small Python functions written from a docstring
// (HumanEval-shaped: prompt = signature + docstring with one example, test = check(candidate)
// with four asserts, entry_point), one per operation x data structure. Six operations (sum,
// largest, smallest, count above a threshold, count of even values, count of distinct values)
// over four structures (list, tuple, dict values, comma-separated string) make 24
// combinations; the six with (operation + structure) % 4 == 3 are held out: `ood` items, and no
// function of those combinations is in the corpus. Every operation and every structure still
// occurs in some `id` combination, so `ood` measures composition, not a new concept.
#pragma once

#include <cstdint>

#include "world/suite_part.h"
#include "world/world_model.h"

namespace gapbench::world {

inline constexpr int kCodeOps = 6;
inline constexpr int kCodeStructs = 4;
inline bool HeldOut(int op, int structure) { return (op + structure) % 4 == 3; }

SuitePart MakeCode(const World& world, int64_t corpus_words);

}  // namespace gapbench::world
