// `gapbench sweep validate|expand` as a real process: exit codes, every error on stderr, the JSON
// listing of shards and totals.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/json.h"
#include "tests/coordinator/sweep_fixture.h"

namespace gapbench {
namespace {

using testing::GapbenchBin;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFile;

TEST(SweepCli, ValidateAcceptsTheExample) {
  TempDir dir;
  testing::WriteExampleFiles(dir.path());
  WriteFile(dir / "sweep.json", testing::kExampleSweep);
  auto r = RunProcess({GapbenchBin(), "sweep", "validate", (dir / "sweep.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("40 shards, 400 items"), std::string::npos) << r.out;
  r = RunProcess({GapbenchBin(), "sweep", "validate", (dir / "sweep.json").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = ParseJson(r.out, "stdout");
  EXPECT_TRUE(doc["valid"].GetBool());
  EXPECT_EQ(doc["totals"]["shards"].GetInt(), 40);
}

TEST(SweepCli, ValidateListsEveryErrorAndExits1) {
  TempDir dir;
  WriteFile(dir / "bad.json", R"({"models": [{"path": "a.gguf"}, {"path": "b.gguf"}],
    "engines": [{"name": "e", "config": {"kv_head": 2}}],
    "suites": [{"name": "s", "path": "nowhere", "format": "mmlu"}],
    "grid": {"engine": ["x"]}, "shard_size": -3})");
  const auto r = RunProcess({GapbenchBin(), "sweep", "validate", (dir / "bad.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  for (const char* want :
       {"$.models[0].path: not found", "$.models[1].path: not found",
        "$.engines[0].config.kv_head: unknown key (did you mean 'kv_heads'?)",
        "$.suites[0].path: not found", "$.grid.engine[0]: unknown engine 'x'",
        "$.shard_size: expected items per shard (an integer >= 1), got -3", "6 errors"}) {
    EXPECT_NE(r.err.find(want), std::string::npos) << want << "\n" << r.err;
  }
  // expand refuses the same file the same way.
  const auto e = RunProcess({GapbenchBin(), "sweep", "expand", (dir / "bad.json").string()});
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_EQ(e.err, r.err);
}

TEST(SweepCli, ExpandJsonListsShardsAndTotals) {
  TempDir dir;
  testing::CopyModel(dir / "models" / "m.gguf");
  testing::WriteGsm8k(dir / "g.jsonl", 7);
  WriteFile(dir / "s.json", R"({"name": "cli", "models": [{"alias": "m", "path": "models/m.gguf"}],
    "engines": [{"name": "base"}, {"name": "kv32", "config": {"kv_cache": "f32"}}],
    "suites": [{"name": "g", "path": "g.jsonl", "samples": 2}],
    "grid": {"engine": ["kv32"]}, "seeds": [5, 6], "shard_size": 3})");
  const auto r =
      RunProcess({GapbenchBin(), "sweep", "expand", (dir / "s.json").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = ParseJson(r.out, "stdout");
  EXPECT_EQ(std::string(doc["sweep"].GetString()), "cli");
  const auto& shards = doc["shards"];
  ASSERT_EQ(shards.Size(), 6u);  // 2 seeds x {[0,3), [3,6), [6,7)}
  const int expected[6][3] = {{0, 3, 5}, {3, 6, 5}, {6, 7, 5}, {0, 3, 6}, {3, 6, 6}, {6, 7, 6}};
  std::set<std::string> ids;
  for (rapidjson::SizeType i = 0; i < shards.Size(); ++i) {
    const auto& s = shards[i];
    EXPECT_EQ(std::string(s["model"].GetString()), "m");
    EXPECT_EQ(std::string(s["engine"].GetString()), "kv32");
    EXPECT_EQ(std::string(s["strategy"].GetString()), "single");
    EXPECT_EQ(std::string(s["suite"].GetString()), "g");
    EXPECT_EQ(s["begin"].GetInt(), expected[i][0]);
    EXPECT_EQ(s["end"].GetInt(), expected[i][1]);
    EXPECT_EQ(s["seed"].GetInt(), expected[i][2]);
    EXPECT_EQ(s["samples"].GetInt(), 2);
    EXPECT_EQ(std::string(s["id"].GetString()).size(), 16u);
    ids.insert(s["id"].GetString());
  }
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(doc["totals"]["shards"].GetInt(), 6);
  EXPECT_EQ(doc["totals"]["items"].GetInt(), 14);
  EXPECT_EQ(doc["totals"]["evaluations"].GetInt(), 28);
  EXPECT_EQ(doc["totals"]["duplicates"].GetInt(), 0);
  // The text listing carries the same ids.
  const auto t = RunProcess({GapbenchBin(), "sweep", "expand", (dir / "s.json").string()});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  for (const auto& id : ids) EXPECT_NE(t.out.find(id), std::string::npos) << id;
  EXPECT_NE(t.out.find("6 shards, 14 items"), std::string::npos) << t.out;
}

TEST(SweepCli, UsageErrors) {
  auto r = RunProcess({GapbenchBin(), "sweep"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunProcess({GapbenchBin(), "sweep", "frobnicate", "x.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown subcommand"), std::string::npos);
  r = RunProcess({GapbenchBin(), "sweep", "validate", "/nonexistent/sweep.json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot read the sweep file"), std::string::npos) << r.err;
  r = RunProcess({GapbenchBin(), "sweep", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("sweep validate"), std::string::npos);
}

}  // namespace
}  // namespace gapbench
