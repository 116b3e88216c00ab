// Route strategies in sweeps (docs/SWEEP.md, docs/STRATEGIES.md): validation names every
// problem with its JSON path; a routed system expands once per suite whatever the grid's model
// and engine axes; its shard key holds both members' files and configurations (changing either
// member's file or engine changes every id, renaming changes none); the shard task carries both
// members through the protocol, and the store's strategy column tells systems apart.
#include <gtest/gtest.h>

#include <algorithm>
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
#include "tests/coordinator/sweep_fixture.h"

namespace gapbench::coordinator {
namespace {

using testing::TempDir;
using testing::WriteFile;

// Two models (the fixture as "small", another fixture as "large"), two engines, an MMLU folder.
void WriteFiles(const TempDir& dir) { WriteMemberFiles(dir); }

std::string SweepText(const std::string& strategies, const std::string& grid_extra = "") {
  return MemberSweepText(strategies, grid_extra);
}

constexpr const char* kRoute =
    R"([{"name": "single"}, {"name": "cascade", "kind": "route", "small": "s", "large": "l",
        "small_engine": "base", "large_engine": "q8", "signal": "margin", "threshold": 0.25}])";

// A routed system's members are checked against their own engines at validation, as grid models
// are (review finding: only the combination's large member was, so an unsuitable small engine
// passed `sweep validate` and poisoned every shard on the workers).
TEST(RouteSweep, EveryMemberIsCheckedAgainstItsEngine) {
  TempDir dir;
  WriteFiles(dir);
  WriteFile(dir / "s.json", StrCat(R"({"models": [{"alias": "s", "path": "models/small.gguf"},
      {"alias": "l", "path": "models/large.gguf"}],
    "engines": [{"name": "base"}, {"name": "gqa3", "config": {"kv_heads": 3}}],
    "strategies": [{"name": "cascade", "kind": "route", "small": "s", "large": "l",
                    "small_engine": "gqa3", "large_engine": "base"}],
    "suites": [{"name": "mmlu", "path": "data/mmlu", "limit": 20}],
    "combinations": [{"strategy": "cascade", "suite": "mmlu"}]})"));
  const SweepCheck c = CheckSweepFile((dir / "s.json").string());
  EXPECT_TRUE(HasError(c, {"$.engines[1].config", "'gqa3' does not suit model 's'"}))
      << AllErrors(c);
}

TEST(RouteSweep, ValidationNamesEveryProblemWithItsPath) {
  TempDir dir;
  WriteFiles(dir);
  WriteFile(dir / "bad.json",
            SweepText(R"([{"name": "a", "kind": "route", "small": "tiny", "large": "l",
                       "small_engine": "base", "signal": "min_logprob", "threshold": 1.5,
                       "gen_threshold": 0.5, "colour": 1},
                      {"name": "b", "small": "s"},
                      {"name": "c", "kind": "screen"}])"));
  const SweepCheck c = CheckSweepFile((dir / "bad.json").string());
  EXPECT_TRUE(HasError(c, {"$.strategies[0].small: unknown model 'tiny'"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.strategies[0].large_engine: missing"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.strategies[0].signal: expected \"top_prob\" or \"margin\""}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.strategies[0].threshold: expected a number in [0, 1]"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.strategies[0].gen_threshold: expected a number <= 0"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.strategies[0].colour: unknown key"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.strategies[1].small: only a \"route\" strategy takes it"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {"$.strategies[2].kind: expected \"single\", \"route\" or \"guard\""}))
      << AllErrors(c);
  // Combinations: a routed system names its members in its entry, not in the combination.
  WriteFile(dir / "comb.json", StrCat(R"({"models": [{"alias": "s", "path": "models/small.gguf"},
      {"alias": "l", "path": "models/large.gguf"}], "engines": [{"name": "base"}],
    "strategies": [{"name": "cascade", "kind": "route", "small": "s", "large": "l"}],
    "suites": [{"name": "mmlu", "path": "data/mmlu", "limit": 20}],
    "combinations": [{"strategy": "cascade", "suite": "mmlu"},
                     {"strategy": "cascade", "model": "s", "suite": "mmlu"}]})"));
  const SweepCheck d = CheckSweepFile((dir / "comb.json").string());
  ASSERT_EQ(d.errors.size(), 1u) << AllErrors(d);
  EXPECT_TRUE(HasError(d, {"$.combinations[1].model: a route strategy names its members"}));
  // One engine serves both members when the sweep declares only one.
  ASSERT_EQ(d.sweep.combinations.size(), 1u);
  EXPECT_EQ(d.sweep.combinations[0].model, 1u);
  EXPECT_EQ(d.sweep.strategies[0].members.size(), 2u);
}

TEST(RouteSweep, ARoutedSystemExpandsOncePerSuiteWithBothMembersInItsKey) {
  TempDir dir;
  WriteFiles(dir);
  WriteFile(dir / "a.json", SweepText(kRoute));
  const SweepCheck c = CheckSweepFile((dir / "a.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  const auto& sw = c.sweep;
  // 2 models x 2 engines single + 1 routed system = 5 combinations, 2 shards each.
  ASSERT_EQ(sw.combinations.size(), 5u);
  const auto& st = sw.strategies[1];
  EXPECT_EQ(st.config.kind, StrategyKind::kRoute);
  EXPECT_EQ(st.config.route.signal, RouteSignal::kMargin);
  EXPECT_EQ(st.config.route.threshold, 0.25);
  const Expansion x = ExpandSweep(sw);
  ASSERT_EQ(x.shards.size(), 10u);
  std::vector<const Shard*> routed;
  for (const auto& s : x.shards) {
    if (s.combination.strategy == 1) routed.push_back(&s);
  }
  ASSERT_EQ(routed.size(), 2u);
  EXPECT_EQ(routed[0]->combination.model, 1u);   // the large member's place
  EXPECT_EQ(routed[0]->combination.engine, 1u);  // large_engine q8
  const auto key = ParseJson(routed[0]->key, "key");
  const auto small_id = IdentifyModelFile((dir / "models" / "small.gguf").string()).hash;
  const auto large_id = IdentifyModelFile((dir / "models" / "large.gguf").string()).hash;
  EXPECT_EQ(std::string(key["model"]["small"]["hash"].GetString()), small_id);
  EXPECT_EQ(std::string(key["model"]["large"]["hash"].GetString()), large_id);
  EXPECT_EQ(CanonicalJson(key["engine"]["small"]),
            CanonicalJson(ParseJson(sw.engines[0].config.Canonical(), "engine")));
  EXPECT_EQ(CanonicalJson(key["engine"]["large"]),
            CanonicalJson(ParseJson(sw.engines[1].config.Canonical(), "engine")));
  EXPECT_EQ(std::string(key["strategy"]["kind"].GetString()), "route");
  EXPECT_EQ(std::string(key["strategy"]["signal"].GetString()), "margin");
  EXPECT_EQ(std::string(key["strategy"]["threshold"].GetString()), "0.25");  // no floats
  // Single-model shards keep the legacy key whatever the strategy's name.
  for (const auto& s : x.shards) {
    if (s.combination.strategy == 0) {
      EXPECT_NE(s.key.find(R"("strategy":{"name":"single"})"), std::string::npos);
    }
  }

  // The shard task carries both members through the protocol.
  const ShardTask task = MakeShardTask(sw, *routed[0]);
  ASSERT_EQ(task.members.size(), 2u);
  EXPECT_EQ(task.members[0].role, "small");
  EXPECT_EQ(task.members[0].model_id, small_id);
  EXPECT_EQ(task.members[0].config_hash, sw.engines[0].config.Hash());
  EXPECT_EQ(task.members[1].model_id, large_id);
  EXPECT_EQ(task.model_id, large_id);
  const ShardTask back = ShardTaskFromJson(ShardTaskToJson(task), "test");
  EXPECT_EQ(back.members, task.members);
  EXPECT_EQ(back.strategy_json, task.strategy_json);
  const auto strategy = ParseJson(task.strategy_json, "strategy");
  EXPECT_EQ(std::string(strategy["small_id"].GetString()), small_id);
  EXPECT_EQ(std::string(strategy["large_config"].GetString()), sw.engines[1].config.Hash());
  // A single-model task has no members and serialises as before.
  const ShardTask single = MakeShardTask(sw, x.shards[0]);
  EXPECT_TRUE(single.members.empty());
  EXPECT_EQ(ShardTaskToJson(single).find("members"), std::string::npos);
  EXPECT_THROW(ShardTaskFromJson(R"({"members": 3})", "t"), Error);
}

TEST(RouteSweep, IdsChangeWithEitherMemberAndNotWithNames) {
  TempDir dir;
  WriteFiles(dir);
  testing::CopyModel(dir / "models" / "other.gguf", "llama-mha-q8_0.gguf");
  auto routed_ids = [&](const std::string& name, const std::string& text) {
    WriteFile(dir / name, text);
    const SweepCheck c = CheckSweepFile((dir / name).string());
    EXPECT_TRUE(c.ok()) << AllErrors(c);
    std::set<std::string> ids;
    for (const auto& s : ExpandSweep(c.sweep).shards) {
      if (!c.sweep.strategies[s.combination.strategy].members.empty()) ids.insert(s.id);
    }
    return ids;
  };
  const auto base = routed_ids("a.json", SweepText(kRoute));
  ASSERT_EQ(base.size(), 2u);
  std::string renamed = SweepText(kRoute);
  renamed.replace(renamed.find("cascade"), 7, "renamed");
  EXPECT_EQ(routed_ids("b.json", renamed), base);
  std::string other_small = SweepText(kRoute);
  other_small.replace(other_small.find("models/small.gguf"), 17, "models/other.gguf");
  std::set<std::string> changed = routed_ids("c.json", other_small);
  for (const auto& id : changed) EXPECT_FALSE(base.count(id));
  std::string other_engine = SweepText(kRoute);
  other_engine.replace(other_engine.find(R"("small_engine": "base")"), 22,
                       R"("small_engine": "q8")");
  changed = routed_ids("d.json", other_engine);
  for (const auto& id : changed) EXPECT_FALSE(base.count(id));
  std::string other_threshold = SweepText(kRoute);
  other_threshold.replace(other_threshold.find("0.25"), 4, "0.35");
  changed = routed_ids("e.json", other_threshold);
  for (const auto& id : changed) EXPECT_FALSE(base.count(id));
}

}  // namespace
}  // namespace gapbench::coordinator
