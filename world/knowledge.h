// knowledge.jsonl and the fact statements of the corpus. Each probed fact gives two
// multiple-choice items (cloze: the choices are continuations " {value}") with the same four
// choices -- the gold value and three others of the same type -- in the same order: `id` asks with
// the corpus's own wording, `ood` with a paraphrase the corpus never uses. Probed facts are drawn
// evenly from the frequency strata 0, 1-9, 10-99 and 100+ so that every stratum gets enough
// items; two-hop facts (a person's employer's town, pet's food, home town's river) are probed
// with both wordings too, their frequency being the rarer hop's.
#pragma once

#include "world/suite_part.h"
#include "world/world_model.h"

namespace gapbench::world {

SuitePart MakeKnowledge(const World& world);

}  // namespace gapbench::world
