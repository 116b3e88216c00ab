// The sweep parser's fuzz target (fuzz/targets.h) on mutants of real sweeps: CheckSweepText must
// collect problems -- each naming the file -- and never throw, crash or hang. Relative paths
// resolve in examples/, so mutants that still name the bundled models and suites load them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "coordinator/sweep.h"
#include "fuzz/mutator.h"
#include "fuzz/targets.h"
#include "tests/test_util.h"

namespace gapbench::fuzz {
namespace {

TEST(HostileInputs, SweepParserOnMutatedSweeps) {
  const auto examples = testing::SourceDir() / "examples";
  std::vector<std::string> seeds = {
      testing::ReadFile(examples / "quick-sweep.json"),
      R"({"name": "s", "models": [{"alias": "m", "path": "../tests/fixtures/engine/llama-tied-f32.gguf"}],
 "engines": [{"name": "e", "config": {"kv_cache": "f16", "sliding_window": {"window": 16, "layers": "all"}, "threads": 1}}],
 "suites": [{"name": "a", "path": "suites/arith.jsonl", "fewshot": 0, "samples": 2,
             "temperature": 0.7, "max_tokens": 8}],
 "grid": {"model": ["m"], "engine": ["e"], "suite": ["a"]}, "seed": 3, "shard_size": 4})"};
  const std::string base = examples.string();
  // The seeds themselves are valid: a mutant's errors then come from the mutation.
  for (const auto& s : seeds) {
    const auto check = coordinator::CheckSweepText(s, "seed.json", base);
    ASSERT_TRUE(check.ok()) << (check.errors.empty() ? "" : check.errors.front());
  }
  Mutator m(seeds, 5);
  int rejected = 0;
  for (int i = 0; i < 1500; ++i) {
    const std::string input = m.Mutate(8192);
    const std::vector<uint8_t> copy(input.begin(), input.end());
    FuzzSweep(copy.data(), copy.size(), base);
    rejected += coordinator::CheckSweepText(input, "x.json", base).ok() ? 0 : 1;
  }
  EXPECT_GT(rejected, 500) << "the mutator should break most sweeps";
}

}  // namespace
}  // namespace gapbench::fuzz
