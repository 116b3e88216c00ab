// Perturb(): the fit check, the common tags, per-item dispatch to the transformations
// (perturb_internal.h) and the native JSONL output.
#include "suites/perturb/perturb.h"

#include "common/error.h"
#include "suites/perturb/perturb_internal.h"
#include "suites/record.h"

namespace gapbench::suites::perturb {
namespace {

constexpr std::pair<PerturbKind, std::string_view> kKinds[] = {
    {PerturbKind::kChoicePermutation, "choice-permutation"},
    {PerturbKind::kIrrelevantClause, "irrelevant-clause"},
    {PerturbKind::kNameSubstitution, "name-substitution"},
    {PerturbKind::kFormatShift, "format-shift"},
};

bool SameText(const Item& a, const Item& b) {
  return a.question == b.question && a.choices == b.choices && a.gold == b.gold &&
         a.prompt == b.prompt && a.solution == b.solution && a.style == b.style && a.stop == b.stop;
}

}  // namespace

std::string_view PerturbKindName(PerturbKind kind) {
  for (const auto& [k, name] : kKinds)
    if (k == kind) return name;
  return "?";
}

std::optional<PerturbKind> ParsePerturbKind(std::string_view name) {
  for (const auto& [k, n] : kKinds)
    if (n == name) return k;
  return std::nullopt;
}

std::string PerturbKindNames() {
  std::string out;
  for (const auto& [k, name] : kKinds) out += StrCat(out.empty() ? "" : ", ", name);
  return out;
}

std::string DoesNotFit(const Item& item, PerturbKind kind) {
  const std::string what =
      StrCat(KindName(item.kind), " item (style ", StyleName(item.style),
             item.kind == ItemKind::kGeneration ? StrCat(", match ", MatchRuleName(item.match))
                                                : std::string(),
             ")");
  switch (kind) {
    case PerturbKind::kChoicePermutation:
      if (item.kind == ItemKind::kMultipleChoice) return "";
      return StrCat("choice-permutation needs multiple-choice items; this is a ", what);
    case PerturbKind::kIrrelevantClause:
    case PerturbKind::kNameSubstitution:
      // Only a numeric answer is sure to survive: an exact or regex reference may itself name
      // the person or quote the text.
      if (item.kind == ItemKind::kGeneration && item.match == MatchRule::kNumeric) return "";
      return StrCat(PerturbKindName(kind),
                    " needs word problems with numeric answers (generation items, match "
                    "numeric, as GSM8K); this is a ",
                    what);
    case PerturbKind::kFormatShift:
      if (item.kind == ItemKind::kMultipleChoice && item.style == PromptStyle::kLetters) return "";
      if (item.kind == ItemKind::kGeneration && item.style == PromptStyle::kQuestionAnswer &&
          item.solution.find("#### ") != std::string::npos) {
        return "";
      }
      return StrCat(
          "format-shift needs letters-style multiple choice (MMLU) or qa-style "
          "generation with a \"#### N\" solution (GSM8K); this is a ",
          what);
  }
  return "unknown perturbation";
}

PerturbResult Perturb(const Suite& source, const PerturbOptions& options) {
  const std::string kind_name(PerturbKindName(options.kind));
  if (options.all_rotations && options.kind != PerturbKind::kChoicePermutation) {
    Fail("--all-rotations applies to choice-permutation only, not ", kind_name);
  }
  size_t misfits = 0;
  const Item* first_misfit = nullptr;
  std::string why;
  for (const Item& item : source.items) {
    const std::string w = DoesNotFit(item, options.kind);
    if (w.empty()) continue;
    if (misfits++ == 0) {
      first_misfit = &item;
      why = w;
    }
  }
  if (first_misfit) {
    Fail(first_misfit->source.empty() ? source.manifest.path : first_misfit->source, ": item '",
         first_misfit->id, "': ", why, " (", misfits, " of ", source.items.size(),
         " items of suite '", source.manifest.name, "' do not fit ", kind_name, ")");
  }

  PerturbResult out;
  out.source_items = source.items.size();
  const std::string seed_text = std::to_string(options.seed);
  const FormatShift format = PickFormatShift(options.seed);
  // Perturbations compose: perturbing a perturbed (or any ood) suite keeps its family and the
  // root source id, and lists the kinds and seeds in order ("irrelevant-clause,name-substitution").
  auto common_tags = [&](Item& item, const Item& from) {
    item.tags.split = "ood";
    item.tags.family = !options.family.empty()     ? options.family
                       : !from.tags.family.empty() ? from.tags.family
                                                   : source.manifest.name;
    auto append = [&](const char* key, const std::string& value) {
      const auto it = from.tags.extra.find(key);
      item.tags.extra[key] = it == from.tags.extra.end() ? value : StrCat(it->second, ",", value);
    };
    if (!from.tags.extra.count("source_id")) item.tags.extra["source_id"] = from.id;
    append("perturbation", kind_name);
    append("perturb_seed", seed_text);
    item.source.clear();
  };
  auto emit = [&](Item item, const Item& from) {
    common_tags(item, from);
    if (!SameText(item, from)) ++out.changed;
    out.items.push_back(std::move(item));
  };
  for (const Item& from : source.items) {
    PerturbRng rng(options.seed, kind_name, from.id);
    switch (options.kind) {
      case PerturbKind::kChoicePermutation: {
        const size_t n = from.choices.size();
        if (options.all_rotations) {
          // Every rotation, the identity included: each gold position once per item, so a
          // report over the tags shows position bias. Rotations of one item share a cluster.
          for (size_t r = 0; r < n; ++r) {
            Item item = from;
            RotateChoices(item, r);
            item.id = StrCat(from.id, "#r", r);
            item.tags.extra["cluster"] = from.id;
            emit(std::move(item), from);
          }
          continue;
        }
        Item item = from;
        RotateChoices(item, 1 + rng.Below(n - 1));  // never the identity: the gold always moves
        emit(std::move(item), from);
        continue;
      }
      case PerturbKind::kIrrelevantClause: {
        Item item = from;
        InsertIrrelevantClause(item, rng);
        emit(std::move(item), from);
        continue;
      }
      case PerturbKind::kNameSubstitution: {
        Item item = from;
        SubstituteNames(item, rng);
        emit(std::move(item), from);
        continue;
      }
      case PerturbKind::kFormatShift: {
        Item item = from;
        ApplyFormatShift(item, format);  // sets the tag format
        emit(std::move(item), from);
        continue;
      }
    }
  }
  // The pool shapes every prompt: kept as it is, except that format-shift must show shots in the
  // item's format (else the prompt would mix two formats).
  for (const Item& shot : source.fewshot) {
    Item item = shot;
    item.source.clear();
    if (options.kind == PerturbKind::kFormatShift && DoesNotFit(item, options.kind).empty()) {
      ApplyFormatShift(item, format);
    }
    out.fewshot.push_back(std::move(item));
  }
  return out;
}

std::string ToJsonl(const PerturbResult& result) {
  std::string out;
  for (const Item& item : result.items) {
    out += ItemToJson(item);
    out += '\n';
  }
  for (const Item& item : result.fewshot) {
    out += ItemToJson(item, /*fewshot_pool=*/true);
    out += '\n';
  }
  return out;
}

}  // namespace gapbench::suites::perturb
