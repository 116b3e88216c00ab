// Guard strategies in sweeps (docs/SWEEP.md, docs/STRATEGIES.md "Guarded model"): validation
// names every problem with its JSON path; a guarded system expands once per suite at its large
// (protected) member's place, its shard key holds both members and the guard's parameters (a
// changed threshold or template changes every id, a renamed entry none), and the shard task
// carries the members {guard, large} through the protocol.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/error.h"
#include "common/json.h"
#include "coordinator/expand.h"
#include "coordinator/protocol.h"
#include "coordinator/registration.h"
#include "coordinator/sweep.h"
#include "tests/coordinator/member_sweep_fixture.h"
#include "tests/coordinator/sweep_errors.h"

namespace gapbench::coordinator {
namespace {

using testing::TempDir;
using testing::WriteFile;

constexpr const char* kGuard =
    R"([{"name": "single"}, {"name": "screened", "kind": "guard", "guard": "s", "large": "l",
        "guard_engine": "base", "large_engine": "q8", "template": "{prompt} ok?",
        "threshold": 0.7, "refusal": "No."}])";

TEST(GuardSweep, ValidationNamesEveryProblemWithItsPath) {
  TempDir dir;
  WriteMemberFiles(dir);
  WriteFile(dir / "bad.json",
            MemberSweepText(R"([{"name": "a", "kind": "guard", "guard": "tiny", "large": "l",
                       "guard_engine": "base", "template": "none", "threshold": 2,
                       "allow": " x", "refuse": " x", "small": "s", "signal": "margin"},
                      {"name": "b", "guard": "s", "refusal": "no"},
                      {"name": "c", "kind": "route", "small": "s", "large": "l",
                       "small_engine": "base", "large_engine": "base", "guard_engine": "q8"}])"));
  const SweepCheck c = CheckSweepFile((dir / "bad.json").string());
  for (const char* want :
       {"$.strategies[0].guard: unknown model 'tiny'", "$.strategies[0].large_engine: missing",
        "$.strategies[0].template: expected a string holding \"{prompt}\"",
        "$.strategies[0].threshold: expected a number in [0, 1]",
        "$.strategies[0].refuse: must differ from \"allow\"",
        "$.strategies[0].small: only a \"route\" strategy takes it",
        "$.strategies[0].signal: only a \"route\" strategy takes it",
        "$.strategies[1].guard: only a \"guard\" strategy takes it",
        "$.strategies[1].refusal: only a \"guard\" strategy takes it",
        "$.strategies[2].guard_engine: only a \"guard\" strategy takes it"}) {
    EXPECT_TRUE(HasError(c, {want})) << want << "\n" << AllErrors(c);
  }
  // Combinations: a guarded system names its members in its entry.
  WriteFile(dir / "comb.json", R"({"models": [{"alias": "s", "path": "models/small.gguf"},
      {"alias": "l", "path": "models/large.gguf"}], "engines": [{"name": "base"}],
    "strategies": [{"name": "screened", "kind": "guard", "guard": "s", "large": "l"}],
    "suites": [{"name": "mmlu", "path": "data/mmlu", "limit": 20}],
    "combinations": [{"strategy": "screened", "suite": "mmlu"},
                     {"strategy": "screened", "engine": "base", "suite": "mmlu"}]})");
  const SweepCheck d = CheckSweepFile((dir / "comb.json").string());
  ASSERT_EQ(d.errors.size(), 1u) << AllErrors(d);
  EXPECT_TRUE(HasError(d, {"$.combinations[1].engine: a guard strategy names its members"}));
  ASSERT_EQ(d.sweep.combinations.size(), 1u);
  EXPECT_EQ(d.sweep.combinations[0].model, 1u);  // the protected model's place
  EXPECT_EQ(d.sweep.strategies[0].members.size(), 2u);
}

TEST(GuardSweep, AGuardedSystemExpandsOncePerSuiteWithBothMembersInItsKey) {
  TempDir dir;
  WriteMemberFiles(dir);
  WriteFile(dir / "a.json", MemberSweepText(kGuard));
  const SweepCheck c = CheckSweepFile((dir / "a.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  const auto& sw = c.sweep;
  ASSERT_EQ(sw.combinations.size(), 5u);  // 2 models x 2 engines single + 1 guarded system
  const auto& st = sw.strategies[1];
  EXPECT_EQ(st.config.kind, StrategyKind::kGuard);
  EXPECT_EQ(st.config.guard.threshold, 0.7);
  EXPECT_EQ(st.config.guard.prompt_template, "{prompt} ok?");
  EXPECT_EQ(st.config.guard.refusal, "No.");
  const Expansion x = ExpandSweep(sw);
  std::vector<const Shard*> guarded;
  for (const auto& s : x.shards) {
    if (s.combination.strategy == 1) guarded.push_back(&s);
  }
  ASSERT_EQ(guarded.size(), 2u);
  EXPECT_EQ(guarded[0]->combination.model, 1u);
  EXPECT_EQ(guarded[0]->combination.engine, 1u);
  const auto key = ParseJson(guarded[0]->key, "key");
  const auto guard_id = IdentifyModelFile((dir / "models" / "small.gguf").string()).hash;
  const auto large_id = IdentifyModelFile((dir / "models" / "large.gguf").string()).hash;
  EXPECT_EQ(std::string(key["model"]["guard"]["hash"].GetString()), guard_id);
  EXPECT_EQ(std::string(key["model"]["large"]["hash"].GetString()), large_id);
  EXPECT_EQ(std::string(key["strategy"]["kind"].GetString()), "guard");
  EXPECT_EQ(std::string(key["strategy"]["threshold"].GetString()), "0.7");  // no floats
  EXPECT_EQ(std::string(key["strategy"]["template"].GetString()), "{prompt} ok?");
  EXPECT_EQ(std::string(key["strategy"]["allow"].GetString()), " allow");  // the default

  const ShardTask task = MakeShardTask(sw, *guarded[0]);
  ASSERT_EQ(task.members.size(), 2u);
  EXPECT_EQ(task.members[0].role, "guard");
  EXPECT_EQ(task.members[0].model_id, guard_id);
  EXPECT_EQ(task.members[1].role, "large");
  EXPECT_EQ(task.model_id, large_id);
  const ShardTask back = ShardTaskFromJson(ShardTaskToJson(task), "test");
  EXPECT_EQ(back.members, task.members);
  const auto strategy = ParseJson(task.strategy_json, "strategy");
  EXPECT_EQ(std::string(strategy["guard_id"].GetString()), guard_id);
  // The worker reads the configuration back from the task's strategy.
  const StrategyConfig parsed = ParseStrategyConfigJson(task.strategy_json, "task");
  EXPECT_EQ(parsed.kind, StrategyKind::kGuard);
  EXPECT_EQ(parsed.guard.threshold, 0.7);

  // Ids: a renamed entry keeps them; another threshold or template changes every one.
  auto ids = [&](const std::string& name, const std::string& text) {
    WriteFile(dir / name, text);
    const SweepCheck k = CheckSweepFile((dir / name).string());
    EXPECT_TRUE(k.ok()) << AllErrors(k);
    std::set<std::string> out;
    for (const auto& s : ExpandSweep(k.sweep).shards) {
      if (!k.sweep.strategies[s.combination.strategy].members.empty()) out.insert(s.id);
    }
    return out;
  };
  const auto base = ids("b.json", MemberSweepText(kGuard));
  ASSERT_EQ(base.size(), 2u);
  std::string text = MemberSweepText(kGuard);
  text.replace(text.find("screened"), 8, "renamed2");
  EXPECT_EQ(ids("c.json", text), base);
  for (const auto& [from, to] :
       {std::pair<std::string, std::string>{"0.7", "0.8"}, {"{prompt} ok?", "{prompt} fine?"}}) {
    text = MemberSweepText(kGuard);
    text.replace(text.find(from), from.size(), to);
    for (const auto& id : ids("d.json", text)) EXPECT_FALSE(base.count(id)) << to;
  }
}

}  // namespace
}  // namespace gapbench::coordinator
