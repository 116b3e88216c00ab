// A sweep suite may be a synthetic world: {"name": "world", "synth": {"seed": 7, "size": ...}}.
// The world is generated once next to the sweep file, its suites are content-hashed like files,
// the name stands for its four suites in grids and combinations, and a malformed block is an
// error naming the sweep file and the field.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "coordinator/expand.h"
#include "coordinator/sweep.h"
#include "coordinator/synth_world.h"
#include "suites/loaders.h"
#include "tests/coordinator/sweep_errors.h"
#include "tests/coordinator/sweep_fixture.h"

namespace gapbench::coordinator {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

std::string SweepWith(const std::string& suites, const std::string& grid_suites) {
  return R"({"models": [{"alias": "m", "path": "m.gguf"}], "engines": [{"name": "base"}],
 "suites": )" +
         suites + R"(, "grid": {"suite": )" + grid_suites + R"(}, "shard_size": 50})";
}

TEST(SweepSynth, AWorldIsGeneratedOnceAndHashedLikeAnySuite) {
  TempDir dir;
  testing::CopyModel(dir / "m.gguf");
  WriteFile(dir / "sweep.json",
            SweepWith(R"([{"name": "world", "synth": {"seed": 7, "size": "small"}, "fewshot": 1}])",
                      R"(["world"])"));
  const SweepCheck c = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_TRUE(c.ok()) << AllErrors(c);
  const Sweep& sw = c.sweep;
  ASSERT_EQ(sw.suites.size(), 4u);
  ASSERT_EQ(sw.combinations.size(), 4u);  // "world" stands for its four suites
  const std::string folder = WorldFolder(sw.dir, {7, "small", 0});
  EXPECT_TRUE(fs::is_regular_file(fs::path(folder) / "manifest.json"));
  const char* parts[] = {"knowledge", "reasoning", "code", "guard"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(sw.suites[i].name, std::string("world.") + parts[i]);
    EXPECT_EQ(sw.suites[i].format, "gapbench");
    EXPECT_EQ(sw.suites[i].fewshot, 1);
    // The hash is the loaded suite's, as for a file named by "path".
    const auto loaded = suites::LoadSuite(sw.suites[i].path);
    EXPECT_EQ(sw.suites[i].content_hash, loaded.manifest.content_hash);
    EXPECT_EQ(sw.suites[i].n_items, loaded.items.size());
  }
  // Generated once: validating again reuses the files (same modification time, same ids).
  const auto mtime = fs::last_write_time(fs::path(folder) / "knowledge.jsonl");
  const SweepCheck again = CheckSweepFile((dir / "sweep.json").string());
  ASSERT_TRUE(again.ok()) << AllErrors(again);
  EXPECT_EQ(fs::last_write_time(fs::path(folder) / "knowledge.jsonl"), mtime);
  const auto x1 = ExpandSweep(sw), x2 = ExpandSweep(again.sweep);
  ASSERT_EQ(x1.shards.size(), x2.shards.size());
  for (size_t i = 0; i < x1.shards.size(); ++i) EXPECT_EQ(x1.shards[i].id, x2.shards[i].id);
  // One suite of a world, by name; and in a combination list.
  WriteFile(dir / "one.json",
            R"({"models": [{"alias": "m", "path": "m.gguf"}], "engines": [{"name": "base"}],
 "suites": [{"name": "facts", "synth": {"seed": 7, "size": "small", "suite": "knowledge"}},
            {"name": "w", "synth": {"seed": 7, "size": "small"}}],
 "combinations": [{"model": "m", "engine": "base", "suite": "facts"},
                  {"model": "m", "engine": "base", "suite": "w"}]})");
  const SweepCheck one = CheckSweepFile((dir / "one.json").string());
  ASSERT_TRUE(one.ok()) << AllErrors(one);
  ASSERT_EQ(one.sweep.suites.size(), 5u);
  EXPECT_EQ(one.sweep.suites[0].name, "facts");
  EXPECT_EQ(one.sweep.suites[0].content_hash, sw.suites[0].content_hash);
  EXPECT_EQ(one.sweep.combinations.size(), 5u);
  // The same work under two names ("facts" and "w.knowledge") shares its shard ids.
  const size_t n_knowledge = one.sweep.suites[0].n_items;
  EXPECT_EQ(ExpandSweep(one.sweep).n_duplicates, (n_knowledge + 9) / 10);
}

TEST(SweepSynth, MalformedBlocksNameTheFileAndField) {
  TempDir dir;
  testing::CopyModel(dir / "m.gguf");
  WriteFile(dir / "bad.json", SweepWith(R"([{"name": "a", "synth": {"size": "small"}},
              {"name": "b", "synth": {"seed": -3, "size": "huge"}},
              {"name": "c", "synth": {"seed": 1, "suite": "poetry", "colour": 1}},
              {"name": "d", "synth": {"seed": 1, "corpus_tokens": 5}, "path": "x.jsonl"},
              {"name": "e", "synth": 7}])",
                                        R"(["a"])"));
  const SweepCheck c = CheckSweepFile((dir / "bad.json").string());
  ASSERT_FALSE(c.ok());
  const std::string f = (dir / "bad.json").string();
  EXPECT_TRUE(HasError(c, {f, "$.suites[0].synth.seed", "missing"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {f, "$.suites[1].synth.seed", ">= 0"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {f, "$.suites[1].synth.size", "huge", "small, default, large"}))
      << AllErrors(c);
  EXPECT_TRUE(HasError(c, {f, "$.suites[2].synth.suite", "poetry", "knowledge"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {f, "$.suites[2].synth.colour", "unknown key"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {f, "$.suites[3].synth.corpus_tokens", ">= 1000"})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {f, "$.suites[3].path", "not used with \"synth\""})) << AllErrors(c);
  EXPECT_TRUE(HasError(c, {f, "$.suites[4].synth", "an object"})) << AllErrors(c);
  EXPECT_FALSE(fs::exists(dir / ".gapbench-worlds")) << "nothing generated from a bad block";
  // A suite entry with neither a path nor a world.
  WriteFile(dir / "none.json", SweepWith(R"([{"name": "a"}])", R"(["a"])"));
  const SweepCheck n = CheckSweepFile((dir / "none.json").string());
  EXPECT_TRUE(HasError(n, {"$.suites[0].path", "missing", "synth"})) << AllErrors(n);
}

}  // namespace
}  // namespace gapbench::coordinator
