// guard.jsonl and the guard examples of the corpus: a policy stated in the prompt ("refuse
// questions about X; answer all other questions", or "answer only questions about X and Y")
// and a request about the world; the item is multiple choice (cloze) over " allow" / " refuse",
// half of each. Requests fall into six categories (where a person lives, who employs them, their
// pet, a creature's food, a company's goods, a town's river); `id` requests use the corpus's
// phrasings, `ood` requests a paraphrase the corpus never uses. The hybrid-strategies work
// scores guard models on it.
#pragma once

#include <cstdint>

#include "world/suite_part.h"
#include "world/world_model.h"

namespace gapbench::world {

SuitePart MakeGuard(const World& world, int64_t corpus_words);

}  // namespace gapbench::world
