// The pieces of perturb.cpp, one concept per file. Internal to gb_suites: not a public header.
// Each transformation edits one item in place and adds its own tags (tags.extra); perturb.cpp
// sets the common ones (split, family, source_id, perturbation, perturb_seed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "suites/perturb/perturb_rng.h"
#include "suites/suite.h"

namespace gapbench::suites::perturb {

// choice_permutation.cpp: the choice at position j moves to (j + rotation) mod n, so the gold
// text moves `rotation` places (rotation 0 leaves the item as it is). Tags rotation and
// gold_position (the gold's new letter).
void RotateChoices(Item& item, size_t rotation);

// irrelevant_clause.cpp: inserts one sentence with a number not in the item before the question
// sentence of item.prompt; the solution and reference are untouched. Tag inserted (the sentence).
void InsertIrrelevantClause(Item& item, PerturbRng& rng);

// name_substitution.cpp: swaps the person names and places of item.prompt and item.solution for
// others of the same kind, one mapping for the whole item. Tag substitutions ("Janet=Maria;..."),
// empty when the item names nobody the lexicon knows. Returns whether anything was swapped.
bool SubstituteNames(Item& item, PerturbRng& rng);

// name_lexicon.cpp: the names name-substitution knows, by kind. Words that are also ordinary
// English words (May, Will, Rose, Miles) or belong to two kinds (Georgia, Jordan) are left out.
enum class NameKind { kFemale, kMale, kUnisex, kSurname, kCity, kCountry, kState };
std::span<const std::string_view> NamesOf(NameKind kind);
// The kind of a known name (multi-word places included), or nullopt.
std::optional<NameKind> LookupName(std::string_view name);
// Known multi-word places ("New York", "South Korea"), longest first.
std::span<const std::string_view> MultiWordPlaces();

// format_shift.cpp: one presentation for the whole suite, chosen by the seed.
struct FormatShift {
  // Multiple choice (shown as cloze items: the options are part of the question, the choices
  // are the answer labels).
  size_t label_style = 0;     // "(a)", "a)", "1.", "(1)", "(A)"
  size_t option_layout = 0;   // one per line | "Options:" then one per line | inline
  size_t question_label = 0;  // "Question: " | "Q: " | ""
  size_t subject_line = 0;    // "Subject: s" | "Topic: s" | "[s]"
  size_t answer_phrase = 0;   // "The answer is" | "Correct option:" | "Response:" | "Your answer:"
  // Generation (qa style becomes raw): labels of question and answer, final-answer phrasing.
  size_t qa_labels = 0;    // Problem:/Solution: | Q:/A: | Task:/Worked answer: | ...
  size_t final_style = 0;  // "The answer is N." | "Final answer: N" | "So the answer is N."
};
FormatShift PickFormatShift(uint64_t seed);
std::string DescribeFormatShift(const FormatShift& f, ItemKind kind);  // the "format" tag
// Reformats a letters-style multiple-choice or qa-style generation item (DoesNotFit checked) and
// sets its tag format.
void ApplyFormatShift(Item& item, const FormatShift& f);

// Word boundaries for names (shared by the name code): ASCII letters and digits and the code
// points of accented Latin letters count as word characters; apostrophes (’ included) do not.
bool WordCharBefore(std::string_view text, size_t pos);
bool WordCharAt(std::string_view text, size_t pos);

}  // namespace gapbench::suites::perturb
