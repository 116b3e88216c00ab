// Shard identity stability: results already in users' stores are matched by a shard's id (the
// hash of its key), so a refactoring of how the key is written must not change one byte of it.
// The expected strings below were captured ONCE from the code path of main at 8bca6d7 (before the
// strategy parameters were declared once, VisitFields in common/strategy.h) and are here for that
// reason only: they pin identity, they do not say the key is right (expand_test, route_sweep_test
// and guard_sweep_test check its fields against values computed independently). A sweep of every
// kind of strategy -- single, route and guard, each with defaults and with every parameter
// changed -- over both member orders and engines.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/error.h"
#include "common/hash.h"
#include "coordinator/expand.h"
#include "coordinator/sweep.h"
#include "tests/coordinator/member_sweep_fixture.h"
#include "tests/coordinator/sweep_errors.h"

namespace gapbench::coordinator {
namespace {

using testing::TempDir;
using testing::WriteFile;

constexpr const char* kStrategies = R"([{"name": "single"},
  {"name": "route-default", "kind": "route", "small": "s", "large": "l",
   "small_engine": "base", "large_engine": "base"},
  {"name": "route-all", "kind": "route", "small": "l", "large": "s", "small_engine": "q8",
   "large_engine": "base", "signal": "margin", "threshold": 0.25, "gen_signal": "min_logprob",
   "gen_threshold": -2.5},
  {"name": "guard-default", "kind": "guard", "guard": "s", "large": "l",
   "guard_engine": "base", "large_engine": "q8"},
  {"name": "guard-all", "kind": "guard", "guard": "l", "large": "s", "guard_engine": "q8",
   "large_engine": "base", "template": "Q: {prompt} \"ok\"?\n", "allow": " yes",
   "refuse": " no", "threshold": 0.35, "refusal": "Nope \u00e9 \\ done."}])";

// Captured from main (8bca6d7): the key of the first shard of every combination, in full.
const std::map<std::string, std::string> kMainKeys = {
    {"guard-all/s/base/0",
     R"({"engine":{"guard":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"f)"
     R"(rom_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"thr)"
     R"(eads":0,"weights":"q8_0"},"large":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,")"
     R"(kv_sharing":{"from_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none",")"
     R"(window":0},"threads":0,"weights":"native"}},"fewshot":0,"items":[0,10],"max_tokens":256,)"
     R"("model":{"guard":{"bytes":467552,"hash":"2c38e6a696898f0b","scheme":"fnv1a64:gguf-header)"
     R"(+size+blocks:v1"},"large":{"bytes":418272,"hash":"bd82f116c1cef824","scheme":"fnv1a64:gg)"
     R"(uf-header+size+blocks:v1"}},"result_format":2,"samples":1,"seed":1,"strategy":{"allow":")"
     R"( yes","kind":"guard","refusal":"Nope é \\ done.","refuse":" no","template":"Q: {prompt} )"
     R"(\"ok\"?\n","threshold":"0.35"},"suite":"45b349040f76d3c7","temperature":"0"})"},
    {"guard-default/l/q8/0",
     R"({"engine":{"guard":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"f)"
     R"(rom_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"thr)"
     R"(eads":0,"weights":"native"},"large":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0)"
     R"(,"kv_sharing":{"from_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none")"
     R"(,"window":0},"threads":0,"weights":"q8_0"}},"fewshot":0,"items":[0,10],"max_tokens":256,)"
     R"("model":{"guard":{"bytes":418272,"hash":"bd82f116c1cef824","scheme":"fnv1a64:gguf-header)"
     R"(+size+blocks:v1"},"large":{"bytes":467552,"hash":"2c38e6a696898f0b","scheme":"fnv1a64:gg)"
     R"(uf-header+size+blocks:v1"}},"result_format":2,"samples":1,"seed":1,"strategy":{"allow":")"
     R"( allow","kind":"guard","refusal":"I can't help with that.","refuse":" refuse","template")"
     R"(:"{prompt}\nDecision:","threshold":"0.5"},"suite":"45b349040f76d3c7","temperature":"0"})"},
    {"route-all/s/base/0",
     R"({"engine":{"large":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"f)"
     R"(rom_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"thr)"
     R"(eads":0,"weights":"native"},"small":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0)"
     R"(,"kv_sharing":{"from_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none")"
     R"(,"window":0},"threads":0,"weights":"q8_0"}},"fewshot":0,"items":[0,10],"max_tokens":256,)"
     R"("model":{"large":{"bytes":418272,"hash":"bd82f116c1cef824","scheme":"fnv1a64:gguf-header)"
     R"(+size+blocks:v1"},"small":{"bytes":467552,"hash":"2c38e6a696898f0b","scheme":"fnv1a64:gg)"
     R"(uf-header+size+blocks:v1"}},"result_format":2,"samples":1,"seed":1,"strategy":{"gen_sign)"
     R"(al":"min_logprob","gen_threshold":"-2.5","kind":"route","signal":"margin","threshold":"0)"
     R"(.25"},"suite":"45b349040f76d3c7","temperature":"0"})"},
    {"route-default/l/base/0",
     R"({"engine":{"large":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"f)"
     R"(rom_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"thr)"
     R"(eads":0,"weights":"native"},"small":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0)"
     R"(,"kv_sharing":{"from_layer":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none")"
     R"(,"window":0},"threads":0,"weights":"native"}},"fewshot":0,"items":[0,10],"max_tokens":25)"
     R"(6,"model":{"large":{"bytes":467552,"hash":"2c38e6a696898f0b","scheme":"fnv1a64:gguf-head)"
     R"(er+size+blocks:v1"},"small":{"bytes":418272,"hash":"bd82f116c1cef824","scheme":"fnv1a64:)"
     R"(gguf-header+size+blocks:v1"}},"result_format":2,"samples":1,"seed":1,"strategy":{"gen_si)"
     R"(gnal":"mean_logprob","gen_threshold":"-1","kind":"route","signal":"top_prob","threshold")"
     R"(:"0.5"},"suite":"45b349040f76d3c7","temperature":"0"})"},
    {"single/l/base/0",
     R"({"engine":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"from_layer)"
     R"(":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"threads":0,")"
     R"(weights":"native"},"fewshot":0,"items":[0,10],"max_tokens":256,"model":{"bytes":467552,")"
     R"(hash":"2c38e6a696898f0b","scheme":"fnv1a64:gguf-header+size+blocks:v1"},"result_format":)"
     R"(2,"samples":1,"seed":1,"strategy":{"name":"single"},"suite":"45b349040f76d3c7","temperat)"
     R"(ure":"0"})"},
    {"single/l/q8/0",
     R"({"engine":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"from_layer)"
     R"(":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"threads":0,")"
     R"(weights":"q8_0"},"fewshot":0,"items":[0,10],"max_tokens":256,"model":{"bytes":467552,"ha)"
     R"(sh":"2c38e6a696898f0b","scheme":"fnv1a64:gguf-header+size+blocks:v1"},"result_format":2,)"
     R"("samples":1,"seed":1,"strategy":{"name":"single"},"suite":"45b349040f76d3c7","temperatur)"
     R"(e":"0"})"},
    {"single/s/base/0",
     R"({"engine":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"from_layer)"
     R"(":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"threads":0,")"
     R"(weights":"native"},"fewshot":0,"items":[0,10],"max_tokens":256,"model":{"bytes":418272,")"
     R"(hash":"bd82f116c1cef824","scheme":"fnv1a64:gguf-header+size+blocks:v1"},"result_format":)"
     R"(2,"samples":1,"seed":1,"strategy":{"name":"single"},"suite":"45b349040f76d3c7","temperat)"
     R"(ure":"0"})"},
    {"single/s/q8/0",
     R"({"engine":{"batch":0,"context":0,"kv_cache":"f16","kv_heads":0,"kv_sharing":{"from_layer)"
     R"(":0,"group":2,"mode":"none"},"sliding_window":{"layers":"none","window":0},"threads":0,")"
     R"(weights":"q8_0"},"fewshot":0,"items":[0,10],"max_tokens":256,"model":{"bytes":418272,"ha)"
     R"(sh":"bd82f116c1cef824","scheme":"fnv1a64:gguf-header+size+blocks:v1"},"result_format":2,)"
     R"("samples":1,"seed":1,"strategy":{"name":"single"},"suite":"45b349040f76d3c7","temperatur)"
     R"(e":"0"})"},
};
// ... and the id (HashHex of the key) of the second shard of each.
const std::map<std::string, std::string> kMainIds = {
    {"guard-all/s/base/10", "22e65517393d5991"}, {"guard-default/l/q8/10", "c23493064e2970e7"},
    {"route-all/s/base/10", "a6f40635946ec0ec"}, {"route-default/l/base/10", "26d0d822809baab1"},
    {"single/l/base/10", "716b59fe6a54e08a"},    {"single/l/q8/10", "460f7baec4ce5173"},
    {"single/s/base/10", "c44f0b9a2d2c8e8f"},    {"single/s/q8/10", "358611a341f4ddce"},
};

// The key of every shard, by "strategy name / model / engine / begin".
std::map<std::string, std::string> Keys(const Sweep& sw) {
  std::map<std::string, std::string> out;
  for (const Shard& s : ExpandSweep(sw).shards) {
    const auto& c = s.combination;
    out[StrCat(sw.strategies[c.strategy].name, "/", sw.models[c.model].alias, "/",
               sw.engines[c.engine].name, "/", s.begin)] = s.key;
  }
  return out;
}

TEST(ShardKeyIdentity, KeysOfEveryStrategyKindAreTheOnesMainWrote) {
  TempDir dir;
  WriteMemberFiles(dir);
  WriteFile(dir / "a.json", MemberSweepText(kStrategies));
  const SweepCheck c = CheckSweepFile((dir / "a.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  const auto keys = Keys(c.sweep);
  ASSERT_EQ(keys.size(), kMainKeys.size() + kMainIds.size());
  for (const auto& [name, key] : kMainKeys) {
    ASSERT_TRUE(keys.count(name)) << name;
    EXPECT_EQ(keys.at(name), key) << name;
  }
  for (const auto& [name, id] : kMainIds) {
    ASSERT_TRUE(keys.count(name)) << name;
    EXPECT_EQ(HashHex(keys.at(name)), id) << name << ": " << keys.at(name);
  }
}

}  // namespace
}  // namespace gapbench::coordinator
