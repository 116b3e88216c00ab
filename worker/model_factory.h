// The one place that turns loaded models plus a strategy into the LanguageModel a run evaluates:
// `gapbench eval`, `gapbench generate` and the worker all call MakeLanguageModel, so a strategy
// behaves the same wherever it runs (docs/STRATEGIES.md).
//
// Not here: loading models (the caller's: eval loads files, the worker has its ModelCache),
// strategy parsing (common/strategy.h).
#pragma once

#include <memory>
#include <span>

#include "common/language_model.h"
#include "common/strategy.h"
#include "engine/model.h"
#include "engine/session.h"

namespace gapbench::worker {

// A loaded model and the session options its LanguageModel gets. `model` must outlive the
// LanguageModel built from it.
struct MemberModel {
  const engine::Model* model = nullptr;
  engine::SessionOptions session;
};

// single: one member; route: two, {small, large}; guard: two, {guard, large (protected)}. Error
// when the count does not fit the kind.
std::unique_ptr<LanguageModel> MakeLanguageModel(const StrategyConfig& strategy,
                                                 std::span<const MemberModel> members);

}  // namespace gapbench::worker
