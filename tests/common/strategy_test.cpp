// Strategy entries (common/strategy.h): the guard kind's keys, defaults and every validation
// error with its JSON path; route keys on a guard and guard keys on a route are refused by name.
#include "common/strategy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/json.h"

namespace gapbench {
namespace {

std::vector<std::string> Errors(const std::string& json) {
  const auto doc = ParseJson(json, "t");
  std::vector<std::string> errors;
  ParseStrategyConfig(doc, "$.strategies[2]", errors);
  return errors;
}

bool Has(const std::vector<std::string>& errors, const std::string& text) {
  for (const auto& e : errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(GuardStrategy, DefaultsAndKeys) {
  const StrategyConfig d = ParseStrategyConfigJson(R"({"name":"g","kind":"guard"})", "t");
  EXPECT_EQ(d.kind, StrategyKind::kGuard);
  EXPECT_EQ(StrategyKindName(d.kind), "guard");
  EXPECT_EQ(d.guard.prompt_template, "{prompt}\nDecision:");
  EXPECT_EQ(d.guard.allow, " allow");
  EXPECT_EQ(d.guard.refuse, " refuse");
  EXPECT_EQ(d.guard.threshold, 0.5);
  EXPECT_FALSE(d.guard.refusal.empty());
  const StrategyConfig c = ParseStrategyConfigJson(
      R"({"kind":"guard","template":"Q: {prompt} ok?","allow":" yes","refuse":" no",
          "threshold":0.25,"refusal":"No.","guard":"small","large":"big"})",
      "t");
  EXPECT_EQ(c.guard.prompt_template, "Q: {prompt} ok?");
  EXPECT_EQ(c.guard.allow, " yes");
  EXPECT_EQ(c.guard.refuse, " no");
  EXPECT_EQ(c.guard.threshold, 0.25);
  EXPECT_EQ(c.guard.refusal, "No.");
  EXPECT_EQ(ParseStrategyConfigJson(R"({"kind":"guard","threshold":0})", "t").guard.threshold, 0);
  EXPECT_EQ(ParseStrategyConfigJson(R"({"kind":"guard","threshold":1})", "t").guard.threshold, 1);
}

TEST(GuardStrategy, EveryErrorWithItsPath) {
  const auto e = Errors(
      R"({"kind":"guard","template":"no placeholder","allow":"","refuse":7,"threshold":1.5,
          "refusal":null,"signal":"margin","gen_threshold":-1})");
  EXPECT_TRUE(Has(e, "$.strategies[2].template: expected a string holding \"{prompt}\"")) << e[0];
  EXPECT_TRUE(Has(e, "$.strategies[2].allow: expected a non-empty string"));
  EXPECT_TRUE(Has(e, "$.strategies[2].refuse: expected a non-empty string"));
  EXPECT_TRUE(Has(e, "$.strategies[2].threshold: expected a number in [0, 1]"));
  EXPECT_TRUE(Has(e, "$.strategies[2].refusal: expected a string"));
  EXPECT_TRUE(Has(e, "$.strategies[2].signal: only a \"route\" strategy takes it"));
  EXPECT_TRUE(Has(e, "$.strategies[2].gen_threshold: only a \"route\" strategy takes it"));
  EXPECT_EQ(e.size(), 7u);
  EXPECT_TRUE(Has(Errors(R"({"kind":"guard","allow":" x","refuse":" x"})"),
                  "$.strategies[2].refuse: must differ from \"allow\""));
  EXPECT_TRUE(Has(Errors(R"({"kind":"route","template":"{prompt}","refusal":"no"})"),
                  "$.strategies[2].template: only a \"guard\" strategy takes it"));
  EXPECT_TRUE(Has(Errors(R"({"kind":"single","refuse":" no"})"),
                  "$.strategies[2].refuse: only a \"guard\" strategy takes it"));
  EXPECT_TRUE(Has(Errors(R"({"kind":"single","threshold":0.5})"),
                  "$.strategies[2].threshold: only a \"route\" or \"guard\" strategy takes it"));
  EXPECT_TRUE(Has(Errors(R"({"kind":"screen"})"),
                  "$.strategies[2].kind: expected \"single\", \"route\" or \"guard\""));
  EXPECT_THROW(ParseStrategyConfigJson(R"({"kind":"guard","threshold":-0.1})", "t"), Error);
}

}  // namespace
}  // namespace gapbench
