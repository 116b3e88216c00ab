// Answer-preserving perturbations: turn a published suite (any format the loaders read) into its
// out-of-distribution sibling, written as native JSONL (docs/PERTURB.md). Every output item
// carries split "ood", family = the source suite's name (what the reports' generalisation gap
// pairs on; a source item's own family tag wins, so perturbations compose), and the tags
// source_id, perturbation and perturb_seed; its id stays the source id (so the seeded few-shot
// draw of prompt.h picks the same shots), except under --all-rotations.
//
//   choice-permutation  multiple choice: the choices rotate so the gold text moves to another
//                       position (CircularEval); all rotations with `all_rotations`
//   irrelevant-clause   numeric word problems: a sentence with a number that changes nothing is
//                       inserted before the question sentence (GSM-NoOp)
//   name-substitution   numeric word problems: person names and places are swapped for others of
//                       the same kind, consistently within the item and its worked solution
//   format-shift        letters-style multiple choice and qa-style generation: other option
//                       labels, separators and answer phrasing, chosen once per suite by the seed
//
// Deterministic: the same source, kind and seed give byte-identical output (perturb_rng.h).
//
// Not here: reading the source (loaders.h), the command line (cli/cmd_suites_perturb.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "suites/suite.h"

namespace gapbench::suites::perturb {

enum class PerturbKind { kChoicePermutation, kIrrelevantClause, kNameSubstitution, kFormatShift };

std::string_view PerturbKindName(PerturbKind kind);  // "choice-permutation", ...
std::optional<PerturbKind> ParsePerturbKind(std::string_view name);
std::string PerturbKindNames();  // "choice-permutation, irrelevant-clause, ..." for messages

struct PerturbOptions {
  PerturbKind kind = PerturbKind::kChoicePermutation;
  uint64_t seed = 1;
  bool all_rotations = false;  // choice-permutation only: every rotation of every item
  std::string family{};        // "" = the item's family tag, else the source suite's manifest name
};

struct PerturbResult {
  std::vector<Item> items;    // the perturbed suite, in source order
  std::vector<Item> fewshot;  // the source's few-shot pool (format-shift: reformatted too)
  size_t source_items = 0;
  size_t changed = 0;  // output items whose text differs from their source item
};

// Why `item` cannot take `kind`, or "" when it can (e.g. choice-permutation on a generation item).
std::string DoesNotFit(const Item& item, PerturbKind kind);

// Perturbs every item of `source`. Error (input) naming the first item that does not fit the kind
// (its file:line) and how many do not, or when the option does not apply to the kind.
PerturbResult Perturb(const Suite& source, const PerturbOptions& options);

// The native JSONL text of a result: the items, then the pool lines ("fewshot": true).
std::string ToJsonl(const PerturbResult& result);

}  // namespace gapbench::suites::perturb
