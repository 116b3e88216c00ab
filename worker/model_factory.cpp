// Strategy + models -> LanguageModel (see model_factory.h).
#include "worker/model_factory.h"

#include "common/error.h"
#include "engine/engine_lm.h"
#include "worker/guarded_model.h"
#include "worker/routed_model.h"

namespace gapbench::worker {

std::unique_ptr<LanguageModel> MakeLanguageModel(const StrategyConfig& strategy,
                                                 std::span<const MemberModel> members) {
  const size_t want = strategy.kind == StrategyKind::kSingle ? 1 : 2;
  if (members.size() != want) {
    Fail("a ", StrategyKindName(strategy.kind), " strategy needs ", want, " model",
         want == 1                               ? ""
         : strategy.kind == StrategyKind::kGuard ? "s (guard, large)"
                                                 : "s (small, large)",
         ", got ", members.size());
  }
  for (const auto& m : members) GB_CHECK(m.model != nullptr, "MakeLanguageModel: null model");
  auto make_engine = [](const MemberModel& m) {
    return std::make_unique<engine::EngineModel>(*m.model, m.session);
  };
  if (strategy.kind == StrategyKind::kSingle) return make_engine(members[0]);
  if (strategy.kind == StrategyKind::kGuard) {
    return std::make_unique<GuardedModel>(make_engine(members[0]), make_engine(members[1]),
                                          strategy.guard);
  }
  return std::make_unique<RoutedModel>(make_engine(members[0]), make_engine(members[1]),
                                       strategy.route);
}

}  // namespace gapbench::worker
