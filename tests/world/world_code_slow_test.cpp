// The code suite's canonical solutions pass their own tests in the real sandbox (the default
// world: 240 functions), and a wrong body fails them -- so the tests test something.
#include <gtest/gtest.h>

#include "suites/loaders.h"
#include "suites/sandbox.h"
#include "tests/world/world_test_util.h"

namespace gapbench {
namespace {

TEST(WorldCode, CanonicalSolutionsPassInTheSandbox) {
  testing::TempDir dir;
  testing::Synth(dir.path(), 7, "default", {"--corpus-tokens", "20000"});
  const auto suite = suites::LoadSuite((dir / "code.jsonl").string());
  ASSERT_EQ(suite.items.size(), 240u);
  suites::Sandbox sandbox;
  suites::SandboxLimits limits;
  limits.wall_seconds = 20;
  std::vector<suites::SandboxJob> good, wrong;
  for (const auto& item : suite.items) {
    good.push_back(
        suites::CodeJob(item.prompt, item.solution, item.test, item.entry_point, limits));
    // Off by one: every check has an assert whose expected value differs.
    wrong.push_back(
        suites::CodeJob(item.prompt, "    return -1\n", item.test, item.entry_point, limits));
  }
  const auto results = sandbox.RunAll(good, 2);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].status, suites::RunStatus::kPassed)
        << suite.items[i].id << ":\n"
        << suite.items[i].prompt << suite.items[i].solution << suite.items[i].test << "\n"
        << results[i].output << results[i].error;
  }
  std::vector<suites::SandboxJob> some_wrong(wrong.begin(), wrong.begin() + 24);
  for (const auto& r : sandbox.RunAll(some_wrong, 2)) {
    EXPECT_EQ(r.status, suites::RunStatus::kFailed);
  }
}

}  // namespace
}  // namespace gapbench
