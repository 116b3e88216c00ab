// A synthetic world named in a sweep, run end to end with `gapbench run`: generated next to the
// sweep, evaluated by a worker process with two fixture models, and reported with the three
// gaps per family and model pair.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "common/json.h"
#include "tests/engine/fixture_util.h"
#include "tests/test_util.h"

namespace gapbench {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunProcess;

TEST(WorldRun, ASweepOfASyntheticWorldRunsAndReportsItsGapsByFamily) {
  testing::TempDir dir;
  const fs::path fx = testing::EngineFixtureDir();
  testing::WriteFile(dir / "sweep.json",
                     R"({"name": "world-run",
 "models": [{"alias": "a", "path": ")" +
                         (fx / "llama-tied-f32.gguf").string() + R"("}, {"alias": "b", "path": ")" +
                         (fx / "qwen2-tied-f32.gguf").string() + R"("}],
 "engines": [{"name": "base"}],
 "suites": [{"name": "world", "synth": {"seed": 3, "size": "small"}, "limit": 16,
             "max_tokens": 4}],
 "grid": {"suite": ["world"]}, "shard_size": 8})");
  const auto r =
      RunProcess({testing::GapbenchBin(), "run", (dir / "sweep.json").string(), "--workers", "1",
                  "--out", (dir / "out").string(), "--heartbeat-ms", "200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      fs::is_regular_file(dir / ".gapbench-worlds" / "world-v1-seed3-small" / "manifest.json"));
  const auto doc = ParseJson(ReadFile(dir / "out" / "results.json"), "results.json");
  EXPECT_EQ(doc["groups"].Size(), 8u);  // 2 models x 4 suites
  std::set<std::string> families;
  for (const auto& row : doc["gaps"]["generalisation_small_minus_large"].GetArray()) {
    families.insert(row["family"].GetString());
    EXPECT_TRUE(row["difference"]["ci"].IsArray());
  }
  for (const char* f : {"knowledge", "reasoning", "guard"}) EXPECT_TRUE(families.count(f)) << f;
  EXPECT_EQ(doc["gaps"]["reasoning_small_minus_large"].Size(), 1u);
  EXPECT_EQ(doc["gaps"]["knowledge_small_minus_large"].Size(), 1u);
  const std::string md = ReadFile(dir / "out" / "report.md");
  EXPECT_NE(md.find("| world.knowledge |"), std::string::npos) << md;
}

}  // namespace
}  // namespace gapbench
